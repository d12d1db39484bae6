package obs

import (
	"context"
	"errors"
	"io"

	"github.com/backbeat/backbeat/server/media/blob"
)

// Blobs puts the blob store (a shared volume, S3) behind a breaker named
// "blobs": while it is down, media requests and uploads are answered 503
// with Retry-After at once instead of each waiting for the storage's own
// timeout. A missing blob is an answer, not a failure.
func Blobs(s blob.Store, cfg BreakerConfig, m *Metrics) blob.Store {
	return blobs{s, newBreaker("blobs", cfg, m, func(err error) bool {
		var re *readerError
		return errors.Is(err, blob.ErrNotFound) || errors.As(err, &re)
	})}
}

// readerError is a Put that failed because its reader did (an upload cut
// short by the client): the storage is not to blame.
type readerError struct{ err error }

func (e *readerError) Error() string { return e.err.Error() }
func (e *readerError) Unwrap() error { return e.err }

// watchedReader remembers whether its reader failed.
type watchedReader struct {
	r      io.Reader
	failed bool
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if err != nil && err != io.EOF {
		w.failed = true
	}
	return n, err
}

type blobs struct {
	next blob.Store
	br   *Breaker
}

func (b blobs) Put(ctx context.Context, key string, r io.Reader) (n int64, err error) {
	wr := &watchedReader{r: r}
	err = b.br.Do(func() error {
		var err error
		n, err = b.next.Put(ctx, key, wr)
		if err != nil && wr.failed {
			return &readerError{err}
		}
		return err
	})
	var re *readerError
	if errors.As(err, &re) {
		err = re.err // the caller tells a client's failure by its own error
	}
	return n, err
}

func (b blobs) Open(ctx context.Context, key string) (o blob.Object, err error) {
	err = b.br.Do(func() error {
		var err error
		o, err = b.next.Open(ctx, key)
		return err
	})
	return o, err
}

func (b blobs) DeletePrefix(ctx context.Context, prefix string) error {
	return b.br.Do(func() error { return b.next.DeletePrefix(ctx, prefix) })
}
