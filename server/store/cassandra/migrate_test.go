package cassandra

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gocql/gocql"
	"github.com/scylladb/gocqlx/v2"
	"github.com/scylladb/gocqlx/v2/migrate"

	"github.com/backbeat/backbeat/cassandra/cql"
	"github.com/backbeat/backbeat/server/testenv/cassandratest"
)

func migrateConfig(t *testing.T, prefix string) Config {
	return Config{
		Hosts:       cassandratest.Shared(t),
		LocalDC:     cassandratest.SharedDC,
		Keyspace:    testKeyspace(prefix),
		Replication: map[string]int{cassandratest.SharedDC: 1},
		Timeout:     30 * time.Second,
		Logger:      testLogger(t),
	}
}

// dropAfter drops cfg's keyspace when the test ends.
func dropAfter(t *testing.T, cfg Config) {
	t.Cleanup(func() {
		s, err := connect(context.Background(), cfg, "")
		if err != nil {
			t.Logf("drop keyspace %s: %v", cfg.Keyspace, err)
			return
		}
		defer s.Close()
		if err := s.Query(`DROP KEYSPACE IF EXISTS ` + cfg.Keyspace).Exec(); err != nil {
			t.Logf("drop keyspace %s: %v", cfg.Keyspace, err)
		}
	})
}

// TestMigrateConcurrently is three replicas of a deployment running
// `backbeat migrate` at the same moment on a new keyspace, each with its
// own session: all three succeed, every migration file is applied by
// exactly one of them, the result is a schema Open accepts, and the tables
// carry the options of 010.
func TestMigrateConcurrently(t *testing.T) {
	cfg := migrateConfig(t, "backbeat_migrate3")
	dropAfter(t, cfg)
	began := time.Now()
	const runners = 3
	var (
		wg      sync.WaitGroup
		applied [runners][]string
		errs    [runners]error
	)
	start := make(chan struct{})
	for i := range runners {
		wg.Go(func() {
			<-start
			applied[i], errs[i] = migrateWith(t.Context(), cfg, migrateOptions{poll: 100 * time.Millisecond})
		})
	}
	close(start)
	wg.Wait()
	t.Logf("three concurrent migrations done in %s", time.Since(began).Round(time.Millisecond))
	for i, err := range errs {
		if err != nil {
			t.Errorf("runner %d: %v", i, err)
		}
	}
	count := map[string]int{}
	for i, files := range applied {
		t.Logf("runner %d applied %v", i, files)
		for _, f := range files {
			count[f]++
		}
	}
	for _, name := range knownMigrations() {
		if count[name] != 1 {
			t.Errorf("%s applied by %d runners; want exactly 1", name, count[name])
		}
	}

	s, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open after concurrent migrations: %v", err)
	}
	defer s.Close()
	for table, want := range map[string]struct {
		class string
		gc    int
	}{
		"playlist_entries":  {"LeveledCompactionStrategy", 864000},
		"tracks":            {"LeveledCompactionStrategy", 864000},
		"plays_by_user":     {"TimeWindowCompactionStrategy", 259200},
		"playback_starts":   {"TimeWindowCompactionStrategy", 259200},
		"catalog_by_bucket": {"SizeTieredCompactionStrategy", 864000},
	} {
		var compaction map[string]string
		var gc int
		err := s.session.Query(`SELECT compaction, gc_grace_seconds FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?`,
			cfg.Keyspace, table).Scan(&compaction, &gc)
		if err != nil {
			t.Fatalf("read options of %s: %v", table, err)
		}
		if !strings.HasSuffix(compaction["class"], want.class) || gc != want.gc {
			t.Errorf("%s: compaction %s, gc_grace_seconds %d; want %s, %d", table, compaction["class"], gc, want.class, want.gc)
		}
	}

	// Migrating again finds nothing to do.
	if files, err := migrateWith(t.Context(), cfg, migrateOptions{}); err != nil || len(files) != 0 {
		t.Fatalf("migrating a migrated keyspace: applied %v, err %v; want nothing", files, err)
	}
}

