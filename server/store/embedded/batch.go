package embedded

import (
	"context"
	"fmt"

	"github.com/backbeat/backbeat/server/derrors"
)

// A batch runs many store calls in one transaction. SQLite's cost per write
// is mostly the commit; loading a catalog call by call pays it per track,
// which makes a 100k-track import take a minute instead of seconds.

type batchKey struct{}

type batch struct {
	s       *Store
	q       txn
	changes indexChanges
	n       int // savepoints opened, to name them
}

// Batch runs fn, whose calls to this store's methods with the context it is
// given all happen in one transaction: committed if fn returns nil, rolled
// back otherwise. Each call inside still fails whole, as outside a batch,
// and reads inside see the batch's writes. Other writers wait until the
// batch ends, so keep batches to a few thousand writes. A Batch inside a
// batch joins it.
func (s *Store) Batch(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if s.batchOf(ctx) != nil {
		return fn(ctx)
	}
	defer derrors.Wrap(&err, "embedded.Batch")
	// Catalog writes hold catalogMu, then the connection; so does a batch,
	// which may contain catalog writes.
	s.catalogMu.Lock()
	defer s.catalogMu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	var missed []string
	defer s.cacheMissed(ctx, &missed)
	b := &batch{s: s, q: newTxn(tx, s.writes.stmtCache, &missed)}
	if err := fn(context.WithValue(ctx, batchKey{}, b)); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	b.changes.apply(s.index)
	return nil
}

func (s *Store) batchOf(ctx context.Context) *batch {
	if b, ok := ctx.Value(batchKey{}).(*batch); ok && b.s == s {
		return b
	}
	return nil
}

// run runs fn inside the batch under a savepoint, so a failing call
// undoes its own writes and only those.
func (b *batch) run(ctx context.Context, fn func(tx querier) error) error {
	b.n++
	sp := fmt.Sprintf("call%d", b.n)
	if _, err := b.q.tx.ExecContext(ctx, "SAVEPOINT "+sp); err != nil {
		return err
	}
	if err := fn(b.q); err != nil {
		b.q.tx.ExecContext(ctx, "ROLLBACK TO "+sp)
		b.q.tx.ExecContext(ctx, "RELEASE "+sp)
		return err
	}
	_, err := b.q.tx.ExecContext(ctx, "RELEASE "+sp)
	return err
}

// rq is where a read runs: in the caller's batch, if any, so it sees the
// batch's writes; otherwise on the read pool.
func (s *Store) rq(ctx context.Context) querier {
	if b := s.batchOf(ctx); b != nil {
		return b.q
	}
	return s.reads
}

// wq is where a single-statement write runs: in the caller's batch, if any;
// otherwise on its own (a statement is a transaction of its own).
func (s *Store) wq(ctx context.Context) querier {
	if b := s.batchOf(ctx); b != nil {
		return b.q
	}
	return s.writes
}

// cacheMissed prepares for the write pool the statements a transaction had
// to prepare for itself (see txn), now that the connection is free.
func (s *Store) cacheMissed(ctx context.Context, missed *[]string) {
	for _, q := range *missed {
		// Failing to cache only costs speed; the statement ran.
		s.writes.get(ctx, q)
	}
}
