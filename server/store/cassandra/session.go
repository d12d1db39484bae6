package cassandra

import (
	"context"

	"github.com/gocql/gocql"
)

// Session is the thin driver surface the store's retried statements go
// through (the migration runner, its lease, and derived-row writes): one
// attempt of one statement per call. It is small on purpose, so that a test
// can stand in for the driver and make chosen statements time out, fail, or
// apply and then time out (the ambiguous case), the way Temporal's failing
// session does for its Cassandra persistence.
type Session interface {
	// Exec runs a statement that returns no rows.
	Exec(ctx context.Context, st Statement) error
	// ExecCAS runs a lightweight transaction and says whether it applied.
	ExecCAS(ctx context.Context, st Statement) (applied bool, err error)
	// Scan reads the first row into dest; gocql.ErrNotFound if none.
	Scan(ctx context.Context, st Statement, dest ...any) error
	// Batch runs statements as one logged batch: all of them land or, if
	// the batch log was written, eventually will. It is idempotent when
	// every statement is.
	Batch(ctx context.Context, stmts []Statement) error
	// BatchCAS runs a conditional logged batch (one partition of one table,
	// a condition on some statement) and says whether it applied. Like a
	// lightweight transaction it is never retried.
	BatchCAS(ctx context.Context, stmts []Statement) (applied bool, err error)
	// AwaitSchemaAgreement waits until every reachable node reports the
	// same schema version.
	AwaitSchemaAgreement(ctx context.Context) error
}

// Statement is one CQL statement and what the retry layer needs to know
// about it.
type Statement struct {
	CQL  string
	Args []any
	// Idempotent says the statement may land more than once with the same
	// effect: only these are retried after a timeout.
	Idempotent bool
	// Serial runs a read at SERIAL consistency (it sees every applied
	// lightweight transaction, across data centres); for LWTs it sets the
	// serial consistency of the Paxos round.
	Serial bool
}

// driverSession is Session on a gocql session. It makes exactly one
// attempt: retries are the retrying wrapper's job, where a test can see them.
type driverSession struct{ s *gocql.Session }

func (d driverSession) query(ctx context.Context, st Statement) *gocql.Query {
	q := d.s.Query(st.CQL, st.Args...).WithContext(ctx).Idempotent(st.Idempotent).RetryPolicy(noRetry{})
	if st.Serial {
		q = q.SerialConsistency(gocql.Serial)
		if isSelect(st.CQL) {
			q = q.Consistency(gocql.Consistency(gocql.Serial))
		}
	}
	return q
}

func (d driverSession) Exec(ctx context.Context, st Statement) error {
	return d.query(ctx, st).Exec()
}

func (d driverSession) ExecCAS(ctx context.Context, st Statement) (bool, error) {
	// MapScanCAS takes whatever columns a failed condition returns.
	return d.query(ctx, st).MapScanCAS(map[string]any{})
}

func (d driverSession) Scan(ctx context.Context, st Statement, dest ...any) error {
	return d.query(ctx, st).Scan(dest...)
}

func (d driverSession) Batch(ctx context.Context, stmts []Statement) error {
	b := d.s.NewBatch(gocql.LoggedBatch).WithContext(ctx)
	b.RetryPolicy(noRetry{})
	for _, st := range stmts {
		b.Entries = append(b.Entries, gocql.BatchEntry{Stmt: st.CQL, Args: st.Args, Idempotent: st.Idempotent})
	}
	return d.s.ExecuteBatch(b)
}

func (d driverSession) BatchCAS(ctx context.Context, stmts []Statement) (bool, error) {
	b := d.s.NewBatch(gocql.LoggedBatch).WithContext(ctx)
	b.RetryPolicy(noRetry{})
	for _, st := range stmts {
		b.Entries = append(b.Entries, gocql.BatchEntry{Stmt: st.CQL, Args: st.Args})
	}
	applied, iter, err := d.s.ExecuteBatchCAS(b)
	if iter != nil {
		_ = iter.Close()
	}
	return applied, err
}

func (d driverSession) AwaitSchemaAgreement(ctx context.Context) error {
	return d.s.AwaitSchemaAgreement(ctx)
}

func isSelect(cql string) bool {
	for i := 0; i < len(cql); i++ {
		switch c := cql[i]; c {
		case ' ', '\t', '\n', '\r':
			continue
		default:
			return len(cql)-i >= 6 && (cql[i:i+6] == "SELECT" || cql[i:i+6] == "select")
		}
	}
	return false
}

// noRetry is the driver-level policy of statements whose retries are
// decided elsewhere.
type noRetry struct{}

func (noRetry) Attempt(gocql.RetryableQuery) bool  { return false }
func (noRetry) GetRetryType(error) gocql.RetryType { return gocql.Rethrow }
