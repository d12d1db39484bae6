// Package embedded is Backbeat's default store: one SQLite file (pure Go,
// no cgo) and an in-memory search index, for a single-node deployment that
// needs nothing else running.
package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/search"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Store implements the domain's store interfaces over SQLite.
//
// SQLite takes one writer at a time. Writes therefore go through a pool of
// exactly one connection, so writers queue in Go instead of busy-waiting in
// SQLite, and reads go through a separate pool of several connections, which
// WAL mode lets run beside the writer. Measured on 2 cores with 100k tracks
// (BenchmarkGetTrackWhileWriting): GetTrack took 28µs with one writer busy
// and the writer made 1130 writes/s; one shared pool with _txlock=immediate
// gave 33µs and 910 writes/s. Memory-mapping the database for the readers
// (mmap_size) made reads beside a writer twice as slow, so it is off.
type Store struct {
	w   *sql.DB
	r   *sql.DB
	log *slog.Logger

	index *search.Index
	// catalogMu orders catalog writes together with their index updates,
	// so the index applies them in commit order.
	catalogMu sync.Mutex

	// reads and writes run statements on r and w, each prepared once.
	reads, writes pool

	// path is the database file, file what it was when opened (Ping).
	path string
	file os.FileInfo
}

// readConns: reads are CPU-bound in SQLite's own code, so a couple of
// connections per core keep the cores busy while one waits on the disk.
var readConns = max(4, 2*runtime.GOMAXPROCS(0))

// DBFile is the database's file name inside the data directory.
const DBFile = "backbeat.db"

// Open opens (creating if needed) the database dir/backbeat.db, brings its
// schema up to date, and loads the search index from it.
func Open(ctx context.Context, dir string, logger *slog.Logger) (_ *Store, err error) {
	defer derrors.Wrap(&err, "embedded.Open(%q)", dir)
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// The database holds emails and password hashes: private to this user
	// whatever the umask.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, DBFile)
	if err := privateFiles(path, logger); err != nil {
		return nil, err
	}
	name := fileURI(path)
	// temp_store(MEMORY) keeps sorts and the savepoint journal of batches off
	// the disk, where they cost a syscall per page.
	const pragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)"

	w, err := sql.Open("sqlite", name+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)

	s := &Store{w: w, log: logger, index: search.NewIndex(), writes: pool{newStmtCache(w)}}
	fail := func(err error) (*Store, error) {
		s.Close()
		return nil, err
	}
	from, to, err := migrate(ctx, w)
	if err != nil {
		return fail(err)
	}
	if from != to {
		logger.Info("embedded: schema migrated", "path", path, "from", from, "to", to)
	}

	// The read pool opens after migration so it never sees a half-made
	// schema; query_only guards against a write slipping into it.
	s.r, err = sql.Open("sqlite", name+"?"+pragmas+"&_query_only=1")
	if err != nil {
		return fail(fmt.Errorf("open for reading: %w", err))
	}
	s.r.SetMaxOpenConns(readConns)
	s.r.SetMaxIdleConns(readConns)
	s.r.SetConnMaxIdleTime(0)
	s.r.SetConnMaxLifetime(0)
	s.reads = pool{newStmtCache(s.r)}

	s.path = path
	if s.file, err = os.Stat(path); err != nil {
		return fail(err)
	}

	start := time.Now()
	n, err := s.buildIndex(ctx)
	if err != nil {
		return fail(err)
	}
	// Building reads every document through SQL and sorts the whole
	// dictionary: most of the heap it grew is garbage once the index stands,
	// and the runtime would hand it back to the OS only minutes later, so a
	// freshly started server looked twice its working size. Return it now.
	debug.FreeOSMemory()
	logger.Info("embedded: search index built", "documents", n, "took", time.Since(start).Round(time.Millisecond))
	return s, nil
}

// fileURI is the URI naming the database file at path. SQLite reads the
// name as a URI: escape what it would take for syntax.
func fileURI(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// privateFiles makes the database at path, and its WAL and shared-memory
// files if present, readable by this user only. SQLite creates the WAL and
// shared-memory files with the database file's mode, so creating the
// database 0600 before SQLite opens it keeps all three private; files an
// older version left group- or world-readable are tightened.
func privateFiles(path string, logger *slog.Logger) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		if err := os.Chmod(p, 0o600); err != nil {
			// Not ours to change (another owner): say so, but serve.
			logger.Warn("embedded: database file is readable by other users and cannot be made private", "path", p, "mode", fi.Mode().Perm(), "err", err)
		}
	}
	return nil
}

