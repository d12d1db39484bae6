package cassandra

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/gocql/gocql"
)

// faultKind is what a failing session does to a statement it matches.
type faultKind int

const (
	// timeoutBefore: the statement never reaches the cluster and the
	// caller sees a timeout.
	timeoutBefore faultKind = iota
	// failWith: the statement never reaches the cluster and the caller
	// sees the fault's error.
	failWith
	// applyThenTimeout: the statement applies but the caller sees a
	// timeout, the ambiguous case every undo path has to survive.
	applyThenTimeout
	// applyThenFail: the statement applies and the caller sees the
	// fault's error (a process dying right after, as far as it knows).
	applyThenFail
)

// fault makes the statements whose CQL contains match misbehave, times
// times (0: every time).
type fault struct {
	match string
	kind  faultKind
	err   error
	times int
	hits  int
}

// failingSession is a Session that passes statements to next except those a
// fault matches: the test double in the spirit of Temporal's failing
// session, for making chosen statements time out, fail or apply and then
// time out.
type failingSession struct {
	next Session

	mu     sync.Mutex
	faults []*fault
	// applied counts, per CQL text, the statements that reached next.
	applied map[string]int
	// attempts counts every call, faulted or not.
	attempts map[string]int
}

func newFailingSession(next Session, faults ...*fault) *failingSession {
	return &failingSession{next: next, faults: faults, applied: map[string]int{}, attempts: map[string]int{}}
}

// errInjectedTimeout is the timeout a fault reports: the driver's own error
// for a request with no answer in time.
var errInjectedTimeout = gocql.ErrTimeoutNoResponse

// plan counts the call and says what to do with it.
func (f *failingSession) plan(st Statement) (*fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts[st.CQL]++
	for _, ft := range f.faults {
		if strings.Contains(st.CQL, ft.match) && (ft.times == 0 || ft.hits < ft.times) {
			ft.hits++
			return ft, true
		}
	}
	return nil, false
}

func (f *failingSession) run(ctx context.Context, st Statement, call func(context.Context) error) error {
	ft, ok := f.plan(st)
	if ok && (ft.kind == timeoutBefore || ft.kind == failWith) {
		if ft.kind == timeoutBefore {
			return errInjectedTimeout
		}
		return ft.err
	}
	err := call(ctx)
	if err == nil {
		f.mu.Lock()
		f.applied[st.CQL]++
		f.mu.Unlock()
	}
	if !ok || err != nil {
		return err
	}
	if ft.kind == applyThenTimeout {
		return errInjectedTimeout
	}
	return ft.err
}

func (f *failingSession) Exec(ctx context.Context, st Statement) error {
	return f.run(ctx, st, func(ctx context.Context) error { return f.next.Exec(ctx, st) })
}

func (f *failingSession) ExecCAS(ctx context.Context, st Statement) (applied bool, err error) {
	err = f.run(ctx, st, func(ctx context.Context) (err error) {
		applied, err = f.next.ExecCAS(ctx, st)
		return err
	})
	return applied, err
}

func (f *failingSession) Scan(ctx context.Context, st Statement, dest ...any) error {
	return f.run(ctx, st, func(ctx context.Context) error { return f.next.Scan(ctx, st, dest...) })
}

// Batch is faulted as a whole when any of its statements matches.
func (f *failingSession) Batch(ctx context.Context, stmts []Statement) error {
	var cqls []string
	for _, st := range stmts {
		cqls = append(cqls, st.CQL)
	}
	return f.run(ctx, Statement{CQL: strings.Join(cqls, "; ")}, func(ctx context.Context) error { return f.next.Batch(ctx, stmts) })
}

// BatchCAS is faulted as a whole when any of its statements matches.
func (f *failingSession) BatchCAS(ctx context.Context, stmts []Statement) (applied bool, err error) {
	var cqls []string
	for _, st := range stmts {
		cqls = append(cqls, st.CQL)
	}
	err = f.run(ctx, Statement{CQL: strings.Join(cqls, "; ")}, func(ctx context.Context) (err error) {
		applied, err = f.next.BatchCAS(ctx, stmts)
		return err
	})
	return applied, err
}

func (f *failingSession) AwaitSchemaAgreement(ctx context.Context) error {
	return f.next.AwaitSchemaAgreement(ctx)
}

func (f *failingSession) appliedCount(cql string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied[cql]
}

func (f *failingSession) attemptCount(cql string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts[cql]
}

// nopSession is a cluster that accepts every statement at once; block, if
// set, runs first (to hold an attempt until its context ends).
type nopSession struct {
	block func(ctx context.Context) error
}

func (n nopSession) do(ctx context.Context) error {
	if n.block != nil {
		return n.block(ctx)
	}
	return nil
}

func (n nopSession) Exec(ctx context.Context, _ Statement) error { return n.do(ctx) }
func (n nopSession) ExecCAS(ctx context.Context, _ Statement) (bool, error) {
	err := n.do(ctx)
	return err == nil, err
}
func (n nopSession) Scan(ctx context.Context, _ Statement, _ ...any) error { return n.do(ctx) }
func (n nopSession) Batch(ctx context.Context, _ []Statement) error        { return n.do(ctx) }
func (n nopSession) BatchCAS(ctx context.Context, _ []Statement) (bool, error) {
	err := n.do(ctx)
	return err == nil, err
}
func (n nopSession) AwaitSchemaAgreement(context.Context) error { return nil }

var errInvalid = errors.New("invalid request")
