package deploy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/gen/go/backbeat/user/v1/userv1connect"
	"github.com/backbeat/backbeat/server/demo"
)

// TestImage builds the container image as an OCI layout with
// image/build.sh (debootstrap and umoci; no Docker engine, no registry),
// unpacks it with umoci and runs its entrypoint as the image says (user,
// arguments, environment, working directory) in a chroot of its root file
// system: the image's ffmpeg encodes AAC; the server starts on the demo
// data and answers /readyz (or, where the server has no /readyz yet, the
// gRPC health check), an RPC (Login as the demo user), and the image's
// health check command. It prints the image's size. Slow (a cold base takes
// minutes; cached in ~/.cache/backbeat/image), so behind BACKBEAT_IMAGE=1;
// it needs root for debootstrap and chroot.
func TestImage(t *testing.T) {
	if os.Getenv("BACKBEAT_IMAGE") == "" {
		t.Skip("set BACKBEAT_IMAGE=1 to build and run the container image (needs root)")
	}
	if testing.Short() {
		t.Skip("slow: builds an image")
	}
	if os.Geteuid() != 0 {
		t.Skip("building the image with debootstrap and running it in a chroot needs root")
	}
	out := t.TempDir()
	start := time.Now()
	build := exec.Command("bash", filepath.Join("image", "build.sh"), out)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build.sh: %v", err)
	}
	t.Logf("image built in %s: %s", time.Since(start).Round(100*time.Millisecond), sizes(t, filepath.Join(out, "oci")))

	bundle := filepath.Join(out, "bundle")
	if b, err := exec.Command("umoci", "unpack", "--image", filepath.Join(out, "oci")+":latest", bundle).CombinedOutput(); err != nil {
		t.Fatalf("umoci unpack: %v\n%s", err, b)
	}
	spec := runtimeSpec(t, bundle)
	rootfs := filepath.Join(bundle, "rootfs")
	if spec.Process.User.UID == 0 {
		t.Fatal("the image runs as root")
	}
	// inImage runs args as the image's user in its root file system.
	inImage := func(ctx context.Context, env []string, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, "chroot", append([]string{fmt.Sprintf("--userspec=%d:%d", spec.Process.User.UID, spec.Process.User.GID), rootfs}, args...)...)
		cmd.Env = env
		return cmd
	}
	// The image's ffmpeg, as its user, encodes with the codec of the
	// transcode ladder (AAC).
	encode := inImage(t.Context(), spec.Process.Env, "ffmpeg", "-hide_banner", "-nostdin", "-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", "-b:a", "96k", "-f", "null", "-")
	if b, err := encode.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg in the image: %v\n%s", err, b)
	}

	// The entrypoint as configured, on a loopback port of this machine (a
	// chroot shares the network), with the demo data; the admin listener,
	// where the server has one, on a free loopback port too.
	env := append(spec.Process.Env, "BACKBEAT_ADDR=127.0.0.1:0", "BACKBEAT_ADMIN_ADDR=127.0.0.1:0", "BACKBEAT_RATE_LIMIT=false")
	ctx, cancel := context.WithCancel(t.Context())
	server := inImage(ctx, env, append(spec.Process.Args, "--demo")...)
	server.Dir = filepath.Join(rootfs, spec.Process.Cwd)
	logs := &lineLog{}
	stdout, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	server.Stderr = logs
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		server.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := regexp.MustCompile(`listening on (\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(3 * time.Minute):
		t.Fatal("the image's server printed no address in 3 minutes")
	}

	res, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	health := res.StatusCode != http.StatusNotFound
	switch res.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		t.Log("no /readyz in this server: asked the gRPC health check instead")
		res, err := http.Post(base+"/grpc.health.v1.Health/Check", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(b), "SERVING") {
			t.Fatalf("health check: %s %s", res.Status, b)
		}
	default:
		t.Fatalf("/readyz: %s", res.Status)
	}
	login, err := userv1connect.NewUserServiceClient(http.DefaultClient, base).Login(t.Context(),
		connect.NewRequest(&userv1.LoginRequest{Login: demo.ListenerUsername, Password: demo.Password}))
	if err != nil {
		t.Fatalf("Login as the demo listener: %v", err)
	}
	if login.Msg.Tokens.GetAccessToken() == "" {
		t.Fatal("Login gave no access token")
	}
	// The HEALTHCHECK of the Dockerfile, with the image's environment.
	hc := inImage(t.Context(), append(spec.Process.Env, "BACKBEAT_ADDR="+strings.TrimPrefix(base, "http://")), "/usr/local/bin/backbeat", "healthcheck")
	b, err := hc.CombinedOutput()
	switch {
	case health && err != nil:
		t.Fatalf("backbeat healthcheck in the image: %v\n%s", err, b)
	case !health && !strings.Contains(string(b), "404"):
		// No /healthz in this server yet: the command must still have
		// reached it and reported its answer.
		t.Fatalf("backbeat healthcheck in the image, against a server without /healthz: %v\n%s", err, b)
	}
}

// runtimeSpec reads what umoci unpack derived from the image's config.
type ociSpec struct {
	Process struct {
		Args []string `json:"args"`
		Env  []string `json:"env"`
		Cwd  string   `json:"cwd"`
		User struct {
			UID int `json:"uid"`
			GID int `json:"gid"`
		} `json:"user"`
	} `json:"process"`
}

func runtimeSpec(t *testing.T, bundle string) ociSpec {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s ociSpec
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Process.Args) == 0 {
		t.Fatal("the image has no entrypoint")
	}
	return s
}

// sizes is the layout's size on disk (compressed layers) as text.
func sizes(t *testing.T, layout string) string {
	t.Helper()
	var n int64
	filepath.Walk(filepath.Join(layout, "blobs"), func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return fmt.Sprintf("%.1f MiB compressed", float64(n)/(1<<20))
}

// lineLog collects a process's output, safe for concurrent use.
type lineLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
