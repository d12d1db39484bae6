package cassandra

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/storetest"
	"github.com/backbeat/backbeat/server/testenv/cassandratest"
)

// testKeyspace names a keyspace no other run uses: runs of other packages
// or engineers may share the node.
func testKeyspace(prefix string) string {
	return fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), time.Now().UnixNano()%1e9)
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.DiscardHandler)
}

// TestConformance runs the store conformance suite. One keyspace is created
// and migrated per run (schema changes take seconds each); between subtests
// every table is truncated, which is what makes each subtest's store empty.
func TestConformance(t *testing.T) {
	hosts := cassandratest.Shared(t)
	began := time.Now()
	cfg := Config{
		Hosts:       hosts,
		LocalDC:     cassandratest.SharedDC,
		Keyspace:    testKeyspace("backbeat_conformance"),
		Replication: map[string]int{cassandratest.SharedDC: 1},
		Timeout:     30 * time.Second,
		Logger:      testLogger(t),
	}
	ctx := t.Context()
	if err := Migrate(ctx, cfg); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	// Migrating again is a no-op.
	if err := Migrate(ctx, cfg); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	s, err := Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		dropKeyspace(t, s, cfg.Keyspace)
		_ = s.Close()
	})
	t.Logf("keyspace %s migrated in %s", cfg.Keyspace, time.Since(began).Round(time.Millisecond))

	tables := slices.Sorted(maps.Keys(schemaTables(t)))
	var truncating time.Duration
	search := newSearchHarness(t, s, cfg.Keyspace)
	storetest.Run(t, func(t *testing.T) domain.Stores {
		start := time.Now()
		truncateAll(t, s, tables)
		truncating += time.Since(start)
		return search.stores(t)
	})
	// The same search-quality cases as the embedded store, through OpenSearch.
	t.Run("SearchQuality", func(t *testing.T) {
		storetest.RunSearchQuality(t, func(t *testing.T) storetest.SearchSetup {
			truncateAll(t, s, tables)
			return search.qualitySetup(t)
		})
	})
	t.Logf("suite took %s, of which truncating tables %s", time.Since(began).Round(time.Millisecond), truncating.Round(time.Millisecond))
	t.Run("PlayBaseOfOlderTracks", func(t *testing.T) {
		truncateAll(t, s, tables)
		testPlayBaseOfOlderTracks(t, s)
	})
}

