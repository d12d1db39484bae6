package storeseed_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/cassandra"
	"github.com/backbeat/backbeat/server/store/embedded"
	"github.com/backbeat/backbeat/server/store/storeseed"
	"github.com/backbeat/backbeat/server/testenv/cassandratest"
)

// bulkTracks is small enough for the short tier, and big enough that every
// phase runs many writes at once and the embedded store takes one batch.
const (
	bulkTracks    = 2000
	bulkPlaylists = 60
)

// noBatches hides the embedded store's Batch, so the concurrent path a
// networked store takes runs against it too.
type noBatches struct{ domain.CatalogStore }

// TestBulkSeedEmbedded checks that a seeding run writes exactly what it
// reports, both through the embedded store's batches and through the
// concurrent path (many writes in flight at once).
func TestBulkSeedEmbedded(t *testing.T) {
	for _, batched := range []bool{true, false} {
		t.Run(fmt.Sprintf("batched=%v", batched), func(t *testing.T) {
			ctx := t.Context()
			st, err := embedded.Open(ctx, t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			s := st.Stores()
			if !batched {
				s.Catalog = noBatches{s.Catalog}
			}
			checkBulkSeed(t, s, func(title, id string) bool { return searchFinds(t, s, title, id) })
		})
	}
}

// TestBulkSeedCassandra runs the same check against a real Cassandra
// (BACKBEAT_CASSANDRA=1), the store the bulk path exists for.
func TestBulkSeedCassandra(t *testing.T) {
	hosts := cassandratest.Shared(t)
	ctx := t.Context()
	cfg := cassandra.Config{
		Hosts:       hosts,
		LocalDC:     cassandratest.SharedDC,
		Keyspace:    fmt.Sprintf("backbeat_seed_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9),
		Replication: map[string]int{cassandratest.SharedDC: 1},
		Timeout:     30 * time.Second,
	}
	if err := cassandra.Migrate(ctx, cfg); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	st, err := cassandra.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	// The Cassandra store searches through OpenSearch, fed by the change
	// feed: a seeded track is findable once the document the indexer reads
	// back for it is there, with its title.
	checkBulkSeed(t, st.Stores(), func(title, id string) bool {
		d, err := st.SearchFeed().SearchDoc(ctx, domain.ItemTrack, id)
		if err != nil {
			t.Fatalf("SearchDoc(%s): %v", id, err)
		}
		return d.Name == title
	})
}

// checkBulkSeed checks what the seed wrote; searchable reports whether a
// track of that title and id can be found.
func checkBulkSeed(t *testing.T, s domain.Stores, searchable func(title, id string) bool) {
	ctx := t.Context()
	var (
		mu   sync.Mutex
		last = map[string]storeseed.Progress{}
	)
	opts := storeseed.Options{Concurrency: 8, Progress: func(p storeseed.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Done > last[p.Phase].Done {
			last[p.Phase] = p
		}
	}}
	start := time.Now()
	cat, err := storeseed.FillCatalog(ctx, s, bulkTracks, opts)
	if err != nil {
		t.Fatal(err)
	}
	plIDs, err := storeseed.FillPlaylists(ctx, s, cat.TrackIDs, bulkPlaylists, 5, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d tracks and %d playlists in %v", bulkTracks, bulkPlaylists, time.Since(start).Round(time.Millisecond))

	if len(cat.ArtistIDs) != bulkTracks/20 || len(cat.AlbumIDs) != bulkTracks/10 || len(cat.TrackIDs) != bulkTracks || len(plIDs) != bulkPlaylists {
		t.Fatalf("reported %d artists, %d albums, %d tracks, %d playlists; want %d, %d, %d, %d", len(cat.ArtistIDs), len(cat.AlbumIDs),
			len(cat.TrackIDs), len(plIDs), bulkTracks/20, bulkTracks/10, bulkTracks, bulkPlaylists)
	}
	for phase, total := range map[string]int{"artists": bulkTracks / 20, "albums": bulkTracks / 10, "tracks": bulkTracks,
		"users": bulkPlaylists / 10, "playlists": bulkPlaylists} {
		if p := last[phase]; p.Done != total || p.Total != total {
			t.Errorf("last progress of %s: %d of %d, want %d of %d", phase, p.Done, p.Total, total, total)
		}
	}

	// Listings hold exactly the reported ids.
	listed := func(list func(p domain.Page) ([]string, string, error)) []string {
		var ids []string
		p := domain.Page{Size: 500}
		for {
			got, next, err := list(p)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, got...)
			if next == "" {
				slices.Sort(ids)
				return ids
			}
			p.Token = next
		}
	}
	if got := listed(func(p domain.Page) ([]string, string, error) {
		l, next, err := s.Catalog.ListArtists(ctx, p)
		return ids(l, func(a *domain.Artist) string { return a.ID }), next, err
	}); !slices.Equal(got, cat.ArtistIDs) {
		t.Errorf("ListArtists: %d ids, want the %d seeded", len(got), len(cat.ArtistIDs))
	}
	if got := listed(func(p domain.Page) ([]string, string, error) {
		l, next, err := s.Catalog.ListAlbums(ctx, p)
		return ids(l, func(a *domain.Album) string { return a.ID }), next, err
	}); !slices.Equal(got, cat.AlbumIDs) {
		t.Errorf("ListAlbums: %d ids, want the %d seeded", len(got), len(cat.AlbumIDs))
	}
	if got := listed(func(p domain.Page) ([]string, string, error) {
		l, next, err := s.Catalog.ListTracks(ctx, p)
		return ids(l, func(tr *domain.Track) string { return tr.ID }), next, err
	}); !slices.Equal(got, cat.TrackIDs) {
		t.Errorf("ListTracks: %d ids, want the %d seeded", len(got), len(cat.TrackIDs))
	}

	// Every album has its ten tracks, and tracks are searchable by title.
	for _, i := range []int{0, bulkTracks / 2, bulkTracks - 1} {
		tr, err := s.Catalog.GetTrack(ctx, cat.TrackIDs[i])
		if err != nil {
			t.Fatal(err)
		}
		inAlbum, _, err := s.Catalog.ListTracksByAlbum(ctx, tr.AlbumID, domain.Page{Size: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(inAlbum) != 10 {
			t.Errorf("album %s of track %d: %d tracks, want 10", tr.AlbumID, i, len(inAlbum))
		}
		if !searchable(tr.Title, tr.ID) {
			t.Errorf("Search(%q) does not find track %d (%s)", tr.Title, i, tr.ID)
		}
	}

	// Each playlist holds as many entries as it counts, all seeded tracks.
	for _, id := range plIDs {
		pl, err := s.Playlists.GetPlaylist(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		entries, _, err := s.Playlists.ListEntries(ctx, id, domain.Page{Size: 100})
		if err != nil {
			t.Fatal(err)
		}
		if !pl.Public || pl.TrackCount < 1 || int(pl.TrackCount) != len(entries) {
			t.Errorf("playlist %s: public %v, counts %d, lists %d entries", id, pl.Public, pl.TrackCount, len(entries))
		}
		for _, e := range entries {
			if _, ok := slices.BinarySearch(cat.TrackIDs, e.TrackID); !ok {
				t.Errorf("playlist %s: entry of unseeded track %s", id, e.TrackID)
			}
		}
	}
}

func ids[T any](l []T, id func(T) string) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = id(v)
	}
	return out
}

// searchFinds pages through the track hits for query until it meets id.
func searchFinds(t *testing.T, s domain.Stores, query, id string) bool {
	p := domain.Page{Size: 50}
	for range 40 {
		hits, next, err := s.Catalog.Search(context.Background(), query, []domain.ItemType{domain.ItemTrack}, p)
		if err != nil {
			t.Fatalf("Search(%q): %v", query, err)
		}
		for _, h := range hits {
			if h.Track != nil && h.Track.ID == id {
				return true
			}
		}
		if next == "" {
			return false
		}
		p.Token = next
	}
	return false
}
