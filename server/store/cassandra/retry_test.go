package cassandra

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// testRetry retries fast, so the tests below wait for nothing but what they
// check.
var testRetry = RetryConfig{Attempts: 3, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
	AttemptTimeout: 10 * time.Second, MinAttempt: time.Millisecond}

const (
	idemWrite = `INSERT INTO users (id, username) VALUES (?, ?)`
	casWrite  = `INSERT INTO users_by_username (username, user_id) VALUES (?, ?) IF NOT EXISTS`
)

// An idempotent statement that times out before reaching the cluster is
// sent again, and lands once.
func TestRetryIdempotentTimeout(t *testing.T) {
	f := newFailingSession(nopSession{}, &fault{match: "INSERT INTO users ", kind: timeoutBefore, times: 2})
	s := withRetries(f, testRetry)
	if err := s.Exec(t.Context(), Statement{CQL: idemWrite, Idempotent: true}); err != nil {
		t.Fatalf("Exec after two timeouts: %v; want the third attempt to succeed", err)
	}
	if a, n := f.attemptCount(idemWrite), f.appliedCount(idemWrite); a != 3 || n != 1 {
		t.Fatalf("attempts %d, applied %d; want 3 attempts, applied once", a, n)
	}
	// Unavailable is retried like a timeout.
	f = newFailingSession(nopSession{}, &fault{match: "INSERT", kind: failWith, times: 1,
		err: &gocql.RequestErrUnavailable{}})
	if err := withRetries(f, testRetry).Exec(t.Context(), Statement{CQL: idemWrite, Idempotent: true}); err != nil || f.attemptCount(idemWrite) != 2 {
		t.Fatalf("after Unavailable: err %v, %d attempts; want success on the second", err, f.attemptCount(idemWrite))
	}
}

// A lightweight transaction (not idempotent) that applied and then timed
// out is not sent again: the caller gets the timeout, to resolve by reading.
func TestRetryNeverRepeatsNonIdempotent(t *testing.T) {
	f := newFailingSession(nopSession{}, &fault{match: "IF NOT EXISTS", kind: applyThenTimeout})
	_, err := withRetries(f, testRetry).ExecCAS(t.Context(), Statement{CQL: casWrite})
	if !errors.Is(err, gocql.ErrTimeoutNoResponse) {
		t.Fatalf("ExecCAS: %v; want the timeout", err)
	}
	if a, n := f.attemptCount(casWrite), f.appliedCount(casWrite); a != 1 || n != 1 {
		t.Fatalf("attempts %d, applied %d; want exactly one of each", a, n)
	}
}

// Errors no retry fixes (an invalid statement, an overloaded node, a
// missing row) are returned at once.
func TestRetryOnlyTimeoutsAndUnavailable(t *testing.T) {
	for _, err := range []error{errInvalid, gocql.ErrNotFound, &gocql.RequestErrWriteFailure{}} {
		f := newFailingSession(nopSession{}, &fault{match: "INSERT", kind: failWith, err: err})
		got := withRetries(f, testRetry).Exec(t.Context(), Statement{CQL: idemWrite, Idempotent: true})
		if !errors.Is(got, err) || f.attemptCount(idemWrite) != 1 {
			t.Errorf("%T: got %v after %d attempts; want it returned after one", err, got, f.attemptCount(idemWrite))
		}
	}
}

// Cancelling the caller ends the wait between attempts at once: a backoff
// of an hour does not hold a cancelled request.
func TestRetryBackoffHonoursCancellation(t *testing.T) {
	cfg := testRetry
	cfg.MinBackoff, cfg.MaxBackoff = time.Hour, time.Hour
	f := newFailingSession(nopSession{}, &fault{match: "INSERT", kind: timeoutBefore})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- withRetries(f, cfg).Exec(ctx, Statement{CQL: idemWrite, Idempotent: true}) }()
	for f.attemptCount(idemWrite) == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || !errors.Is(err, gocql.ErrTimeoutNoResponse) {
			t.Fatalf("err %v; want the timeout and the cancellation", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the retry kept waiting out its backoff after the caller was cancelled")
	}
	if n := f.attemptCount(idemWrite); n != 1 {
		t.Fatalf("%d attempts; want no second one after cancellation", n)
	}
}

