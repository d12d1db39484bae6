package keyfile_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/backbeat/backbeat/server/keyfile"
)

// TestWriteOnceRace has many writers race to create one key file, as
// replicas starting together on a shared data dir do: exactly one writer's
// data lands, complete, 0600, and nothing is left behind.
func TestWriteOnceRace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "signing.key")
	const writers = 16
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			errs <- keyfile.WriteOnce(path, bytes.Repeat([]byte(fmt.Sprintf("%02d", i)), 64))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 128 || !bytes.Equal(got, bytes.Repeat(got[:2], 64)) {
		t.Fatalf("key file holds %q, want one writer's whole data", got)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key (temp files removed)", len(entries))
	}
}

// TestWriteOnceKeepsExisting: a key already there is never replaced.
func TestWriteOnceKeepsExisting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	if err := os.WriteFile(path, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := keyfile.WriteOnce(path, []byte("second")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "first" {
		t.Fatalf("key replaced: %q", got)
	}
}