// Stores returns the store interfaces, all backed by s.
func (s *Store) Stores() domain.Stores {
	return domain.Stores{
		Users:     userStore{s},
		Catalog:   catalogStore{s},
		Playlists: playlistStore{s},
		Plays:     playStore{s},
		Library:   libraryStore{s},
	}
}

// Close closes the database. The checkpoint folds the WAL back into the
// database file so the directory is one file again when the server stops.
func (s *Store) Close() (err error) {
	defer derrors.Wrap(&err, "embedded.Close")
	var errs []error
	if s.reads.stmtCache != nil {
		s.reads.close()
	}
	s.writes.close()
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		if _, err := s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			s.log.Warn("embedded: checkpoint on close", "err", err)
		}
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// write runs fn in a write transaction, committing if it returns nil; in a
// batch, it runs fn in the batch's.
func (s *Store) write(ctx context.Context, fn func(tx querier) error) error {
	if b := s.batchOf(ctx); b != nil {
		return b.run(ctx, fn)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	var missed []string
	defer s.cacheMissed(ctx, &missed)
	if err := fn(newTxn(tx, s.writes.stmtCache, &missed)); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// querier is what both *sql.DB and *sql.Tx offer, so readers can run inside
// a write transaction or on the read pool.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// exists reports whether table has a row with that id. table is always one
// of ours, never caller input.
func exists(ctx context.Context, q querier, table, id string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM "+table+" WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// requireRow turns "no row affected" into NotFound.
func requireRow(res sql.Result, what, id string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return domain.NotFound(what, id)
	}
	return nil
}

// stmtCache prepares each distinct query once for a pool and keeps it:
// preparing is a good part of a short statement's cost in SQLite, more so in
// pure Go. Queries are constants of this package, so the cache is bounded.
// database/sql prepares a statement on each connection the first time it
// runs there.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db, m: make(map[string]*sql.Stmt)} }

func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[query]
}

// get returns the cached statement, preparing it first if need be. It holds
// no lock while preparing: on the write pool that waits for the one
// connection, which a transaction wanting the cache may hold.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := c.lookup(query); st != nil {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if have, ok := c.m[query]; ok {
		st.Close()
		return have, nil
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	clear(c.m)
}

// pool runs cached statements on a pool.
type pool struct{ *stmtCache }

func (p pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (p pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.get(ctx, query)
	if err != nil {
		// Unpreparable: let the pool report the same error through a Row.
		return p.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (p pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// txn runs cached statements in a transaction. The write pool has a single
// connection, so they are prepared there already. A statement not cached yet
// cannot be prepared for the pool while the transaction holds that
// connection: it is prepared for the transaction alone (kept in local for a
// batch's later calls), and noted in missed so it is cached once the
// connection is free.
type txn struct {
	tx     *sql.Tx
	cache  *stmtCache
	missed *[]string
	local  map[string]*sql.Stmt
}

func newTxn(tx *sql.Tx, cache *stmtCache, missed *[]string) txn {
	return txn{tx: tx, cache: cache, missed: missed, local: make(map[string]*sql.Stmt)}
}

func (t txn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := t.local[query]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if shared := t.cache.lookup(query); shared != nil {
		st = t.tx.StmtContext(ctx, shared)
	} else {
		*t.missed = append(*t.missed, query)
		var err error
		if st, err = t.tx.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
	}
	t.local[query] = st
	return st, nil
}

func (t txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (t txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (t txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// requireAll fails NotFound(what, id) for the first of ids that table lacks.
func requireAll(ctx context.Context, q querier, table, what string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	var missing string
	// NOT EXISTS probes the primary key per id; NOT IN (SELECT id ...) would
	// have SQLite copy every id of the table first.
	err := q.QueryRowContext(ctx, "SELECT value FROM json_each(?) WHERE NOT EXISTS (SELECT 1 FROM "+table+" WHERE id = value) LIMIT 1",
		listCol(ids)).Scan(&missing)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	return domain.NotFound(what, missing)
}
