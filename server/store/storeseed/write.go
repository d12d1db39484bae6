package storeseed

import (
	"context"
	"sync"
	"sync/atomic"
)

// DefaultConcurrency is how many writes FillCatalog and FillPlaylists keep
// in flight on a store without batches: a networked store (Cassandra) is
// bound by round trips, not by its CPU, so one call at a time leaves it
// idle, while an unbounded number would only queue in the driver.
const DefaultConcurrency = 32

// Options tune a seeding run. The zero value is usable.
type Options struct {
	// Concurrency bounds the writes in flight on a store without batches
	// (DefaultConcurrency when 0). A store with batches (see Batcher) is
	// written one batch at a time, as it has a single writer anyway.
	Concurrency int
	// Progress, when set, is called as a phase advances (about every 5% and
	// at its end), possibly from several goroutines at once.
	Progress func(p Progress)
}

// Progress reports how far one phase of a seeding run ("artists",
// "albums", "tracks", "users", "playlists") has come.
type Progress struct {
	Phase       string
	Done, Total int
}

func (o Options) concurrency() int {
	if o.Concurrency > 0 {
		return o.Concurrency
	}
	return DefaultConcurrency
}

// writeAll runs write(ctx, i) for every i in [0, n): in batches of
// perBatch, one after the other, when the store has batches, or else on
// a bounded pool of goroutines. It stops at the first error and returns
// it; writes already made stay, as with one call at a time.
func writeAll(ctx context.Context, s any, phase string, n, perBatch int, o Options, write func(ctx context.Context, i int) error) error {
	var done atomic.Int64
	step := int64(max(1, n/20))
	progressed := func() {
		d := done.Add(1)
		if o.Progress != nil && (d%step == 0 || d == int64(n)) {
			o.Progress(Progress{Phase: phase, Done: int(d), Total: n})
		}
	}
	if b, ok := s.(Batcher); ok {
		for start := 0; start < n; start += perBatch {
			err := b.Batch(ctx, func(ctx context.Context) error {
				for i := start; i < min(start+perBatch, n); i++ {
					if err := write(ctx, i); err != nil {
						return err
					}
					progressed()
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range min(o.concurrency(), max(1, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := write(ctx, i); err != nil {
					errOnce.Do(func() { firstErr = err; cancel(err) })
					return
				}
				progressed()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	// The caller's context ended: say so rather than report a short run
	// as complete.
	return context.Cause(ctx)
}