// Each attempt's timeout comes from the caller's deadline: with a 10s
// per-request timeout and 600ms left, an attempt against a replica that
// never answers is cut short so that the other attempts still fit before
// the deadline, and the caller gets an answer by then.
func TestRetryAttemptTimeoutFromDeadline(t *testing.T) {
	var (
		mu        sync.Mutex
		deadlines []time.Time
	)
	hang := nopSession{block: func(ctx context.Context) error {
		d, _ := ctx.Deadline()
		mu.Lock()
		deadlines = append(deadlines, d)
		first := len(deadlines) == 1
		mu.Unlock()
		if first {
			<-ctx.Done() // the first replica never answers
			return ctx.Err()
		}
		return nil
	}}
	ctx, cancel := context.WithTimeout(t.Context(), 600*time.Millisecond)
	defer cancel()
	callerDeadline, _ := ctx.Deadline()
	if err := withRetries(hang, testRetry).Scan(ctx, Statement{CQL: `SELECT id FROM users WHERE id = ?`, Idempotent: true}); err != nil {
		t.Fatalf("Scan: %v; want the second attempt to answer before the caller's deadline", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(deadlines) != 2 {
		t.Fatalf("%d attempts; want 2", len(deadlines))
	}
	if !deadlines[0].Before(callerDeadline) {
		t.Fatalf("first attempt's deadline %s is not before the caller's %s", deadlines[0], callerDeadline)
	}
}

// fakeQuery is what gocql shows a retry policy of a statement.
type fakeQuery struct {
	attempts   int
	idempotent bool
	ctx        context.Context
}

func (q *fakeQuery) Attempts() int                     { return q.attempts }
func (q *fakeQuery) SetConsistency(gocql.Consistency)  {}
func (q *fakeQuery) GetConsistency() gocql.Consistency { return gocql.LocalQuorum }
func (q *fakeQuery) Context() context.Context          { return q.ctx }
func (q *fakeQuery) IsIdempotent() bool                { return q.idempotent }

// The driver-level policy of the store's gocqlx statements makes the same
// decisions: idempotent statements only, timeouts and unavailability only,
// and a backoff that ends with the caller's context.
func TestQueryRetryPolicy(t *testing.T) {
	ctx := t.Context()
	p := newQueryRetry(ctx, testRetry)
	if p.Attempt(&fakeQuery{attempts: 1, ctx: ctx}) {
		t.Error("a statement not marked idempotent would be retried")
	}
	if !p.Attempt(&fakeQuery{attempts: 1, idempotent: true, ctx: ctx}) {
		t.Error("an idempotent statement after one attempt would not be retried")
	}
	if p.Attempt(&fakeQuery{attempts: 3, idempotent: true, ctx: ctx}) {
		t.Error("a statement would be tried more than Attempts times")
	}
	if got := p.GetRetryType(&gocql.RequestErrWriteTimeout{}); got != gocql.RetryNextHost {
		t.Errorf("write timeout: %v; want RetryNextHost", got)
	}
	if got := p.GetRetryType(&gocql.RequestErrWriteFailure{}); got != gocql.Rethrow {
		t.Errorf("write failure: %v; want Rethrow", got)
	}
	if got := p.GetRetryType(errInvalid); got != gocql.Rethrow {
		t.Errorf("invalid: %v; want Rethrow", got)
	}

	cfg := testRetry
	cfg.MinBackoff, cfg.MaxBackoff = time.Hour, time.Hour
	cctx, cancel := context.WithCancel(ctx)
	p = newQueryRetry(cctx, cfg)
	time.AfterFunc(10*time.Millisecond, cancel)
	if got := p.GetRetryType(&gocql.RequestErrReadTimeout{}); got != gocql.Rethrow {
		t.Errorf("backoff cut by cancellation: %v; want Rethrow", got)
	}
	if p.Attempt(&fakeQuery{attempts: 1, idempotent: true, ctx: cctx}) {
		t.Error("a cancelled statement would be retried")
	}
}
