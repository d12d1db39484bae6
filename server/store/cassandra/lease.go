package cassandra

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/gocql/gocql"
)

// errLeaseLost cancels a migration whose lease could not be renewed in
// time: another process may hold it by now, and two runners must never
// change the schema at once.
var errLeaseLost = errors.New("migration lease lost")

// lease is the migration lease this process holds: the migrate_lease row
// (written by a lightweight transaction at SERIAL, so across data centres)
// naming it as owner, kept alive by renewals until released or lost.
type lease struct {
	s     Session
	owner string
	ttl   time.Duration
	log   *slog.Logger

	mu     sync.Mutex
	err    error // why the lease was lost, nil while held
	cancel context.CancelCauseFunc
	done   chan struct{}
}

func ttlSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// acquire waits until this process holds the lease: it tries to insert the
// row, and while another process holds it polls until that one releases it
// or its TTL runs out (a crashed holder).
func (m *migrator) acquire(ctx context.Context) (*lease, error) {
	l := &lease{s: m.s, owner: m.opts.owner, ttl: m.opts.leaseTTL, log: m.log}
	waiting := false
	for {
		applied, err := m.s.ExecCAS(ctx, Statement{
			CQL:    `INSERT INTO migrate_lease (name, owner, since) VALUES (?, ?, ?) IF NOT EXISTS USING TTL ?`,
			Args:   []any{leaseName, l.owner, time.Now(), ttlSeconds(l.ttl)},
			Serial: true,
		})
		if err != nil && ambiguous(err) {
			// The insert may have applied: only the row says whether
			// this process holds the lease.
			applied, err = l.held(ctx)
		}
		if err != nil {
			return nil, fmt.Errorf("take the migration lease: %w", err)
		}
		if applied {
			if waiting {
				m.log.Info("cassandra: took the migration lease", "owner", l.owner)
			}
			return l, nil
		}
		if !waiting {
			waiting = true
			var holder string
			_ = m.s.Scan(ctx, Statement{CQL: `SELECT owner FROM migrate_lease WHERE name = ?`, Args: []any{leaseName},
				Idempotent: true, Serial: true}, &holder)
			m.log.Info("cassandra: another process is migrating, waiting for it", "holder", holder)
		}
		if !sleep(ctx, m.opts.poll) {
			return nil, fmt.Errorf("wait for the migration lease: %w", ctx.Err())
		}
	}
}

// ambiguous tells whether a failed lightweight transaction may still have
// applied.
func ambiguous(err error) bool {
	var casUnknown *gocql.RequestErrCASWriteUnknown
	return retryable(err) || errors.As(err, &casUnknown)
}

// held reads the lease row at SERIAL (so a Paxos round in flight is
// finished first) and says whether this process owns it.
func (l *lease) held(ctx context.Context) (bool, error) {
	var owner string
	err := l.s.Scan(ctx, Statement{CQL: `SELECT owner FROM migrate_lease WHERE name = ?`, Args: []any{leaseName},
		Idempotent: true, Serial: true}, &owner)
	if errors.Is(err, gocql.ErrNotFound) {
		return false, nil
	}
	return owner == l.owner, err
}

// keep renews the lease every third of its TTL until stop is called. The
// returned context is cancelled, with errLeaseLost as its cause, if a
// renewal finds another owner or none succeeds within the TTL.
func (l *lease) keep(ctx context.Context) (context.Context, func()) {
	ctx, l.cancel = context.WithCancelCause(ctx)
	l.done = make(chan struct{})
	stopc := make(chan struct{})
	go func() {
		defer close(l.done)
		t := time.NewTicker(l.ttl / 3)
		defer t.Stop()
		renewed := time.Now()
		for {
			select {
			case <-stopc:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			ok, err := l.renew(ctx)
			switch {
			case err == nil && ok:
				renewed = time.Now()
				continue
			case err == nil:
				l.lose(fmt.Errorf("%w: another process holds it", errLeaseLost))
				return
			case time.Since(renewed) >= l.ttl:
				l.lose(fmt.Errorf("%w: not renewed within %s: %v", errLeaseLost, l.ttl, err))
				return
			default:
				l.log.Warn("cassandra: migration lease renewal failed, trying again", "err", err)
			}
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() { close(stopc) })
		<-l.done
	}
}

func (l *lease) renew(ctx context.Context) (bool, error) {
	applied, err := l.s.ExecCAS(ctx, Statement{
		CQL:    `UPDATE migrate_lease USING TTL ? SET owner = ?, since = ? WHERE name = ? IF owner = ?`,
		Args:   []any{ttlSeconds(l.ttl), l.owner, time.Now(), leaseName, l.owner},
		Serial: true,
	})
	if err != nil && ambiguous(err) {
		return l.held(ctx)
	}
	return applied, err
}

func (l *lease) lose(err error) {
	l.mu.Lock()
	l.err = err
	l.mu.Unlock()
	l.log.Error("cassandra: stopping migration", "err", err)
	l.cancel(err)
}

func (l *lease) lost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// release deletes the lease row if this process still owns it, so a waiting
// process goes on at once instead of after the TTL. It runs on its own
// context: the migration's may be the one that was cancelled.
func (l *lease) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := l.s.ExecCAS(ctx, Statement{CQL: `DELETE FROM migrate_lease WHERE name = ? IF owner = ?`,
		Args: []any{leaseName, l.owner}, Serial: true}); err != nil {
		l.log.Warn("cassandra: could not release the migration lease; it expires by itself", "ttl", l.ttl, "err", err)
	}
}