// testPlayBaseOfOlderTracks counts plays of a track written before
// migration 005 (no play_base) and 011 (no play_rolled): the rollup adds
// them to its play_count, once.
func testPlayBaseOfOlderTracks(t *testing.T, s *Store) {
	ctx := t.Context()
	st := s.Stores()
	now := time.Now().UTC().Truncate(time.Millisecond)
	u := &domain.User{ID: domain.NewID(), Username: "veteran", Email: "v@example.com", CreateTime: now, UpdateTime: now}
	tr := &domain.Track{ID: domain.NewID(), Title: "Old Hit", PlayCount: 500, Status: domain.TrackReady, CreateTime: now, UpdateTime: now}
	if err := st.Users.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	// The row as CreateTrack wrote it before 005.
	if err := s.session.Query(`INSERT INTO tracks (id, title, status, play_count, create_time, update_time) VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
		tr.ID, tr.Title, string(tr.Status), tr.PlayCount, now, now).WithContext(ctx).Exec(); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{501, 502} {
		p := &domain.Play{UserID: u.ID, PlaybackID: domain.NewID(), TrackID: tr.ID, PlayTime: now}
		if err := st.Plays.RecordPlay(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := st.Plays.CountPlay(ctx, u.ID, p.PlaybackID, tr.ID); err != nil {
			t.Fatalf("CountPlay: %v", err)
		}
		if err := (playStore{s}).RollupPlays(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := st.Catalog.GetTrack(ctx, tr.ID)
		if err != nil || got.PlayCount != want {
			t.Fatalf("PlayCount after %d counted plays: %+v, %v; want %d", i+1, got, err, want)
		}
	}
}

// truncateAll empties every table that has a row, a few at a time: TRUNCATE
// waits for the node to drop the table's data (tens of milliseconds each),
// while looking for a row in a small test table is a millisecond, and most
// subtests touch only part of the schema.
func truncateAll(t *testing.T, s *Store, tables []string) {
	t.Helper()
	ctx := context.WithoutCancel(t.Context())
	sem := make(chan struct{}, 4)
	errs := make(chan error, len(tables))
	var wg sync.WaitGroup
	for _, table := range tables {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			// A test-only full scan of a tiny table; the store never does this.
			row := map[string]any{}
			err := s.session.Query("SELECT * FROM " + table + " LIMIT 1").WithContext(ctx).MapScan(row)
			if errors.Is(err, gocql.ErrNotFound) {
				errs <- nil
				return
			}
			if err == nil {
				err = s.session.Query("TRUNCATE " + table).WithContext(ctx).Exec()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("truncate: %v", err)
		}
	}
}

func dropKeyspace(t *testing.T, s *Store, keyspace string) {
	if err := s.session.Query("DROP KEYSPACE IF EXISTS " + keyspace).WithContext(context.Background()).Exec(); err != nil {
		t.Logf("drop keyspace %s: %v", keyspace, err)
	}
}

// TestOpenRefusesUnknownSchema checks that Open serves only a keyspace at
// this binary's schema version, and otherwise says to run `backbeat
// migrate`: a missing keyspace, one never migrated, one a newer binary
// migrated further, and one an older binary left behind.
func TestOpenRefusesUnknownSchema(t *testing.T) {
	hosts := cassandratest.Shared(t)
	ctx := t.Context()
	cfg := Config{
		Hosts:       hosts,
		LocalDC:     cassandratest.SharedDC,
		Keyspace:    testKeyspace("backbeat_schema"),
		Replication: map[string]int{cassandratest.SharedDC: 1},
		Timeout:     30 * time.Second,
		Logger:      testLogger(t),
	}
	admin, err := connect(ctx, cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	t.Cleanup(func() {
		if err := admin.Query("DROP KEYSPACE IF EXISTS " + cfg.Keyspace).WithContext(context.Background()).Exec(); err != nil {
			t.Logf("drop keyspace %s: %v", cfg.Keyspace, err)
		}
	})
	exec := func(stmt string, args ...any) {
		t.Helper()
		if err := admin.Query(stmt, args...).WithContext(ctx).Exec(); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	refused := func(what, want string) {
		t.Helper()
		s, err := Open(ctx, cfg)
		if err == nil {
			s.Close()
			t.Fatalf("%s: Open served it", what)
		}
		if !errors.Is(err, ErrSchemaVersion) || !says(err, "`backbeat migrate`") || !says(err, want) {
			t.Fatalf("%s: Open error %q, want ErrSchemaVersion saying %q and to run `backbeat migrate`", what, err, want)
		}
		t.Logf("%s: %v", what, err)
	}
	served := func(what string) {
		t.Helper()
		s, err := Open(ctx, cfg)
		if err != nil {
			t.Fatalf("%s: Open: %v", what, err)
		}
		s.Close()
	}

	refused("no keyspace", "does not exist")
	stmt, err := createKeyspace(cfg.Keyspace, cfg.Replication)
	if err != nil {
		t.Fatal(err)
	}
	exec(stmt)
	if err := admin.AwaitSchemaAgreement(ctx); err != nil {
		t.Fatal(err)
	}
	refused("keyspace never migrated", "no Backbeat schema")

	if err := Migrate(ctx, cfg); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	served("migrated keyspace")

	migrations := cfg.Keyspace + ".gocqlx_migrate"
	exec(`INSERT INTO `+migrations+` (name, checksum, done) VALUES (?, ?, ?)`, "999_from_the_future.cql", "0", 1)
	refused("keyspace a newer binary migrated", "newer than this binary's")
	exec(`DELETE FROM `+migrations+` WHERE name = ?`, "999_from_the_future.cql")
	served("keyspace back at this version")

	known := knownMigrations()
	exec(`DELETE FROM `+migrations+` WHERE name = ?`, known[len(known)-1])
	refused("keyspace an older binary migrated", "older than this binary's")
}
