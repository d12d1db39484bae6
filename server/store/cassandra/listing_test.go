package cassandra

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/testenv/cassandratest"
)

// testShardedCatalogListing: artists created together (one time bucket)
// are listed in id order, each once, across pages, while their listing rows
// sit in several partitions of the bucket, not one (the bulk-import hot
// spot of catalog_by_bucket). A row from before the shards, still in
// catalog_by_bucket, is listed in its place and goes with its artist.
func testShardedCatalogListing(t *testing.T, s *Store) {
	ctx := t.Context()
	st := s.Stores()
	now := time.Now().UTC().Truncate(time.Millisecond)
	var want []string
	for i := range 40 {
		a := &domain.Artist{ID: domain.NewID(), Name: "Listed " + string(rune('A'+i%26)), CreateTime: now, UpdateTime: now}
		must(t, st.Catalog.CreateArtist(ctx, a))
		want = append(want, a.ID)
	}
	slices.Sort(want)

	// Rows per partition of the bucket(s) the artists fell in.
	perShard := map[[2]any]int{}
	for _, id := range want {
		var n int
		must(t, s.read(ctx, `SELECT COUNT(*) FROM catalog_listing WHERE kind = ? AND bucket = ? AND shard = ?`,
			kindArtist, catalogBucket(id), shardOf(id, listingShards)).Scan(&n))
		perShard[[2]any{catalogBucket(id), shardOf(id, listingShards)}] = n
	}
	if len(perShard) < 2 {
		t.Fatalf("40 artists' listing rows are in %d partition(s); want them spread over the bucket's shards", len(perShard))
	}
	for k, n := range perShard {
		if n >= len(want) {
			t.Fatalf("partition %v holds %d of %d rows; want them spread", k, n, len(want))
		}
	}

	// One artist listed the way rows were before the shards.
	old := want[17]
	b := s.logged(ctx)
	b.add(`DELETE FROM catalog_listing WHERE kind = ? AND bucket = ? AND shard = ? AND id = ?`,
		kindArtist, catalogBucket(old), shardOf(old, listingShards), old)
	b.add(`INSERT INTO catalog_by_bucket (kind, bucket, id) VALUES (?, ?, ?)`, kindArtist, catalogBucket(old), old)
	must(t, s.exec(b))

	listAll := func() []string {
		var got []string
		page := domain.Page{Size: 7}
		for range 20 {
			as, next, err := st.Catalog.ListArtists(ctx, page)
			must(t, err)
			for _, a := range as {
				got = append(got, a.ID)
			}
			if next == "" {
				// Other tests' artists may share the keyspace: all in
				// order, each once, and ours among them.
				if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
					t.Fatalf("ListArtists in pages of 7: %q, want ids in order, each once", got)
				}
				return slices.DeleteFunc(got, func(id string) bool { return !slices.Contains(want, id) })
			}
			page.Token = next
		}
		t.Fatal("ListArtists: no last page after 20 pages")
		return nil
	}
	if got := listAll(); !slices.Equal(got, want) {
		t.Fatalf("ListArtists in pages of 7:\n got %q\nwant %q", got, want)
	}

	// Deleting artists takes them out, old row or new.
	gone := []string{old, want[3]}
	for _, id := range gone {
		_, err := st.Catalog.DeleteArtist(ctx, id)
		must(t, err)
	}
	rest := slices.DeleteFunc(slices.Clone(want), func(id string) bool { return slices.Contains(gone, id) })
	if got := listAll(); !slices.Equal(got, rest) {
		t.Fatalf("ListArtists after deleting %q:\n got %q\nwant %q", gone, got, rest)
	}
}

// BenchmarkCatalogListingPage prints the latency of a ListTracks page of 20
// (p50, p99) over 300 tracks in one time bucket, read the way this file's
// listing does (the bucket's 16 shards in parallel) and, on the same rows
// copied to catalog_by_bucket, the way it was read before the shards (one
// partition per bucket), in the same run. Both then read each track.
func BenchmarkCatalogListingPage(b *testing.B) {
	s := openBenchStore(b, "backbeat_bench_listing")
	ctx := b.Context()
	st := s.Stores()
	now := time.Now().UTC().Truncate(time.Millisecond)
	const tracks, size = 300, 20
	for i := range tracks {
		tr := &domain.Track{ID: domain.NewID(), Title: fmt.Sprintf("Bench %d", i), Duration: time.Minute, CreateTime: now, UpdateTime: now}
		if err := st.Catalog.CreateTrack(ctx, tr); err != nil {
			b.Fatal(err)
		}
		if err := s.write(ctx, `INSERT INTO catalog_by_bucket (kind, bucket, id) VALUES (?, ?, ?)`, kindTrack, catalogBucket(tr.ID), tr.ID).Exec(); err != nil {
			b.Fatal(err)
		}
	}
	cat := catalogStore{s}
	// before is the read path before the shards: one partition per bucket.
	before := func(after string) ([]*domain.Track, error) {
		var ids []string
		err := s.walkBuckets(ctx, kindTrack, catalogBucket(after), func(bucket string) (bool, error) {
			var got []string
			err := s.read(ctx, `SELECT id FROM catalog_by_bucket WHERE kind = ? AND bucket = ? AND id > ? LIMIT ?`,
				kindTrack, bucket, after, size+1-len(ids)).Select(&got)
			ids = append(ids, got...)
			return len(ids) < size+1, err
		})
		if err != nil {
			return nil, err
		}
		return fetchAll(ctx, ids, cat.GetTrack)
	}
	after := func(token string) (string, error) {
		_, next, err := cat.ListTracks(ctx, domain.Page{Size: size, Token: token})
		return next, err
	}
	var tBefore, tAfter []time.Duration
	b.ResetTimer()
	for range b.N {
		var token, last string
		for {
			t0 := time.Now()
			ts, err := before(last)
			tBefore = append(tBefore, time.Since(t0))
			if err != nil {
				b.Fatal(err)
			}
			t0 = time.Now()
			token, err = after(token)
			tAfter = append(tAfter, time.Since(t0))
			if err != nil {
				b.Fatal(err)
			}
			if token == "" || len(ts) <= size {
				break
			}
			last = ts[size-1].ID
		}
	}
	b.StopTimer()
	pct := func(ds []time.Duration, p float64) time.Duration {
		slices.Sort(ds)
		return ds[int(float64(len(ds)-1)*p)]
	}
	b.Logf("ListTracks page of %d over %d tracks in one bucket, %d pages each: one partition per bucket p50 %v p99 %v; %d shards p50 %v p99 %v (p99 ratio %.2f)",
		size, tracks, len(tAfter), pct(tBefore, .5), pct(tBefore, .99), listingShards, pct(tAfter, .5), pct(tAfter, .99),
		float64(pct(tAfter, .99))/float64(pct(tBefore, .99)))
}

// openBenchStore migrates a new keyspace named after prefix, opens it and
// drops it when the benchmark ends.
func openBenchStore(b *testing.B, prefix string) *Store {
	cfg := Config{Hosts: cassandratest.Shared(b), LocalDC: cassandratest.SharedDC, Keyspace: testKeyspace(prefix),
		Replication: map[string]int{cassandratest.SharedDC: 1}, Timeout: 30 * time.Second}
	ctx := b.Context()
	if err := Migrate(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	s, err := Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = s.session.Query(`DROP KEYSPACE IF EXISTS ` + cfg.Keyspace).WithContext(context.Background()).Exec()
		_ = s.Close()
	})
	return s
}
