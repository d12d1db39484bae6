package proctest

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeZip(t *testing.T, files map[string]string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "dist.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o700)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// The distribution's top directory goes, the rest keeps its place, and
// files get at least the permissions asked for (a node run as another user
// must read them).
func TestUnzipStrippedDropsTheTopDirectory(t *testing.T) {
	z := writeZip(t, map[string]string{"dist-1.0/bin/run": "#!/bin/sh\n", "dist-1.0/config/a.yml": "a: 1\n"})
	dest := t.TempDir()
	if err := UnzipStripped(z, dest, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dest, "config", "a.yml"))
	if err != nil || string(b) != "a: 1\n" {
		t.Fatalf("config/a.yml = %q, %v", b, err)
	}
	fi, err := os.Stat(filepath.Join(dest, "bin", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o744 {
		t.Errorf("bin/run mode %v, want 0744 (its own 0700 plus 0644)", got)
	}
}

func TestUnzipStrippedRefusesEscapingEntries(t *testing.T) {
	z := writeZip(t, map[string]string{"dist-1.0/../../evil": "x"})
	dest := t.TempDir()
	err := UnzipStripped(z, dest, 0o600)
	if err == nil || !strings.Contains(err.Error(), "escapes") {
		t.Fatalf("err = %v, want an entry that escapes the destination", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dest), "evil")); err == nil {
		t.Fatal("the escaping entry was written")
	}
}
