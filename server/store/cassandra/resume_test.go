package cassandra

import (
	"slices"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// testResumableCreates: each create's INSERT ... IF NOT EXISTS applies but
// its answer is lost, so the create fails before writing its index rows.
// The caller's retry with the same request completes them: the entity is
// listed and has a search feed record. A create with the same id and other
// content still gets AlreadyExists.
func testResumableCreates(t *testing.T, s *Store, f *failingSession) {
	ctx := t.Context()
	f.setFaults(
		&fault{match: "INSERT INTO artists (", kind: applyThenTimeout, times: 1},
		&fault{match: "INSERT INTO albums (", kind: applyThenTimeout, times: 1},
		&fault{match: "INSERT INTO tracks (", kind: applyThenTimeout, times: 1},
		&fault{match: "INSERT INTO playlists (", kind: applyThenTimeout, times: 1})
	defer f.setFaults()
	st := s.Stores()
	since := time.Now().Add(-time.Second)

	now := time.Now().UTC().Truncate(time.Millisecond)
	owner := "resume-" + domain.NewID() // listings of this test's own
	ar := &domain.Artist{ID: domain.NewID(), Name: "Resumed", OwnerIDs: []string{owner}, CreateTime: now, UpdateTime: now}
	al := &domain.Album{ID: domain.NewID(), Title: "Resumed LP", ArtistIDs: []string{ar.ID}, Type: domain.AlbumTypeAlbum,
		ReleaseDate: "2024-01-02", CreateTime: now, UpdateTime: now}
	tr := &domain.Track{ID: domain.NewID(), Title: "Resumed Song", ArtistIDs: []string{ar.ID}, AlbumID: al.ID,
		DiscNumber: 1, TrackNumber: 1, Duration: time.Minute, CreateTime: now, UpdateTime: now}
	pl := &domain.Playlist{ID: domain.NewID(), OwnerID: owner, Name: "Resumed mix", Public: true, CreateTime: now, UpdateTime: now}
	creates := []struct {
		kind   domain.ItemType
		id     string
		create func() error
		listed func() (bool, error)
		clash  func() error
	}{
		{domain.ItemType(kindArtist), ar.ID, func() error { return st.Catalog.CreateArtist(ctx, ar) },
			func() (bool, error) {
				got, err := st.Catalog.ListArtistsByOwner(ctx, owner)
				return slices.ContainsFunc(got, func(a *domain.Artist) bool { return a.ID == ar.ID }), err
			},
			func() error { c := *ar; c.Name = "Other"; return st.Catalog.CreateArtist(ctx, &c) }},
		{domain.ItemType(kindAlbum), al.ID, func() error { return st.Catalog.CreateAlbum(ctx, al) },
			func() (bool, error) {
				got, _, err := st.Catalog.ListAlbumsByArtist(ctx, ar.ID, domain.Page{Size: 10})
				return slices.ContainsFunc(got, func(a *domain.Album) bool { return a.ID == al.ID }), err
			},
			func() error { c := *al; c.Title = "Other"; return st.Catalog.CreateAlbum(ctx, &c) }},
		{domain.ItemType(kindTrack), tr.ID, func() error { return st.Catalog.CreateTrack(ctx, tr) },
			func() (bool, error) {
				got, _, err := st.Catalog.ListTracksByAlbum(ctx, al.ID, domain.Page{Size: 10})
				return slices.ContainsFunc(got, func(x *domain.Track) bool { return x.ID == tr.ID }), err
			},
			func() error { c := *tr; c.Title = "Other"; return st.Catalog.CreateTrack(ctx, &c) }},
		{domain.ItemType(kindPlaylist), pl.ID, func() error { return st.Playlists.CreatePlaylist(ctx, pl) },
			func() (bool, error) {
				got, _, err := st.Playlists.ListPlaylistsByOwner(ctx, owner, true, domain.Page{Size: 10})
				return slices.ContainsFunc(got, func(p *domain.Playlist) bool { return p.ID == pl.ID }), err
			},
			func() error { c := *pl; c.Name = "Other"; return st.Playlists.CreatePlaylist(ctx, &c) }},
	}
	for _, c := range creates {
		if err := c.create(); err == nil {
			t.Fatalf("create %s with its insert's answer lost: no error, want the timeout", c.kind)
		}
		if ok, err := c.listed(); err != nil || ok {
			t.Fatalf("%s listed after the lost answer: %v, err %v; want not yet (the index rows were never written)", c.kind, ok, err)
		}
		if err := c.create(); err != nil {
			t.Fatalf("retried create of %s: %v; want it resumed", c.kind, err)
		}
		if ok, err := c.listed(); err != nil || !ok {
			t.Fatalf("%s listed after the retry: %v, err %v; want listed", c.kind, ok, err)
		}
		if n := named(readAllFeed(t, s.SearchFeed(), since), c.kind, c.id); n == 0 {
			t.Fatalf("%s %s has no search feed record after the retry", c.kind, c.id)
		}
		if err := c.clash(); !domain.IsKind(err, domain.KindAlreadyExists) {
			t.Fatalf("create of another %s with the same id: %v; want AlreadyExists", c.kind, err)
		}
	}
}
