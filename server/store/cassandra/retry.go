package cassandra

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gocql/gocql"
)

// RetryConfig shapes how statements are retried and how long each attempt
// may take.
type RetryConfig struct {
	// Attempts is how many times an idempotent statement is tried in all.
	Attempts int
	// MinBackoff and MaxBackoff bound the wait before a retry, which
	// doubles from MinBackoff.
	MinBackoff, MaxBackoff time.Duration
	// AttemptTimeout caps one attempt (the driver's per-request timeout).
	AttemptTimeout time.Duration
	// MinAttempt is the least time worth giving an attempt: with less left
	// before the caller's deadline no retry starts.
	MinAttempt time.Duration
}

func defaultRetry(timeout time.Duration) RetryConfig {
	return RetryConfig{Attempts: 3, MinBackoff: 50 * time.Millisecond, MaxBackoff: time.Second,
		AttemptTimeout: timeout, MinAttempt: 20 * time.Millisecond}
}

// retryable tells whether an error may go away on another attempt of the
// same statement: a timeout or too few live replicas. Anything else (a
// syntax error, an invalid request, an overloaded node, a cancelled caller)
// is returned as it is: retrying it only adds load or delay.
func retryable(err error) bool {
	var (
		unavailable  *gocql.RequestErrUnavailable
		writeTimeout *gocql.RequestErrWriteTimeout
		readTimeout  *gocql.RequestErrReadTimeout
	)
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.As(err, &unavailable), errors.As(err, &writeTimeout), errors.As(err, &readTimeout),
		errors.Is(err, gocql.ErrTimeoutNoResponse), errors.Is(err, gocql.ErrUnavailable):
		return true
	case errors.Is(err, gocql.ErrConnectionClosed), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		// The node went away with the request in flight: unavailable, as
		// far as this statement goes. Another replica may answer.
		return true
	}
	return false
}

// backoff is the wait before retry number n (1 for the first retry).
func (c RetryConfig) backoff(n int) time.Duration {
	d := c.MinBackoff
	for i := 1; i < n && d < c.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, c.MaxBackoff)
}

// sleep waits d or until ctx ends, and says whether the full wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// attemptBudget is how long the next attempt may take: the per-attempt cap,
// or, when the caller's deadline is nearer, a share of what is left that
// keeps room for the remaining attempts (each at least MinAttempt), so a
// timeout on a dead replica still leaves time to try another. ok is false
// when not even MinAttempt is left.
func (c RetryConfig) attemptBudget(ctx context.Context, attemptsLeft int) (d time.Duration, ok bool) {
	d = c.AttemptTimeout
	deadline, has := ctx.Deadline()
	if !has {
		return d, true
	}
	left := time.Until(deadline)
	if left < c.MinAttempt {
		return 0, false
	}
	share := left
	if attemptsLeft > 1 {
		share = max(left/time.Duration(attemptsLeft), c.MinAttempt)
	}
	if d <= 0 || share < d {
		d = share
	}
	return d, true
}

// retrying is the Session wrapper that gives each attempt its timeout and
// retries idempotent statements on timeouts and unavailability, waiting
// between attempts for as long as the caller's context allows.
type retrying struct {
	next Session
	cfg  RetryConfig
}

func withRetries(next Session, cfg RetryConfig) Session { return retrying{next, cfg} }

// do runs one statement through the policy; try makes one attempt.
func (r retrying) do(ctx context.Context, st Statement, try func(ctx context.Context) error) error {
	attempts := max(r.cfg.Attempts, 1)
	if !st.Idempotent {
		// A timed-out LWT or counter update may have applied: sending
		// it again could apply it twice. The caller resolves it.
		attempts = 1
	}
	var err error
	for n := range attempts {
		if n > 0 && !sleep(ctx, r.cfg.backoff(n)) {
			return errors.Join(err, ctx.Err())
		}
		budget, ok := r.cfg.attemptBudget(ctx, attempts-n)
		if !ok {
			if err == nil {
				err = context.DeadlineExceeded
			}
			return err
		}
		actx, cancel := ctx, context.CancelFunc(func() {})
		if budget > 0 {
			actx, cancel = context.WithTimeout(ctx, budget)
		}
		err = try(actx)
		// The attempt's own deadline passing is a timeout like the
		// driver's; the caller's is not retried.
		if err != nil && ctx.Err() == nil && actx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (attempt cut at %s to fit the caller's deadline)", gocql.ErrTimeoutNoResponse, budget)
		}
		cancel()
		if err == nil || !retryable(err) {
			return err
		}
	}
	return err
}

func (r retrying) Exec(ctx context.Context, st Statement) error {
	return r.do(ctx, st, func(ctx context.Context) error { return r.next.Exec(ctx, st) })
}

func (r retrying) ExecCAS(ctx context.Context, st Statement) (applied bool, err error) {
	err = r.do(ctx, st, func(ctx context.Context) (err error) {
		applied, err = r.next.ExecCAS(ctx, st)
		return err
	})
	return applied, err
}

func (r retrying) Scan(ctx context.Context, st Statement, dest ...any) error {
	return r.do(ctx, st, func(ctx context.Context) error { return r.next.Scan(ctx, st, dest...) })
}

func (r retrying) Batch(ctx context.Context, stmts []Statement) error {
	all := Statement{Idempotent: true}
	for _, st := range stmts {
		all.Idempotent = all.Idempotent && st.Idempotent
	}
	return r.do(ctx, all, func(ctx context.Context) error { return r.next.Batch(ctx, stmts) })
}

func (r retrying) BatchCAS(ctx context.Context, stmts []Statement) (applied bool, err error) {
	err = r.do(ctx, Statement{}, func(ctx context.Context) (err error) {
		applied, err = r.next.BatchCAS(ctx, stmts)
		return err
	})
	return applied, err
}

func (r retrying) AwaitSchemaAgreement(ctx context.Context) error {
	return r.next.AwaitSchemaAgreement(ctx)
}

// queryRetry is the same policy for statements the driver runs itself (the
// gocqlx queries of the store's operations): one instance per
// statement, bound to its context. gocql asks Attempt before it knows the
// error and GetRetryType after, so the wait happens in GetRetryType, only
// for an error worth retrying, and ends early when the context does.
type queryRetry struct {
	ctx   context.Context
	cfg   RetryConfig
	tries atomic.Int32
}

func newQueryRetry(ctx context.Context, cfg RetryConfig) *queryRetry {
	return &queryRetry{ctx: ctx, cfg: cfg}
}

func (p *queryRetry) Attempt(q gocql.RetryableQuery) bool {
	iq, ok := q.(interface{ IsIdempotent() bool })
	if !ok || !iq.IsIdempotent() {
		return false
	}
	if q.Attempts() >= p.cfg.Attempts {
		return false
	}
	_, ok = p.cfg.attemptBudget(p.ctx, p.cfg.Attempts-q.Attempts())
	return ok && p.ctx.Err() == nil
}

func (p *queryRetry) GetRetryType(err error) gocql.RetryType {
	if !retryable(err) {
		return gocql.Rethrow
	}
	n := int(p.tries.Add(1))
	if !sleep(p.ctx, p.cfg.backoff(n)) {
		return gocql.Rethrow
	}
	return gocql.RetryNextHost
}
