package proctest

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// UnzipStripped extracts a distribution archive into dest, dropping the
// top-level <name>-<version>/ directory every entry sits under (the layout
// of the Keycloak and OpenSearch zips). Each file keeps its mode with
// minPerm added: 0o644 where another user must read the tree, 0o600 where
// only the owner runs it. An entry that would land outside dest, or that is
// neither a file nor a directory, fails the extraction.
func UnzipStripped(zipPath, dest string, minPerm os.FileMode) error {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, f := range zr.File {
		_, rel, ok := strings.Cut(f.Name, "/")
		if !ok || rel == "" {
			continue
		}
		target := filepath.Join(dest, filepath.FromSlash(rel))
		if !strings.HasPrefix(target, dest+string(os.PathSeparator)) {
			return fmt.Errorf("entry %q escapes the destination", f.Name)
		}
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case mode.IsRegular():
			if err := extractFile(f, target, mode.Perm()|minPerm); err != nil {
				return err
			}
		default:
			return fmt.Errorf("entry %q has unsupported type %v", f.Name, mode.Type())
		}
	}
	return nil
}

func extractFile(f *zip.File, target string, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	w, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	// The zip reader checks each entry's CRC at EOF, so a truncated or
	// corrupt download fails here rather than as a baffling JVM error.
	if _, err := io.Copy(w, rc); err != nil {
		w.Close()
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	return w.Close()
}
