// Package cassandra is Backbeat's store on Apache Cassandra (5.0), for
// deployments that outgrow one machine or span data centres. It implements
// the domain's store interfaces and passes the same conformance suite as the
// embedded store.
//
// The schema (cassandra/cql) is modelled query first: one table per read
// path, every read names a full partition key, and writes that must agree go
// in logged batches. Uniqueness uses lightweight transactions at SERIAL; a
// playlist's entries change by one conditional batch per edit; plays are
// counted without either, by upserts rolled up in the background (rollup.go).
// See cassandra/cql/README.md for the tables and their bounds.
package cassandra

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gocql/gocql"
	"github.com/scylladb/gocqlx/v2"

	"github.com/backbeat/backbeat/server/domain"
)

// Config says where the cluster is and how to use it.
type Config struct {
	// Hosts are contact points; the driver discovers the rest of the ring.
	Hosts []string
	// LocalDC is the data centre this process runs in. Queries are routed
	// to its nodes, and LOCAL_QUORUM/LOCAL_SERIAL refer to it.
	LocalDC  string
	Keyspace string
	// Replication is the replication factor per data centre, used when
	// Migrate creates the keyspace, e.g. {"dc1": 3, "dc2": 3}.
	Replication map[string]int
	// Timeout bounds one request to a node; 0 means 10s. A request
	// made with a nearer deadline gets a share of what is left instead
	// (RetryConfig.attemptBudget).
	Timeout time.Duration
	// SpeculativeDelay is how long an idempotent read waits for its first
	// replica before asking a second one as well; 0 means 100ms, negative
	// turns speculative reads off.
	SpeculativeDelay time.Duration
	// PlayRollupPeriod is how often the play rollup adds counted plays to
	// the tracks' play counts (rollup.go), on whichever replica holds its
	// lease; a count shows after at most this plus 20 s. 0 runs no rollup
	// in this process.
	PlayRollupPeriod time.Duration
	// Logger receives the driver's messages; nil discards them.
	Logger *slog.Logger
}

func (c Config) check() error {
	switch {
	case len(c.Hosts) == 0:
		return errors.New("config: no hosts")
	case c.LocalDC == "":
		return errors.New("config: no local data centre")
	case !validName(c.Keyspace):
		return fmt.Errorf("config: keyspace %q is not a valid CQL name", c.Keyspace)
	}
	return nil
}

func (c Config) timeout() time.Duration {
	if c.Timeout <= 0 {
		return 10 * time.Second
	}
	return c.Timeout
}

// speculation is the speculative execution policy of idempotent reads: a
// slow replica (GC pause, compaction) costs one delay, not the timeout.
func (c Config) speculation() gocql.SpeculativeExecutionPolicy {
	switch {
	case c.SpeculativeDelay < 0:
		return gocql.NonSpeculativeExecution{}
	case c.SpeculativeDelay == 0:
		return &gocql.SimpleSpeculativeExecution{NumAttempts: 1, TimeoutDelay: 100 * time.Millisecond}
	}
	return &gocql.SimpleSpeculativeExecution{NumAttempts: 1, TimeoutDelay: c.SpeculativeDelay}
}

