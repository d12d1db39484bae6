package storeseed_test

import (
	"slices"
	"testing"

	"github.com/backbeat/backbeat/server/store/embedded"
	"github.com/backbeat/backbeat/server/store/storeseed"
)

// The load tool and the benchmarks rely on the shape FillCatalog and
// FillPlaylists promise: the counts, ids in creation order, every entry a
// seeded track. The embedded store also takes the Batcher path.
func TestFillCatalogAndPlaylists(t *testing.T) {
	ctx := t.Context()
	st, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := st.Stores()

	cat, err := storeseed.FillCatalog(ctx, s, 45, storeseed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.ArtistIDs) != 2 || len(cat.AlbumIDs) != 5 || len(cat.TrackIDs) != 45 {
		t.Fatalf("%d artists, %d albums, %d tracks; want 2, 5, 45", len(cat.ArtistIDs), len(cat.AlbumIDs), len(cat.TrackIDs))
	}
	if !slices.IsSorted(cat.TrackIDs) || len(cat.Words) == 0 {
		t.Errorf("track ids sorted %v, %d words", slices.IsSorted(cat.TrackIDs), len(cat.Words))
	}
	tr, err := s.Catalog.GetTrack(ctx, cat.TrackIDs[44])
	if err != nil {
		t.Fatal(err)
	}
	if tr.AlbumID != cat.AlbumIDs[4] || tr.TrackNumber != 5 {
		t.Errorf("track 44: album %s number %d, want %s 5", tr.AlbumID, tr.TrackNumber, cat.AlbumIDs[4])
	}

	ids, err := storeseed.FillPlaylists(ctx, s, cat.TrackIDs, 12, 3, storeseed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 12 {
		t.Fatalf("%d playlists, want 12", len(ids))
	}
	for _, id := range ids {
		pl, err := s.Playlists.GetPlaylist(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !pl.Public || pl.TrackCount < 1 || pl.TrackCount > 6 {
			t.Errorf("playlist %s: public %v, %d entries; want public, 1 to 6", id, pl.Public, pl.TrackCount)
		}
	}
}

func TestIDAfter(t *testing.T) {
	last := ""
	for range 1000 {
		id := storeseed.IDAfter(last)
		if id <= last {
			t.Fatalf("IDAfter(%q) = %q, not above it", last, id)
		}
		last = id
	}
	// Far above any fresh id: the next is last plus one, carrying.
	if got, want := storeseed.IDAfter("zzzzzzzzzzzzzzzzzzzzzzzzzy"), "zzzzzzzzzzzzzzzzzzzzzzzzzz"; got != want {
		t.Errorf("IDAfter(...y) = %q, want %q", got, want)
	}
	if got, want := storeseed.IDAfter("zzzzzzzzzzzzzzzzzzzzzzzzyz"), "zzzzzzzzzzzzzzzzzzzzzzzzz0"; got != want {
		t.Errorf("IDAfter(...yz) = %q, want %q", got, want)
	}
}
