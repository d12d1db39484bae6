package cassandra

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/testenv/cassandratest"
)

// TestSnapshotRestore runs the Cassandra backup and restore procedure of
// server/docs/operations.md with the nodetool of the Cassandra the tests
// run: `nodetool snapshot` of the keyspace while the store keeps writing,
// the snapshot's files copied off the node, then on a fresh node (new data
// directory) Migrate and `nodetool import` of each table. Everything
// acknowledged before the snapshot began must read back through the store,
// play counts included.
func TestSnapshotRestore(t *testing.T) {
	cassandratest.SkipUnlessEnabled(t)
	if testing.Short() {
		t.Skip("starts two Cassandra nodes of its own")
	}
	ctx := t.Context()
	began := time.Now()
	keyspace := testKeyspace("backbeat_backup")
	const tag = "backbeat-test"
	start := func(what string) (*cassandratest.Cluster, Config) {
		t.Helper()
		began := time.Now()
		c, err := cassandratest.Start(ctx, cassandratest.Options{Logf: t.Logf})
		if err != nil {
			t.Fatalf("start %s node: %v", what, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		t.Logf("%s node %v up in %s", what, c.Hosts(), time.Since(began).Round(time.Millisecond))
		cfg := Config{Hosts: c.Hosts(), LocalDC: "dc1", Keyspace: keyspace, Replication: map[string]int{"dc1": 1},
			Timeout: 30 * time.Second, Logger: testLogger(t)}
		if err := Migrate(ctx, cfg); err != nil {
			t.Fatalf("Migrate on the %s node: %v", what, err)
		}
		return c, cfg
	}
	open := func(cfg Config) *Store {
		t.Helper()
		s, err := Open(ctx, cfg)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}

	src, srcCfg := start("source")
	s := open(srcCfg)
	w := newWriter(ctx, t, s.Stores())
	before := w.write("before")
	// A counted play, rolled up into the track's play count.
	p := &domain.Play{UserID: before.user.ID, PlaybackID: domain.NewID(), TrackID: before.track.ID, PlayTime: time.Now().UTC()}
	if err := w.s.Plays.RecordPlay(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := w.s.Plays.CountPlay(ctx, p.UserID, p.PlaybackID, p.TrackID); err != nil {
		t.Fatal(err)
	}
	if err := (playStore{s}).RollupPlays(ctx); err != nil {
		t.Fatal(err)
	}
	checkPlays := func(st domain.Stores) error {
		tr, err := st.Catalog.GetTrack(ctx, before.track.ID)
		if err != nil {
			return err
		}
		if tr.PlayCount != 1 {
			return fmt.Errorf("PlayCount %d, want 1", tr.PlayCount)
		}
		plays, _, err := st.Plays.ListPlays(ctx, p.UserID, domain.Page{Size: 10})
		if err != nil {
			return err
		}
		if len(plays) != 1 {
			return fmt.Errorf("%d plays listed, want 1", len(plays))
		}
		return nil
	}
	if err := checkPlays(w.s); err != nil {
		t.Fatalf("before the snapshot: %v", err)
	}

	// Writes go on while the snapshot is taken; each records when it was
	// acknowledged.
	type ack struct {
		x  *written
		at time.Time
	}
	var (
		mu    sync.Mutex
		acked []ack
	)
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			x, err := w.tryWrite(fmt.Sprintf("during%d", i))
			if err != nil {
				done <- err
				return
			}
			mu.Lock()
			acked = append(acked, ack{x, time.Now()})
			mu.Unlock()
		}
	}()
	eventually(t, "writes under way", time.Minute, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(acked) < 3 {
			return fmt.Errorf("%d acknowledged", len(acked))
		}
		return nil
	})
	snapStart := time.Now()
	if _, err := src.Nodetool(ctx, 0, "snapshot", "-t", tag, keyspace); err != nil {
		t.Fatal(err)
	}
	snapTime := time.Since(snapStart)
	// A little more writing after the snapshot, then stop.
	time.Sleep(200 * time.Millisecond)
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("writing during the snapshot: %v", err)
	}

	// Copy each table's snapshot off the node, as an operator would to S3.
	backup := t.TempDir()
	copyStart := time.Now()
	tables, bytes := copySnapshot(t, filepath.Join(src.DataDir(0), keyspace), tag, backup)
	copyTime := time.Since(copyStart)
	_ = s.Close()
	if err := src.Close(); err != nil {
		t.Fatalf("stop source node: %v", err)
	}

	restoreStart := time.Now()
	dst, dstCfg := start("fresh")
	migrated := time.Since(restoreStart)
	// One import per table, a few at a time: each is a nodetool JVM, whose
	// start costs more than the import itself.
	sem, errs := make(chan struct{}, 3), make(chan error, len(tables))
	for _, table := range tables {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			_, err := dst.Nodetool(ctx, 0, "import", keyspace, table, filepath.Join(backup, table))
			errs <- err
		}()
	}
	for range tables {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	restored := open(dstCfg).Stores()
	restoreTime := time.Since(restoreStart)

	if err := w.check(restored, before); err != nil {
		t.Fatalf("restored store lost what was written before the snapshot: %v", err)
	}
	if err := checkPlays(restored); err != nil {
		t.Fatalf("restored store's plays: %v", err)
	}
	var due, after, extra int
	for _, a := range acked {
		err := w.check(restored, a.x)
		switch {
		case a.at.Before(snapStart) && err != nil:
			t.Errorf("write %s acknowledged %s before the snapshot began is missing: %v", a.x.user.Username, snapStart.Sub(a.at), err)
		case a.at.Before(snapStart):
			due++
		case err == nil:
			extra++
			after++
		default:
			after++
		}
	}
	t.Logf("snapshot %s (%d tables with data, %d KiB) under %d concurrent writes; copy %s; restore on a fresh node %s (start and migrate %s, %d imports); "+
		"%d writes acknowledged before the snapshot all restored, %d of %d acknowledged during or after it present; test took %s",
		snapTime.Round(time.Millisecond), len(tables), bytes/1024, len(acked), copyTime.Round(time.Millisecond),
		restoreTime.Round(time.Millisecond), migrated.Round(time.Millisecond), len(tables), due, extra, after, time.Since(began).Round(time.Millisecond))
}

// copySnapshot copies the snapshot tag of every table under keyspaceDir
// (a node's data/<keyspace>) into out/<table>/, and returns the tables that
// have data (an empty table's snapshot holds no sstable, and there is
// nothing to import) and the bytes copied.
func copySnapshot(t *testing.T, keyspaceDir, tag, out string) (tables []string, bytes int64) {
	t.Helper()
	dirs, err := os.ReadDir(keyspaceDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		// Table directories are named <table>-<table id>.
		i := strings.LastIndexByte(d.Name(), '-')
		if !d.IsDir() || i < 0 {
			continue
		}
		table, snap := d.Name()[:i], filepath.Join(keyspaceDir, d.Name(), "snapshots", tag)
		files, err := filepath.Glob(filepath.Join(snap, "*-Data.db"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			continue
		}
		if err := os.CopyFS(filepath.Join(out, table), os.DirFS(snap)); err != nil {
			t.Fatal(err)
		}
		_ = filepath.WalkDir(filepath.Join(out, table), func(_ string, e os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if info, err := e.Info(); err == nil && !e.IsDir() {
				bytes += info.Size()
			}
			return nil
		})
		tables = append(tables, table)
	}
	if len(tables) == 0 {
		t.Fatalf("no snapshot %q with data under %s", tag, keyspaceDir)
	}
	return tables, bytes
}