// validName accepts unquoted CQL identifiers, which is also what keeps the
// keyspace name safe to splice into CREATE KEYSPACE.
func validName(s string) bool {
	if s == "" || len(s) > 48 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Store is an open connection to the cluster.
type Store struct {
	cfg     Config
	session *gocql.Session
	x       gocqlx.Session
	// sess runs the statements that go through the thin Session
	// interface, with retries and per-attempt timeouts.
	sess  Session
	retry RetryConfig
	spec  gocql.SpeculativeExecutionPolicy
	log   *slog.Logger
	// stopRollup ends the background rollup, if this store runs one.
	stopRollup func()
}

// Open connects to the keyspace, which Migrate must have created and brought
// to this binary's schema version: any other version fails ErrSchemaVersion,
// with a message that says what to run.
func Open(ctx context.Context, cfg Config) (_ *Store, err error) {
	defer wrap(&err, "cassandra.Open(%q)", cfg.Keyspace)
	if err := cfg.check(); err != nil {
		return nil, err
	}
	session, err := connect(ctx, cfg, cfg.Keyspace)
	if err != nil {
		if missing, cerr := keyspaceMissing(ctx, cfg); cerr == nil && missing {
			return nil, fmt.Errorf("%w: keyspace %q does not exist: run `backbeat migrate`", ErrSchemaVersion, cfg.Keyspace)
		}
		return nil, err
	}
	if err := checkSchema(ctx, session, cfg.Keyspace); err != nil {
		session.Close()
		return nil, err
	}
	s := newStore(cfg, session, driverSession{session})
	if cfg.PlayRollupPeriod > 0 {
		s.startRollup(cfg.PlayRollupPeriod)
	}
	return s, nil
}

// newStore assembles a Store; sess is the driver surface (a failing one in
// tests) under the retry wrapper.
func newStore(cfg Config, session *gocql.Session, sess Session) *Store {
	retry := defaultRetry(cfg.timeout())
	return &Store{cfg: cfg, session: session, x: gocqlx.NewSession(session), sess: withRetries(sess, retry),
		retry: retry, spec: cfg.speculation(), log: logger(cfg)}
}

func logger(cfg Config) *slog.Logger {
	if cfg.Logger != nil {
		return cfg.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// connect opens a session; keyspace may be empty (for creating it).
func connect(ctx context.Context, cfg Config, keyspace string) (*gocql.Session, error) {
	cc := gocql.NewCluster(cfg.Hosts...)
	cc.Keyspace = keyspace
	// v4 is the newest protocol this driver speaks fully; Cassandra 5
	// negotiates it.
	cc.ProtoVersion = 4
	cc.Consistency = gocql.LocalQuorum
	cc.SerialConsistency = gocql.LocalSerial
	// gocql 1.7's DC-aware policy hands out remote data centres' hosts
	// once the local ones are down, so "LOCAL_QUORUM" would silently mean
	// the other data centre's quorum. The filter keeps every other data
	// centre's nodes out of the pool: with the local one down, requests
	// fail (and the service is unavailable there) instead.
	cc.HostFilter = gocql.DataCentreHostFilter(cfg.LocalDC)
	cc.PoolConfig.HostSelectionPolicy = replanned{gocql.TokenAwareHostPolicy(gocql.DCAwareRoundRobinPolicy(cfg.LocalDC))}
	// Retries are decided per statement (queryRetry, retrying): the
	// cluster-wide policy retries nothing.
	cc.RetryPolicy = noRetry{}
	cc.Timeout = cfg.timeout()
	cc.ConnectTimeout = cc.Timeout
	cc.Logger = slogLogger{logger(cfg)}
	type result struct {
		s   *gocql.Session
		err error
	}
	// CreateSession takes no context; run it aside so a cancelled ctx
	// returns at once (the session, if it comes, is closed).
	done := make(chan result, 1)
	go func() {
		s, err := cc.CreateSession()
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("connect to %v: %w", cfg.Hosts, r.err)
		}
		return r.s, nil
	case <-ctx.Done():
		go func() {
			if r := <-done; r.s != nil {
				r.s.Close()
			}
		}()
		return nil, fmt.Errorf("connect to %v: %w", cfg.Hosts, ctx.Err())
	}
}

// replanned lets a query plan, once it has handed out every host, hand
// them out again (a bounded number of times) instead of nothing. gocql runs
// a speculative execution on the same plan as the first attempt: on a data
// centre with one live replica the speculative run finds the plan empty and
// wins the race with ErrNoConnections, failing a read that was merely slow.
// With the hosts handed out again it asks the same node a second time
// instead, which is harmless for the idempotent reads that are speculated.
type replanned struct{ gocql.HostSelectionPolicy }

// replanExtra bounds the repeats: one speculative run and its retries.
const replanExtra = 4

func (p replanned) Pick(q gocql.ExecutableQuery) gocql.NextHost {
	next := p.HostSelectionPolicy.Pick(q)
	var seen []gocql.SelectedHost
	extra := 0
	// gocql serialises calls to a plan shared by speculative runs.
	return func() gocql.SelectedHost {
		if h := next(); h != nil {
			seen = append(seen, h)
			return h
		}
		if len(seen) == 0 || extra >= replanExtra {
			return nil
		}
		h := seen[extra%len(seen)]
		extra++
		return h
	}
}

// slogLogger adapts slog to the driver's logger.
type slogLogger struct{ l *slog.Logger }

func (l slogLogger) Print(v ...any)                 { l.l.Info(fmt.Sprint(v...)) }
func (l slogLogger) Printf(format string, v ...any) { l.l.Info(fmt.Sprintf(format, v...)) }
func (l slogLogger) Println(v ...any)               { l.l.Info(fmt.Sprint(v...)) }

// Stores returns the domain's store interfaces backed by s.
func (s *Store) Stores() domain.Stores {
	return domain.Stores{Users: userStore{s}, Catalog: catalogStore{s}, Playlists: playlistStore{s}, Plays: playStore{s}, Library: libraryStore{s}}
}

// Close closes the connections.
func (s *Store) Close() error {
	if s.stopRollup != nil {
		s.stopRollup()
	}
	s.session.Close()
	return nil
}

// read prepares an idempotent read: retried on timeouts and
// unavailability, and sent to a second replica when the first is slow.
func (s *Store) read(ctx context.Context, stmt string, args ...any) *gocqlx.Queryx {
	q := s.write(ctx, stmt, args...)
	q.SetSpeculativeExecutionPolicy(s.spec)
	return q
}

// write prepares a write whose effect is the same however often it lands,
// which is what makes retrying it after a timeout safe. It is not sent
// speculatively: a second copy of every write would double the write load.
func (s *Store) write(ctx context.Context, stmt string, args ...any) *gocqlx.Queryx {
	q := s.x.ContextQuery(ctx, stmt, nil).Bind(args...).Idempotent(true)
	q.RetryPolicy(newQueryRetry(ctx, s.retry))
	return q
}

// once prepares a statement the driver must not retry: a lightweight
// transaction or a counter update, which a timeout may have applied.
func (s *Store) once(ctx context.Context, stmt string, args ...any) *gocqlx.Queryx {
	q := s.x.ContextQuery(ctx, stmt, nil).Bind(args...).Idempotent(false)
	q.RetryPolicy(noRetry{})
	return q
}

// batch collects idempotent writes that must land together, run as one
// logged batch through the Session (so retried like any idempotent
// statement, and open to a test's failing session).
type batch struct {
	ctx   context.Context
	stmts []Statement
}

func (s *Store) logged(ctx context.Context) *batch {
	return &batch{ctx: ctx}
}

func (b *batch) add(stmt string, args ...any) {
	b.stmts = append(b.stmts, Statement{CQL: stmt, Args: args, Idempotent: true})
}

func (b *batch) len() int { return len(b.stmts) }

func (s *Store) exec(b *batch) error {
	if b.len() == 0 {
		return nil
	}
	return s.sess.Batch(b.ctx, b.stmts)
}

// stmt is one bound statement.
type stmt struct {
	cql  string
	args []any
}

// writeEach runs idempotent writes to many partitions concurrently. It is
// for derived rows (indexes that may briefly hold extras), where a batch
// would buy nothing but coordinator load: Cassandra's advice for
// multi-partition writes that need not be atomic.
func (s *Store) writeEach(ctx context.Context, stmts []stmt) error {
	errs := make([]error, len(stmts))
	sem := make(chan struct{}, fetchParallel)
	var wg sync.WaitGroup
	for i, st := range stmts {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = s.sess.Exec(ctx, Statement{CQL: st.cql, Args: st.args, Idempotent: true})
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
