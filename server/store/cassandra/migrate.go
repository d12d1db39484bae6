package cassandra

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/cassandra/cql"
)

// ErrReplicationRequired is Migrate's error for a new keyspace on a cluster
// of several data centres when no replication was configured: one replica
// in the local data centre alone would leave every other data centre
// without its data, and "one replica" is rarely what anyone wants there.
var ErrReplicationRequired = errors.New("replication factors required")

// Migrate creates the keyspace if it does not exist and applies the schema
// migrations not applied yet. It is what "backbeat migrate" runs; Open does
// not change the schema.
//
// Any number of processes may run it at once (every replica of a
// deployment, say): they take turns through a lease (lightweight
// transaction on a row with a TTL, renewed while the holder migrates), the
// first applies what is missing and the others find nothing left to do. A
// process that dies mid-way leaves its lease to expire and its progress
// recorded per statement; every statement is idempotent (IF NOT EXISTS), so
// the next run completes the file even if the dead one's last statement
// applied unrecorded.
//
// The keyspace is created here rather than in a migration because its
// replication is the deployment's choice. An existing keyspace's
// replication is left alone: changing it needs a repair, an operator's job.
func Migrate(ctx context.Context, cfg Config) (err error) {
	defer wrap(&err, "cassandra.Migrate(%q)", cfg.Keyspace)
	_, err = migrateWith(ctx, cfg, migrateOptions{})
	return err
}

// migrateOptions are the knobs tests turn; zero values are production's.
type migrateOptions struct {
	// leaseTTL is how long a lease outlives its holder's last renewal.
	leaseTTL time.Duration
	// poll is how often a process waiting for the lease tries again.
	poll time.Duration
	// session wraps the driver (a failing session in tests).
	session func(Session) Session
	// owner names the lease holder; empty means host name and a random id.
	owner string
}

func (o migrateOptions) withDefaults() migrateOptions {
	if o.leaseTTL <= 0 {
		o.leaseTTL = 30 * time.Second
	}
	if o.poll <= 0 {
		o.poll = 500 * time.Millisecond
	}
	if o.session == nil {
		o.session = func(s Session) Session { return s }
	}
	if o.owner == "" {
		host, _ := os.Hostname()
		var b [6]byte
		_, _ = rand.Read(b[:])
		o.owner = host + "/" + hex.EncodeToString(b[:])
	}
	return o
}

// migrateWith is Migrate; it returns the migration files this call applied
// (in whole or in part), so tests can tell which process did the work.
func migrateWith(ctx context.Context, cfg Config, opts migrateOptions) (applied []string, err error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if err := ensureKeyspace(ctx, cfg); err != nil {
		return nil, err
	}
	session, err := connectKeyspace(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer session.Close()
	// Bookkeeping and lease are read and written at QUORUM/SERIAL: the
	// processes migrating may sit in different data centres.
	session.SetConsistency(gocql.Quorum)
	base := opts.session(driverSession{session})
	m := &migrator{
		s: withRetries(base, defaultRetry(cfg.timeout())),
		// A schema statement's answer waits for schema agreement (the
		// driver's, up to a minute on a large or busy cluster): it is
		// bounded by the caller's context, not by the per-request timeout.
		ddlSession: withRetries(base, defaultRetry(0)),
		opts:       opts,
		log:        logger(cfg),
		files:      cql.Files,
	}
	return m.run(ctx)
}

// connectKeyspace connects to the keyspace, trying again for a while: a
// keyspace another process has just created can be listed in the schema
// before a node lets connections USE it.
func connectKeyspace(ctx context.Context, cfg Config) (*gocql.Session, error) {
	retry := defaultRetry(0)
	for n := 1; ; n++ {
		session, err := connect(ctx, cfg, cfg.Keyspace)
		if err == nil || n == 5 {
			return session, err
		}
		logger(cfg).Info("cassandra: connecting to the new keyspace failed, trying again", "err", err)
		if !sleep(ctx, retry.backoff(n+2)) {
			return nil, err
		}
	}
}

// ensureKeyspace creates the keyspace unless it exists, with the configured
// replication. With none configured, a single-data-centre cluster gets one
// replica in it (a development setup); a cluster of several data centres
// gets ErrReplicationRequired.
func ensureKeyspace(ctx context.Context, cfg Config) error {
	admin, err := connect(ctx, cfg, "")
	if err != nil {
		return err
	}
	defer admin.Close()
	var name string
	err = admin.Query(`SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?`, cfg.Keyspace).
		WithContext(ctx).Scan(&name)
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, gocql.ErrNotFound):
		return fmt.Errorf("look up keyspace: %w", err)
	}
	replication := cfg.Replication
	if len(replication) == 0 {
		dcs, err := dataCentres(ctx, admin)
		if err != nil {
			return err
		}
		if len(dcs) > 1 || len(dcs) == 1 && dcs[0] != cfg.LocalDC {
			return fmt.Errorf("%w: the cluster has data centres %s: say how many replicas each keeps (e.g. %s)",
				ErrReplicationRequired, strings.Join(dcs, ", "), exampleReplication(dcs))
		}
		replication = map[string]int{cfg.LocalDC: 1}
	}
	stmt, err := createKeyspace(cfg.Keyspace, replication)
	if err != nil {
		return err
	}
	err = admin.AwaitSchemaAgreement(ctx)
	if err == nil {
		err = admin.Query(stmt).WithContext(ctx).Exec()
	}
	if err == nil {
		err = admin.AwaitSchemaAgreement(ctx)
	}
	if err != nil {
		return fmt.Errorf("create keyspace: %w", err)
	}
	return nil
}

