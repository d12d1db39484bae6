package app

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Replicas starting at once on a shared data dir end up with one media
// signing key: the one on disk.
func TestSigningKeyConcurrentFirstStartsAgree(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	const n = 16
	keys := make([][]byte, n)
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			keys[i], errs[i] = signingKey(MediaConfig{}, dir)
		}()
	}
	start.Done()
	done.Wait()
	onDisk, err := readSigningKey(filepath.Join(dir, "media-signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("start %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], onDisk) {
			t.Errorf("start %d uses %x, the key on disk is %x", i, keys[i], onDisk)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "media-signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("key file mode %v, want 0600", m)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp"))
	if len(left) != 0 {
		t.Errorf("temp files left behind: %v", left)
	}
}
