package cassandra

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/testenv/cassandratest"
)

// TestOneNodeOfThreeDown runs a store on three nodes of one data centre
// with three replicas: with one node stopped, LOCAL_QUORUM (two of three)
// and LOCAL_SERIAL still serve every read and write, uniqueness included,
// and what was written before is still there. It prints GetTrack,
// GetPlaylist and AddEntries latencies with all nodes up and with one down
// (figures, not assertions). Gated with the multi-DC test: it starts three
// JVMs of its own.
func TestOneNodeOfThreeDown(t *testing.T) {
	cassandratest.SkipUnlessEnabled(t)
	if os.Getenv(EnvMultiDC) != "1" {
		t.Skipf("starts a three-node cluster: set %s=1 to run", EnvMultiDC)
	}
	ctx := t.Context()
	began := time.Now()
	cluster, err := cassandratest.Start(ctx, cassandratest.Options{
		Nodes: []cassandratest.NodeSpec{{DC: "dc1"}, {DC: "dc1"}, {DC: "dc1"}},
		Logf:  t.Logf,
	})
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(func() { _ = cluster.Close() })
	t.Logf("cluster %v up in %s", cluster.Hosts(), time.Since(began).Round(time.Millisecond))

	cfg := Config{
		Hosts:       cluster.Hosts(),
		LocalDC:     "dc1",
		Keyspace:    testKeyspace("backbeat_rf3"),
		Replication: map[string]int{"dc1": 3},
		Timeout:     10 * time.Second,
		Logger:      testLogger(t),
	}
	migrating := time.Now()
	if err := Migrate(ctx, cfg); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	t.Logf("migrated in %s", time.Since(migrating).Round(time.Millisecond))
	s, err := Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	st := s.Stores()

	w := newWriter(ctx, t, st)
	before := w.write("before")
	if err := w.check(st, before); err != nil {
		t.Fatalf("reading with all nodes up: %v", err)
	}
	latencies(ctx, t, st, before, "all three nodes up")

	const victim = 2
	if err := cluster.StopNode(ctx, victim); err != nil {
		t.Fatalf("stop node %d: %v", victim, err)
	}
	t.Logf("node %d stopped", victim)
	during := w.write("during")
	for _, x := range []*written{before, during} {
		if err := w.check(st, x); err != nil {
			t.Fatalf("reading with one node of three down: %v", err)
		}
	}
	dup := *during.user
	dup.ID = domain.NewID()
	if err := st.Users.CreateUser(ctx, &dup); !domain.IsKind(err, domain.KindAlreadyExists) {
		t.Fatalf("duplicate username with one node down: %v, want AlreadyExists", err)
	}
	latencies(ctx, t, st, during, "one node of three down")
	t.Logf("three-node test took %s", time.Since(began).Round(time.Millisecond))
}

// latencies logs the median and 99th percentile of GetTrack, GetPlaylist
// and AddEntries (one entry, then removed so the playlist stays small) over
// a bounded number of sequential calls.
func latencies(ctx context.Context, t *testing.T, st domain.Stores, x *written, label string) {
	t.Helper()
	const n = 200
	measure := func(name string, op func() error) {
		d := make([]time.Duration, 0, n)
		for range n {
			start := time.Now()
			if err := op(); err != nil {
				t.Fatalf("%s (%s): %v", name, label, err)
			}
			d = append(d, time.Since(start))
		}
		slices.Sort(d)
		t.Logf("%s, %s: p50 %s, p99 %s over %d calls", label, name,
			d[n/2].Round(10*time.Microsecond), d[n*99/100].Round(10*time.Microsecond), n)
	}
	measure("GetTrack", func() error {
		_, err := st.Catalog.GetTrack(ctx, x.track.ID)
		return err
	})
	measure("GetPlaylist", func() error {
		_, err := st.Playlists.GetPlaylist(ctx, x.playlist.ID)
		return err
	})
	measure("AddEntries+RemoveEntries", func() error {
		e := &domain.PlaylistEntry{ID: domain.NewID(), TrackID: x.track.ID, AddedBy: x.user.ID, AddTime: time.Now().UTC()}
		if err := st.Playlists.AddEntries(ctx, x.playlist.ID, []*domain.PlaylistEntry{e}, -1); err != nil {
			return err
		}
		return st.Playlists.RemoveEntries(ctx, x.playlist.ID, []string{e.ID})
	})
}