func exampleReplication(dcs []string) string {
	parts := make([]string, len(dcs))
	for i, dc := range dcs {
		parts[i] = dc + ":3"
	}
	return strings.Join(parts, ",")
}

// dataCentres lists the data centres of the cluster's nodes, sorted.
func dataCentres(ctx context.Context, admin *gocql.Session) ([]string, error) {
	seen := map[string]bool{}
	var dc string
	if err := admin.Query(`SELECT data_center FROM system.local`).WithContext(ctx).Scan(&dc); err != nil {
		return nil, fmt.Errorf("read data centres: %w", err)
	}
	seen[dc] = true
	iter := admin.Query(`SELECT data_center FROM system.peers`).WithContext(ctx).Iter()
	for iter.Scan(&dc) {
		seen[dc] = true
	}
	if err := iter.Close(); err != nil {
		return nil, fmt.Errorf("read data centres: %w", err)
	}
	out := make([]string, 0, len(seen))
	for dc := range seen {
		out = append(out, dc)
	}
	slices.Sort(out)
	return out, nil
}

// The runner's own tables. gocqlx_migrate is the bookkeeping table gocqlx's
// migrate package kept (keyspaces migrated before this runner carry on with
// it); migrate_lease holds the one lease row.
const (
	createBookkeeping = `CREATE TABLE IF NOT EXISTS gocqlx_migrate (name text, checksum text, done int, ` +
		`start_time timestamp, end_time timestamp, PRIMARY KEY (name))`
	createLease = `CREATE TABLE IF NOT EXISTS migrate_lease (name text PRIMARY KEY, owner text, since timestamp)`
	leaseName   = "schema"
)

type migrator struct {
	s          Session
	ddlSession Session
	opts       migrateOptions
	log        *slog.Logger
	files      fs.FS
}

func (m *migrator) run(ctx context.Context) (applied []string, err error) {
	// The two tables every run needs exist before any lease can: their
	// creation is the only unleased schema change, and CREATE ... IF NOT
	// EXISTS makes it harmless to race.
	for _, stmt := range []string{createBookkeeping, createLease} {
		if err := m.ddl(ctx, stmt); err != nil {
			return nil, fmt.Errorf("create the runner's tables: %w", err)
		}
	}
	l, err := m.acquire(ctx)
	if err != nil {
		return nil, err
	}
	ctx, stop := l.keep(ctx)
	defer func() {
		stop()
		// A lease lost mid-way is the error, not the cancellation it
		// caused.
		if lost := l.lost(); lost != nil && err != nil {
			err = lost
		}
		l.release()
	}()
	return m.apply(ctx)
}

// ddl runs one schema statement once every node agrees on the schema the
// previous one left: a statement sent while nodes disagree may be applied
// against an older schema, or leave the cluster with two versions of a
// table.
func (m *migrator) ddl(ctx context.Context, stmt string) error {
	if err := m.s.AwaitSchemaAgreement(ctx); err != nil {
		return fmt.Errorf("await schema agreement: %w", err)
	}
	return m.ddlSession.Exec(ctx, Statement{CQL: stmt, Idempotent: true})
}

// apply runs every statement of every file not recorded as done, in order,
// recording progress after each statement.
func (m *migrator) apply(ctx context.Context) (applied []string, err error) {
	names, err := fs.Glob(m.files, "*.cql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	for _, name := range names {
		b, err := fs.ReadFile(m.files, name)
		if err != nil {
			return applied, err
		}
		stmts := splitStatements(string(b))
		var done int
		err = m.s.Scan(ctx, Statement{CQL: `SELECT done FROM gocqlx_migrate WHERE name = ?`, Args: []any{name}, Idempotent: true}, &done)
		if err != nil && !errors.Is(err, gocql.ErrNotFound) {
			return applied, fmt.Errorf("read progress of %s: %w", name, err)
		}
		if done >= len(stmts) {
			continue
		}
		applied = append(applied, name)
		start := time.Now()
		m.log.Info("cassandra: applying migration", "file", name, "from_statement", done+1, "statements", len(stmts))
		for i := done; i < len(stmts); i++ {
			if stmt := strings.TrimSpace(stripCQLComments(stmts[i])); stmt != "" {
				if err := m.ddl(ctx, stmt); err != nil {
					return applied, fmt.Errorf("%s statement %d: %w", name, i+1, err)
				}
			}
			err := m.s.Exec(ctx, Statement{
				CQL:        `INSERT INTO gocqlx_migrate (name, checksum, done, start_time, end_time) VALUES (?, ?, ?, ?, ?)`,
				Args:       []any{name, checksum(b), i + 1, start, time.Now()},
				Idempotent: true,
			})
			if err != nil {
				return applied, fmt.Errorf("record %s statement %d: %w", name, i+1, err)
			}
		}
	}
	if err := m.s.AwaitSchemaAgreement(ctx); err != nil {
		return applied, fmt.Errorf("await schema agreement: %w", err)
	}
	return applied, nil
}

// splitStatements splits a file the way gocqlx's migrate did, so the
// progress it recorded (statements done) means the same here: at every
// semicolon, with a last piece counted only if it is not blank.
func splitStatements(s string) []string {
	parts := strings.Split(s, ";")
	if strings.TrimSpace(parts[len(parts)-1]) == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

func stripCQLComments(s string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		if c := strings.Index(line, "--"); c >= 0 {
			lines[i] = line[:c]
		}
	}
	return strings.Join(lines, "\n")
}

// checksum is gocqlx's, recorded for operators; the runner identifies
// applied files by name (see cassandra/cql/README.md).
func checksum(b []byte) string {
	v := md5.Sum(b)
	return hex.EncodeToString(v[:])
}
