// Package keyfile writes secret files that replicas sharing a directory
// create at first start: each file is written once, completely, readable by
// its owner only, and never replaced, so of several processes starting
// together all end up using the one file that landed.
package keyfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteOnce creates path holding data with mode 0600, unless path exists
// already: then it leaves the file alone and returns nil, and the caller
// reads back whichever contents won. No reader ever sees a partial file:
// data goes to a complete temp file first (CreateTemp opens 0600 whatever
// the umask), which is then hard-linked into place; unlike a rename, the
// link fails when the name is taken.
func WriteOnce(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := writeSynced(tmp, data); err != nil {
		return err
	}
	err = os.Link(tmp.Name(), path)
	if err == nil {
		syncDir(dir)
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	// No hard links on this filesystem: create the name exclusively and
	// write in place, still never replacing another process's file.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := writeSynced(f, data); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// writeSynced writes data, syncs it (so a crash cannot leave the final name
// pointing at an empty file) and closes f.
func writeSynced(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes the new directory entry durable; best effort, since not
// every platform can sync a directory and the file is already complete.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
