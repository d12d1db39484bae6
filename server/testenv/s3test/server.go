package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/testenv/proctest"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The credentials and region of a server Start launches (single-account
// mode: these keys are its root user).
const (
	Region    = "us-east-1"
	AccessKey = "backbeat-test"
	SecretKey = "backbeat-test-secret-key"
)

// startTimeout bounds one launch after the binary is built; the server is
// usually answering within a few hundred milliseconds.
const startTimeout = time.Minute

// errPortTaken marks a launch that lost its probed port to another process
// before versitygw bound it; Start then retries on another port.
var errPortTaken = errors.New("s3test: port already in use")

// Options configures Start.
type Options struct {
	// Dir holds the server's data (Dir/data, one directory per bucket) and
	// log (Dir/versitygw.log). Empty means a temporary directory that
	// Close removes.
	Dir string
	// Logf receives progress messages during Start only; nil discards.
	Logf func(format string, args ...any)
}

// Server is a running S3 server (or, from Shared, possibly an external one
// named by BACKBEAT_S3_ENDPOINT). Its methods are safe for concurrent use.
type Server struct {
	// Endpoint is host:port.
	Endpoint string
	// Insecure means plain HTTP (always so for a server Start launched).
	Insecure bool
	// Region, AccessKey and SecretKey sign requests.
	Region, AccessKey, SecretKey string
	// StartupTime is how long the launch took, not counting the build.
	StartupTime time.Duration

	dir       string
	removeDir bool
	logFile   string
	proc      *proctest.Proc
	external  bool

	closeOnce sync.Once
	closeErr  error
}

// Start builds versitygw if needed (see Install), launches it on a free
// loopback port with the posix backend, and returns once it answers a
// signed request. The process is killed if the calling process dies;
// callers should still Close.
func Start(ctx context.Context, opts Options) (*Server, error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	bin, err := Install(ctx, logf)
	if err != nil {
		return nil, err
	}
	s := &Server{Insecure: true, Region: Region, AccessKey: AccessKey, SecretKey: SecretKey, dir: opts.Dir}
	if s.dir == "" {
		if s.dir, err = os.MkdirTemp("", "backbeat-s3-"); err != nil {
			return nil, fmt.Errorf("s3test: %w", err)
		}
		s.removeDir = true
	}
	data := filepath.Join(s.dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		s.cleanupDir()
		return nil, fmt.Errorf("s3test: %w", err)
	}
	s.logFile = filepath.Join(s.dir, "versitygw.log")
	for attempt := 1; ; attempt++ {
		err = s.launch(ctx, bin, data)
		if err == nil {
			logf("s3test: versitygw %s serving %s on %s, ready in %s", Version, data, s.Endpoint, s.StartupTime.Round(time.Millisecond))
			return s, nil
		}
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			s.cleanupDir()
			return nil, err
		}
		logf("s3test: %v; retrying on another port", err)
	}
}

func (s *Server) launch(ctx context.Context, bin, data string) error {
	began := time.Now()
	port, err := proctest.FreePort()
	if err != nil {
		return fmt.Errorf("s3test: %w", err)
	}
	s.Endpoint = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	lf, err := os.OpenFile(s.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("s3test: %w", err)
	}
	defer lf.Close() // the child has its own copy
	cmd := exec.Command(bin,
		"--port", s.Endpoint,
		"--access", s.AccessKey, "--secret", s.SecretKey, "--region", s.Region,
		"--keep-alive", "--quiet",
		"posix", data)
	cmd.Dir = s.dir
	// A minimal environment: versitygw reads dozens of VGW_* and ROOT_*
	// variables as settings, and a developer's must not leak in.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + s.dir, "TMPDIR=" + os.TempDir()}
	cmd.Stdout, cmd.Stderr = lf, lf
	p, err := proctest.Spawn(cmd)
	if err != nil {
		return fmt.Errorf("s3test: start versitygw: %w", err)
	}
	client, err := s.Client()
	if err != nil {
		p.Kill()
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		select {
		case <-p.Done():
			tail := proctest.LogTail(s.logFile, 20)
			if strings.Contains(tail, "address already in use") {
				return fmt.Errorf("%w (%s)", errPortTaken, s.Endpoint)
			}
			return fmt.Errorf("s3test: versitygw exited during start-up (%v):\n%s", p.Err(), tail)
		default:
		}
		rctx, rcancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := client.ListBuckets(rctx)
		rcancel()
		if err == nil {
			s.proc = p
			s.StartupTime = time.Since(began)
			return nil
		}
		select {
		case <-ctx.Done():
			p.Kill()
			return fmt.Errorf("s3test: versitygw on %s not ready: %w (last error: %v)\n%s", s.Endpoint, ctx.Err(), err, proctest.LogTail(s.logFile, 20))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// URL is the endpoint with its scheme.
func (s *Server) URL() string {
	if s.Insecure {
		return "http://" + s.Endpoint
	}
	return "https://" + s.Endpoint
}

// Dir is the server's directory (empty for an external server).
func (s *Server) Dir() string { return s.dir }

// Client returns a client signed with the server's credentials.
func (s *Server) Client() (*minio.Client, error) {
	c, err := minio.New(s.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Secure:       !s.Insecure,
		Region:       s.Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, fmt.Errorf("s3test: client for %s: %w", s.Endpoint, err)
	}
	return c, nil
}

// BucketName returns a fresh bucket name (not yet created).
func BucketName() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "bb-test-" + hex.EncodeToString(b)
}

// NewBucket creates a fresh, empty bucket that is emptied and removed when
// t's test ends.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	c, err := s.Client()
	if err != nil {
		t.Fatal(err)
	}
	name := BucketName()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: s.Region}); err != nil {
		t.Fatalf("s3test: create bucket %s: %v", name, err)
	}
	s.RemoveAtCleanup(t, name)
	return name
}

// RemoveAtCleanup empties and removes bucket when t's test ends (for a
// bucket the code under test created). Failures are only logged.
func (s *Server) RemoveAtCleanup(t testing.TB, bucket string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.RemoveBucket(ctx, bucket); err != nil {
			t.Logf("s3test: removing bucket %s: %v", bucket, err)
		}
	})
}

// RemoveBucket deletes every object and unfinished upload in bucket, then
// the bucket. A missing bucket is not an error.
func (s *Server) RemoveBucket(ctx context.Context, bucket string) error {
	c, err := s.Client()
	if err != nil {
		return err
	}
	if ok, err := c.BucketExists(ctx, bucket); err != nil || !ok {
		return err
	}
	for up := range c.ListIncompleteUploads(ctx, bucket, "", true) {
		if up.Err != nil {
			return up.Err
		}
		if err := c.RemoveIncompleteUpload(ctx, bucket, up.Key); err != nil {
			return err
		}
	}
	for e := range c.RemoveObjects(ctx, bucket, c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}), minio.RemoveObjectsOptions{}) {
		if e.Err != nil {
			return fmt.Errorf("%s: %w", e.ObjectName, e.Err)
		}
	}
	return c.RemoveBucket(ctx, bucket)
}

// Close stops the server and, when Start made its directory, removes it.
// It does nothing for an external server.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.external {
			return
		}
		if s.proc != nil {
			s.proc.Stop(context.Background(), time.Second) // it waits for idle keep-alive connections; nothing to flush
		}
		s.cleanupDir()
	})
	return s.closeErr
}

func (s *Server) cleanupDir() {
	if s.removeDir {
		if err := os.RemoveAll(s.dir); err != nil {
			s.closeErr = fmt.Errorf("s3test: %w", err)
		}
	}
}
