package opensearchtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/backbeat/backbeat/server/testenv/proctest"
)

// runUserName is the unprivileged system account the node runs as when
// the tests run as root: OpenSearch refuses to start as root.
const runUserName = "backbeat-opensearch"

// runAs returns the credential to start the node with: nil when the tests
// already run unprivileged, else runUserName's, creating that account the
// first time (useradd, no home, no login shell).
func runAs(ctx context.Context, lockDir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(runUserName)
	if err != nil {
		var unknown user.UnknownUserError
		if !errors.As(err, &unknown) {
			return nil, fmt.Errorf("opensearchtest: looking up user %s: %w", runUserName, err)
		}
		// Parallel test binaries would race to create it.
		if err := os.MkdirAll(lockDir, 0o755); err != nil {
			return nil, fmt.Errorf("opensearchtest: %w", err)
		}
		unlock, err := proctest.Lock(ctx, filepath.Join(lockDir, ".useradd.lock"))
		if err != nil {
			return nil, fmt.Errorf("opensearchtest: %w", err)
		}
		defer unlock()
		if u, err = user.Lookup(runUserName); err != nil {
			out, err := exec.CommandContext(ctx, "useradd", "--system", "--user-group", "--no-create-home",
				"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", runUserName).CombinedOutput()
			if err != nil {
				return nil, fmt.Errorf("opensearchtest: OpenSearch refuses to run as root and creating the user %s to run it as failed: %w\n%s", runUserName, err, out)
			}
			if u, err = user.Lookup(runUserName); err != nil {
				return nil, fmt.Errorf("opensearchtest: user %s after useradd: %w", runUserName, err)
			}
		}
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("opensearchtest: user %s: %w", runUserName, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// chownTree gives the node's user the files it writes: its data, logs,
// configuration (the keystore is created there) and temp directory.
func chownTree(root string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(cred.Uid), int(cred.Gid))
	})
}
