package app_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// umaskChildEnv tells this test binary, run again as a child, to start a
// server under umask 0 in the data dir it names.
const umaskChildEnv = "BACKBEAT_TEST_UMASK0_DATA_DIR"

// TestDataDirIsPrivate starts a server under a permissive umask (0, in a
// child process: the umask is per process) with a data dir that does not
// exist yet: the dir is 0700 and every file Backbeat keeps there (the
// database and its WAL and shared-memory files, both signing keys, the
// broker's store) is 0600, every directory 0700.
func TestDataDirIsPrivate(t *testing.T) {
	if dir := os.Getenv(umaskChildEnv); dir != "" {
		syscall.Umask(0)
		apptest.Start(t, func(c *app.Config) {
			c.DataDir = dir
			// Blobs are media, shared by replicas: kept elsewhere here.
			c.Media.BlobDir = filepath.Join(filepath.Dir(dir), "blobs")
		})
		// While serving, SQLite keeps its WAL and shared-memory files.
		checkPrivate(t, dir, "backbeat.db-wal", "backbeat.db-shm")
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDataDirIsPrivate$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), umaskChildEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child under umask 0: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestDataDirIsPrivate") {
		t.Fatalf("child did not run the check:\n%s", out)
	}
	// And again once stopped (the WAL folded back, the files reopened).
	checkPrivate(t, dir)
}

// checkPrivate checks the modes under dir, and that the database, both keys,
// the broker's store and the named files are there.
func checkPrivate(t *testing.T, dir string, more ...string) {
	t.Helper()
	want := map[string]bool{"backbeat.db": false, "oidc-signing-key.pem": false, "media-signing.key": false, "nats": false}
	for _, name := range more {
		want[name] = false
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if _, ok := want[rel]; ok {
			want[rel] = true
		}
		if rel == "work" {
			return filepath.SkipDir // the worker's scratch space: transcodes only
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch perm := fi.Mode().Perm(); {
		case d.IsDir() && perm != 0o700:
			t.Errorf("%s: directory mode %v, want 0700", rel, perm)
		case fi.Mode().IsRegular() && perm != 0o600:
			t.Errorf("%s: file mode %v, want 0600", rel, perm)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("%s not found in the data dir", name)
		}
	}
}
