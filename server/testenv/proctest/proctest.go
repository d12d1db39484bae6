// Package proctest holds what the test environments (cassandratest,
// keycloaktest, s3test) share to run a real server as a child of the test
// binary: a cross-process lock around the one-time install, the cache and
// per-run directories, a child process that cannot outlive the test binary,
// free ports, a JDK to run on, and log tails for error messages.
//
// It is Linux-only, as the environments are (flock, Pdeathsig, process
// groups). Its errors carry no package prefix: callers add their own.
package proctest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Lock takes an exclusive flock on path, creating the file, and returns
// the function that releases it. go test ./... runs test binaries in
// parallel, so installs take turns through it: one does the work and the
// others find it done. It polls so that a cancelled ctx is honoured rather
// than blocking in the kernel. The kernel releases the lock of a process
// that dies.
func Lock(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for %s: %w", path, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// CacheDir is where an environment keeps what it installs once:
// ~/.cache/backbeat/<name> (or under $XDG_CACHE_HOME), unless the variable
// env (if not empty) names another directory.
func CacheDir(env, name string) (string, error) {
	if env != "" {
		if d := os.Getenv(env); d != "" {
			return d, nil
		}
	}
	base, err := os.UserCacheDir()
	if err != nil {
		if env != "" {
			return "", fmt.Errorf("no cache directory (set %s): %w", env, err)
		}
		return "", fmt.Errorf("no cache directory: %w", err)
	}
	return filepath.Join(base, "backbeat", name), nil
}

// Exists reports whether path exists.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// RemoveLeftovers deletes the scratch entries (names containing ".tmp-")
// an earlier install left in root when it died mid-way. Call it holding
// root's Lock: only a lock holder creates them, so none can be in use.
func RemoveLeftovers(root string) {
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			_ = os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

// RunDir makes a directory under os.TempDir()/base for a server shared by
// a whole test binary, where no test's cleanup will delete it. Nothing
// removes it when the binary exits, so each new one first deletes those
// whose owning process is gone; the name carries the owner's pid for that.
func RunDir(base string) (string, error) {
	root := filepath.Join(os.TempDir(), base)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		pidStr, _, ok := strings.Cut(strings.TrimPrefix(e.Name(), "run-"), "-")
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil || pid == os.Getpid() {
			continue
		}
		if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			_ = os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
	return os.MkdirTemp(root, "run-"+strconv.Itoa(os.Getpid())+"-")
}

// FreePort asks the kernel for an unused loopback port. Another process
// can take it before the server binds it, so callers retry a start that
// lost it.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("no free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// FilterEnv returns the entries of env whose variable keep accepts: a
// developer's settings for the server (JAVA_TOOL_OPTIONS, KC_DB, VGW_*,
// ...) must not change what the tests run against.
func FilterEnv(env []string, keep func(name string) bool) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if keep(name) {
			out = append(out, kv)
		}
	}
	return out
}

// LogTail returns the last n lines of a log file, reading only its end so
// a large log costs no more than a small one: a failed start is only
// diagnosable from what the server printed.
func LogTail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	const maxRead = 64 << 10
	if st, err := f.Stat(); err == nil && st.Size() > maxRead {
		if _, err := f.Seek(-maxRead, io.SeekEnd); err != nil {
			return fmt.Sprintf("(log unreadable: %v)", err)
		}
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	return Tail(string(data), n)
}

// Tail returns the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
