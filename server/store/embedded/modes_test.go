package embedded_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/backbeat/backbeat/server/store/embedded"
)

// A database an older version left readable by other users (0644, as
// SQLite creates it) is made private when it is opened again.
func TestOpenMakesAnOldDatabasePrivate(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "backbeat.db")
	s, err := embedded.Open(t.Context(), dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// What an older version left behind: a readable database and WAL.
	if err := os.WriteFile(db+"-wal", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{db, db + "-wal"} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err = embedded.Open(t.Context(), dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), m)
		}
	}
}
