package s3test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/backbeat/backbeat/server/testenv/proctest"
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

// Install returns the path of the versitygw binary, building it with
// "go install" the first time. Test binaries run in parallel by
// "go test ./..." take turns through a lock, so one builds and the others
// find the result; the binary appears under its final name only once
// complete.
func Install(ctx context.Context, logf func(string, ...any)) (string, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	root, err := proctest.CacheDir(EnvCacheDir, "versitygw-"+Version)
	if err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	bin := filepath.Join(root, "bin", "versitygw")
	if proctest.Exists(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	unlock, err := proctest.Lock(ctx, filepath.Join(root, ".lock"))
	if err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	defer unlock()
	if proctest.Exists(bin) {
		return bin, nil
	}
	proctest.RemoveLeftovers(root)
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
	cmd.Env = append(proctest.FilterEnv(os.Environ(), func(name string) bool {
		return !slices.Contains([]string{"GOBIN", "GOFLAGS", "GOWORK", "CGO_ENABLED", "GOOS", "GOARCH"}, name)
	}), "GOBIN="+tmp, "GOFLAGS=", "GOWORK=off", "CGO_ENABLED=0")
	logPath := filepath.Join(root, "install.log")
	lf, err := os.Create(logPath)
	if err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	cmd.Stdout, cmd.Stderr = lf, lf
	err = cmd.Run()
	lf.Close()
	if err != nil {
		return "", fmt.Errorf("s3test: go install %s@%s: %w\n%s", Package, Version, err, proctest.LogTail(logPath, 30))
	}
	if !proctest.Exists(filepath.Join(tmp, "versitygw")) {
		return "", fmt.Errorf("s3test: go install reported success but built no versitygw\n%s", proctest.LogTail(logPath, 30))
	}
	if err := os.Rename(tmp, filepath.Dir(bin)); err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	logf("s3test: built versitygw %s in %s (cached in %s)", Version, time.Since(began).Round(time.Second), root)
	return bin, nil
}
