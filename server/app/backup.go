package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/backbeat/backbeat/server/auth"
	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/store/embedded"
)

// A backup of an embedded deployment is a directory: the database snapshot,
// the signing keys found in the data directory, and backup.json, which
// lists them with their checksums and names every blob the blob directory
// held (blobs are large and already live on shared storage or S3: they are
// listed, not copied, so a restore can say which are missing).
const (
	BackupManifestFile = "backup.json"
	mediaKeyFile       = "media-signing.key"
)

// backupKeys are the data directory's key files a backup carries.
var backupKeys = []string{auth.SigningKeyFile, mediaKeyFile}

// BackupManifest is backup.json.
type BackupManifest struct {
	Format  int          `json:"format"`
	Created time.Time    `json:"created"`
	Files   []BackupFile `json:"files"`
	// BlobDir is the blob directory listed; empty when blobs are in S3,
	// which this backup does not list.
	BlobDir string       `json:"blob_dir,omitempty"`
	Blobs   []BackupBlob `json:"blobs"`
}

// BackupFile is one file of the backup.
type BackupFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// BackupBlob is one blob that existed when the backup was taken.
type BackupBlob struct {
	Key  string `json:"key"`
	Size int64  `json:"size"`
}

// Backup copies the embedded store of cfg.DataDir, while a server may be
// serving writes on it, into dest (a new or empty directory): a consistent
// snapshot of the database as of the moment it starts, the signing keys
// and a manifest of the blobs.
func Backup(ctx context.Context, cfg Config, dest string) (_ *BackupManifest, err error) {
	defer derrors.Wrap(&err, "app.Backup(%q, %q)", cfg.DataDir, dest)
	if cfg.Store != "embedded" {
		return nil, errors.New("backbeat backup copies the embedded store; back up Cassandra with nodetool snapshot (see server/docs/operations.md)")
	}
	cfg = cfg.derived()
	if err := emptyDir(dest); err != nil {
		return nil, err
	}
	m := &BackupManifest{Format: 1, Created: time.Now().UTC()}
	if err := embedded.Snapshot(ctx, cfg.DataDir, filepath.Join(dest, embedded.DBFile)); err != nil {
		return nil, err
	}
	names := []string{embedded.DBFile}
	for _, k := range backupKeys {
		switch err := copyFile(filepath.Join(cfg.DataDir, k), filepath.Join(dest, k)); {
		case errors.Is(err, fs.ErrNotExist):
			// Not made yet, or given by flag (--media-signing-key): the
			// operator keeps that one.
		case err != nil:
			return nil, err
		default:
			names = append(names, k)
		}
	}
	for _, n := range names {
		f, err := describe(filepath.Join(dest, n))
		if err != nil {
			return nil, err
		}
		m.Files = append(m.Files, f)
	}
	if cfg.Media.S3Bucket == "" {
		m.BlobDir = cfg.Media.BlobDir
		if m.Blobs, err = listBlobs(cfg.Media.BlobDir); err != nil {
			return nil, err
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return m, os.WriteFile(filepath.Join(dest, BackupManifestFile), append(b, '\n'), 0o600)
}

// RestoreReport says what a restore found.
type RestoreReport struct {
	Manifest *BackupManifest
	// MissingBlobs are blobs the backup listed that the blob directory
	// lacks (their tracks will not play until they are put back).
	MissingBlobs []string
}

// Restore puts the backup in src into cfg.DataDir, which must be empty or
// missing: it checks every file against the manifest and the database's
// consistency before anything is copied, so a damaged backup leaves the
// data directory untouched.
func Restore(ctx context.Context, cfg Config, src string) (_ *RestoreReport, err error) {
	defer derrors.Wrap(&err, "app.Restore(%q, %q)", src, cfg.DataDir)
	if cfg.Store != "embedded" {
		return nil, errors.New("backbeat restore restores the embedded store; restore Cassandra from its snapshots (see server/docs/operations.md)")
	}
	cfg = cfg.derived()
	b, err := os.ReadFile(filepath.Join(src, BackupManifestFile))
	if err != nil {
		return nil, err
	}
	m := &BackupManifest{}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("%s: %w", BackupManifestFile, err)
	}
	if m.Format != 1 {
		return nil, fmt.Errorf("%s: format %d is not one this version reads", BackupManifestFile, m.Format)
	}
	for _, f := range m.Files {
		if filepath.Base(f.Name) != f.Name {
			return nil, fmt.Errorf("%s names %q, outside the backup", BackupManifestFile, f.Name)
		}
		got, err := describe(filepath.Join(src, f.Name))
		if err != nil {
			return nil, err
		}
		if got != f {
			return nil, fmt.Errorf("%s differs from the manifest (size %d, sha256 %s; want %d, %s)", f.Name, got.Size, got.SHA256, f.Size, f.SHA256)
		}
	}
	if err := embedded.Check(ctx, filepath.Join(src, embedded.DBFile)); err != nil {
		return nil, err
	}
	// Over a data directory in use the restore would mix two stores.
	if err := emptyDir(cfg.DataDir); err != nil {
		return nil, err
	}
	for _, f := range m.Files {
		if err := copyFile(filepath.Join(src, f.Name), filepath.Join(cfg.DataDir, f.Name)); err != nil {
			return nil, err
		}
	}
	r := &RestoreReport{Manifest: m}
	if cfg.Media.S3Bucket == "" {
		for _, bl := range m.Blobs {
			fi, err := os.Stat(filepath.Join(cfg.Media.BlobDir, filepath.FromSlash(bl.Key)))
			if err != nil || fi.Size() != bl.Size {
				r.MissingBlobs = append(r.MissingBlobs, bl.Key)
			}
		}
	}
	return r, nil
}

// emptyDir makes dir (0700) if it is missing and refuses it if it holds
// anything.
func emptyDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty (it holds %s)", dir, entries[0].Name())
	}
	return nil
}

// copyFile copies src to a new file dst, private to this user.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// describe is path's size and SHA-256.
func describe(path string) (BackupFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return BackupFile{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return BackupFile{}, err
	}
	return BackupFile{Name: filepath.Base(path), Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// listBlobs lists the blob directory's objects by key; a missing directory
// holds none.
func listBlobs(dir string) ([]BackupBlob, error) {
	blobs := []BackupBlob{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == dir {
			return filepath.SkipAll
		}
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		blobs = append(blobs, BackupBlob{Key: filepath.ToSlash(rel), Size: fi.Size()})
		return nil
	})
	return blobs, err
}
