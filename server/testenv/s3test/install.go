package s3test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const (
	// Version is the versitygw release the tests run against, pinned so
	// every machine builds the same server and the cached binary stays
	// valid. v1.8.0 is the newest tag on the Go module proxy at the time of
	// pinning.
	Version = "v1.8.0"
	// Package is what go install builds.
	Package = "github.com/versity/versitygw/cmd/versitygw"

	// installTimeout bounds a cold build (downloading and compiling a few
	// hundred modules) on a slow, busy machine.
	installTimeout = 30 * time.Minute
)

// cacheRoot is ~/.cache/backbeat/versitygw-<Version> (or under
// $XDG_CACHE_HOME) unless BACKBEAT_S3_CACHE says otherwise.
func cacheRoot() (string, error) {
	if d := os.Getenv(EnvCacheDir); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("s3test: no cache directory (set %s): %w", EnvCacheDir, err)
	}
	return filepath.Join(base, "backbeat", "versitygw-"+Version), nil
}

// Install returns the path of the versitygw binary, building it with
// "go install" the first time. Test binaries run in parallel by
// "go test ./..." take turns through a lock, so one builds and the others
// find the result; the binary appears under its final name only once
// complete.
func Install(ctx context.Context, logf func(string, ...any)) (string, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	root, err := cacheRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(root, "bin", "versitygw")
	if exists(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(root, ".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if exists(bin) {
		return bin, nil
	}
	removeLeftovers(root)
	_ = os.RemoveAll(filepath.Dir(bin)) // a bin/ without the binary is debris

	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("s3test: the go command is needed once to build versitygw %s: %w", Version, err)
	}
	tmp, err := os.MkdirTemp(root, "bin.tmp-")
	if err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}

	logf("s3test: building %s@%s with go install (first run only; a cold build takes minutes)", Package, Version)
	began := time.Now()
	ictx, cancel := context.WithTimeout(ctx, installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ictx, goBin, "install", "-trimpath", Package+"@"+Version)
	// The cache directory holds no go.mod, so nothing of the caller's
	// module (or a workspace, or GOFLAGS such as -mod=vendor) applies; the
	// proxy settings (GOPROXY, GOPRIVATE, ...) are kept.
	cmd.Dir = root
	cmd.Env = append(withoutEnv(os.Environ(), "GOBIN", "GOFLAGS", "GOWORK", "CGO_ENABLED", "GOOS", "GOARCH"),
		"GOBIN="+tmp, "GOFLAGS=", "GOWORK=off", "CGO_ENABLED=0")
	logPath := filepath.Join(root, "install.log")
	lf, err := os.Create(logPath)
	if err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	cmd.Stdout, cmd.Stderr = lf, lf
	err = cmd.Run()
	lf.Close()
	if err != nil {
		return "", fmt.Errorf("s3test: go install %s@%s: %w\n%s", Package, Version, err, logTail(logPath, 30))
	}
	if !exists(filepath.Join(tmp, "versitygw")) {
		return "", fmt.Errorf("s3test: go install reported success but built no versitygw\n%s", logTail(logPath, 30))
	}
	if err := os.Rename(tmp, filepath.Dir(bin)); err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	logf("s3test: built versitygw %s in %s (cached in %s)", Version, time.Since(began).Round(time.Second), root)
	return bin, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// withoutEnv drops the named variables from env.
func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || name == n
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// removeLeftovers deletes scratch entries of an earlier build that died
// mid-way. Only a lock holder creates them, so none can be in use.
func removeLeftovers(root string) {
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			_ = os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

// lockFile takes an exclusive flock, polling so that a cancelled context is
// honoured rather than blocking in the kernel.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("s3test: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("s3test: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("s3test: waiting for %s: %w", path, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// logTail returns the last n lines of a log file, for error messages.
func logTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	if len(data) > 64<<10 {
		data = data[len(data)-64<<10:]
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
