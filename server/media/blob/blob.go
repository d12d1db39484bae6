// Package blob stores media files: uploads as they arrive and the
// transcoded streams players fetch. Keys are slash-separated paths such as
// "media/<track>/<media>/master.m3u8".
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ErrNotFound is returned (wrapped) for a key that holds nothing.
var ErrNotFound = errors.New("blob: not found")

// Store is blob storage. Implementations: Local (a directory) and S3.
type Store interface {
	// Put stores r's bytes under key, replacing what was there. Readers see
	// either the old or the complete new object, never a partial one.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open opens the object at key for reading (with seeking, for Range
	// requests).
	Open(ctx context.Context, key string) (Object, error)
	// DeletePrefix removes every object whose key starts with prefix.
	DeletePrefix(ctx context.Context, prefix string) error
}

// Object is an open blob.
type Object interface {
	io.ReadSeekCloser
	Size() int64
	ModTime() time.Time
}

// CheckKey refuses keys that could escape a store's namespace.
func CheckKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") {
		return fmt.Errorf("blob: bad key %q", key)
	}
	for _, part := range strings.Split(key, "/") {
		if part == "" || part == "." || part == ".." || strings.ContainsAny(part, "\\\x00") {
			return fmt.Errorf("blob: bad key %q", key)
		}
	}
	return nil
}
