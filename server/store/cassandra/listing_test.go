package cassandra

import (
	"slices"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// TestShardedCatalogListing: artists created together (one time bucket)
// are listed in id order, each once, across pages, while their listing rows
// sit in several partitions of the bucket, not one (the bulk-import hot
// spot of catalog_by_bucket). A row from before the shards, still in
// catalog_by_bucket, is listed in its place and goes with its artist.
func TestShardedCatalogListing(t *testing.T) {
	s := openFeedStore(t)
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
				return got
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