// TestMigrateResumesAfterCrash: a runner dies right after a statement
// applied and before recording it, holding its lease (it never releases);
// it had taken that lease through an insert whose answer was lost (applied,
// then a timeout) and found out from the row. The next run waits for the
// lease to expire, re-runs the unrecorded statement (IF NOT EXISTS makes
// that safe) and completes the schema.
func TestMigrateResumesAfterCrash(t *testing.T) {
	cfg := migrateConfig(t, "backbeat_migrate_crash")
	dropAfter(t, cfg)
	const victim = "ADD IF NOT EXISTS loudness_lufs"
	crash := errors.New("process killed")
	opts := migrateOptions{leaseTTL: 3 * time.Second, poll: 100 * time.Millisecond, owner: "crashed",
		session: func(s Session) Session {
			return newFailingSession(s,
				// The lease is taken, but the answer is lost: the
				// runner must find out from the row that it holds it.
				&fault{match: "INSERT INTO migrate_lease", kind: applyThenTimeout, times: 1},
				&fault{match: victim, kind: applyThenFail, err: crash},
				// Dead processes release nothing.
				&fault{match: "DELETE FROM migrate_lease", kind: failWith, err: crash})
		}}
	applied, err := migrateWith(t.Context(), cfg, opts)
	if !errors.Is(err, crash) {
		t.Fatalf("first run: applied %v, err %v; want the crash", applied, err)
	}
	if _, err := Open(t.Context(), cfg); !errors.Is(err, ErrSchemaVersion) {
		t.Fatalf("Open after a crashed migration: %v; want ErrSchemaVersion", err)
	}

	var second *failingSession
	began := time.Now()
	opts = migrateOptions{leaseTTL: 3 * time.Second, poll: 100 * time.Millisecond, owner: "second",
		session: func(s Session) Session {
			second = newFailingSession(s)
			return second
		}}
	applied, err = migrateWith(t.Context(), cfg, opts)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	t.Logf("second run took the expired lease and finished in %s, applying %v", time.Since(began).Round(time.Millisecond), applied)
	if len(applied) == 0 || applied[0] != "005_media_plays.cql" {
		t.Fatalf("second run applied %v; want it to resume at 005_media_plays.cql", applied)
	}
	var victimCQL string
	for cqlText := range second.applied {
		if strings.Contains(cqlText, victim) {
			victimCQL = cqlText
		}
	}
	if victimCQL == "" {
		t.Fatalf("second run did not re-run the unrecorded statement")
	}
	s, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open after the resumed migration: %v", err)
	}
	defer s.Close()
	var kind string
	if err := s.session.Query(`SELECT kind FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ? AND column_name = ?`,
		cfg.Keyspace, "tracks", "loudness_lufs").Scan(&kind); err != nil {
		t.Fatalf("tracks.loudness_lufs: %v", err)
	}
	var owner string
	err = s.session.Query(`SELECT owner FROM migrate_lease WHERE name = ?`, leaseName).Consistency(gocql.Quorum).Scan(&owner)
	if !errors.Is(err, gocql.ErrNotFound) {
		t.Fatalf("lease after the run: owner %q, err %v; want it released", owner, err)
	}
}

// TestSplitStatementsLikeGocqlx: progress recorded by gocqlx's migrate
// (statements done per file) must mean the same to this runner, so a
// keyspace gocqlx half-migrated resumes at the right statement.
func TestSplitStatementsLikeGocqlx(t *testing.T) {
	for in, want := range map[string]int{
		"CREATE TABLE a (x int PRIMARY KEY);":                          1,
		"CREATE TABLE a (x int PRIMARY KEY);\n\n":                      1,
		"CREATE TABLE a (x int PRIMARY KEY);\nALTER TABLE a ADD y int": 2,
		"-- c\nA;\n-- d\nB;\n-- trailing\n":                            3,
	} {
		if got := len(splitStatements(in)); got != want {
			t.Errorf("splitStatements(%q): %d statements; want %d", in, got, want)
		}
	}
	names, _ := fs.Glob(cql.Files, "*.cql")
	if !slices.Equal(names, knownMigrations()) {
		t.Fatalf("knownMigrations %v, files %v", knownMigrations(), names)
	}
}

// TestMigrateUpgradesGocqlxKeyspace: a keyspace that gocqlx's migrate
// brought to 008, from the files as they were then (ALTER ... ADD without
// IF NOT EXISTS, so other checksums), is accepted by this runner, which
// applies only the newer files, and then by Open: applied files are
// identified by name, not checksum.
func TestMigrateUpgradesGocqlxKeyspace(t *testing.T) {
	cfg := migrateConfig(t, "backbeat_upgrade")
	dropAfter(t, cfg)
	ctx := t.Context()
	old := fstest.MapFS{}
	for _, name := range knownMigrations() {
		if name > "008" {
			continue
		}
		b, err := fs.ReadFile(cql.Files, name)
		if err != nil {
			t.Fatal(err)
		}
		old[name] = &fstest.MapFile{Data: []byte(strings.ReplaceAll(string(b), " ADD IF NOT EXISTS ", " ADD "))}
	}
	if err := ensureKeyspace(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	session, err := connect(ctx, cfg, cfg.Keyspace)
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close()
	if err := migrate.FromFS(ctx, gocqlx.NewSession(session), old); err != nil {
		t.Fatalf("gocqlx migrate of the old files: %v", err)
	}
	if _, err := Open(ctx, cfg); !errors.Is(err, ErrSchemaVersion) {
		t.Fatalf("Open of the old keyspace: %v; want ErrSchemaVersion (older)", err)
	}
	applied, err := migrateWith(ctx, cfg, migrateOptions{})
	if err != nil {
		t.Fatalf("migrating the old keyspace: %v", err)
	}
	var want []string
	for _, name := range knownMigrations() {
		if name > "008" {
			want = append(want, name)
		}
	}
	if !slices.Equal(applied, want) {
		t.Fatalf("applied %v; want only the files after 008: %v", applied, want)
	}
	s, err := Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open after upgrading: %v", err)
	}
	s.Close()
}
