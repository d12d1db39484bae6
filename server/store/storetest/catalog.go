package storetest

import (
	"slices"
	"testing"

	"github.com/backbeat/backbeat/server/domain"
)

var catalogTests = []test{
	{"Artist/CreateGetUpdateDelete", testArtistCRUD},
	{"Artist/ListByOwner", testArtistsByOwner},
	{"Catalog/NotFound", testCatalogNotFound},
	{"Catalog/DuplicateID", testCatalogDuplicateID},
	{"Album/CreateGetUpdateDelete", testAlbumCRUD},
	{"Album/TrackCount", testAlbumTrackCount},
	{"Track/CreateGetUpdateDelete", testTrackCRUD},
	{"Track/BatchGet", testBatchGetTracks},
	{"Catalog/ReturnedValuesAreCopies", testReturnedCopies},
	{"Cascade/DeleteTrack", testDeleteTrackCascade},
	{"Cascade/DeleteAlbum", testDeleteAlbumCascade},
	{"Cascade/DeleteArtist", testDeleteArtistCascade},
}

func testArtistCRUD(t *testing.T, f *fixture) {
	owner := f.user("owner")
	a := f.newArtist("Röyksopp", owner)
	must(t, f.s.Catalog.CreateArtist(f.ctx, a))
	got, err := f.s.Catalog.GetArtist(f.ctx, a.ID)
	must(t, err)
	wantEqual(t, "GetArtist", got, a)

	a.Name, a.Bio, a.Genres, a.ImageURL, a.UpdateTime = "Röyksopp & Friends", "New bio", []string{"ambient"}, "", f.now()
	must(t, f.s.Catalog.UpdateArtist(f.ctx, a))
	got, err = f.s.Catalog.GetArtist(f.ctx, a.ID)
	must(t, err)
	wantEqual(t, "after UpdateArtist", got, a)

	deleted, err := f.s.Catalog.DeleteArtist(f.ctx, a.ID)
	must(t, err)
	wantIDs(t, "tracks deleted with a trackless artist", deleted, nil)
	_, err = f.s.Catalog.GetArtist(f.ctx, a.ID)
	wantKind(t, err, domain.KindNotFound)
}

func testArtistsByOwner(t *testing.T, f *fixture) {
	alice, bob := f.user("alice"), f.user("bob")
	a1 := f.artist("One", alice)
	a2 := f.artist("Two", alice, bob)
	f.artist("Nobody's")
	list := func(u *domain.User) []string {
		t.Helper()
		as, err := f.s.Catalog.ListArtistsByOwner(f.ctx, u.ID)
		must(t, err)
		return ids(as, artistID)
	}
	wantIDs(t, "alice's", sorted(list(alice)), sorted([]string{a1.ID, a2.ID}))
	wantIDs(t, "bob's", list(bob), []string{a2.ID})

	a2.OwnerIDs = []string{bob.ID}
	a2.UpdateTime = f.now()
	must(t, f.s.Catalog.UpdateArtist(f.ctx, a2))
	wantIDs(t, "alice's after update", list(alice), []string{a1.ID})
	wantIDs(t, "bob's after update", list(bob), []string{a2.ID})
	wantIDs(t, "a stranger's", list(f.user("carol")), nil)
}

func testCatalogNotFound(t *testing.T, f *fixture) {
	ar := f.artist("Real")
	al := f.album("Real", ar)
	f.track("Real", al, ar)
	ghostArtist, ghostAlbum := f.newArtist("Ghost"), f.newAlbum("Ghost", ar)
	ghostTrack := f.newTrack("Ghost", al, ar)
	calls := map[string]func() error{
		"GetArtist":    func() error { _, err := f.s.Catalog.GetArtist(f.ctx, ghostArtist.ID); return err },
		"UpdateArtist": func() error { return f.s.Catalog.UpdateArtist(f.ctx, ghostArtist) },
		"DeleteArtist": func() error { _, err := f.s.Catalog.DeleteArtist(f.ctx, ghostArtist.ID); return err },
		"GetAlbum":     func() error { _, err := f.s.Catalog.GetAlbum(f.ctx, ghostAlbum.ID); return err },
		"UpdateAlbum":  func() error { return f.s.Catalog.UpdateAlbum(f.ctx, ghostAlbum) },
		"DeleteAlbum":  func() error { _, err := f.s.Catalog.DeleteAlbum(f.ctx, ghostAlbum.ID); return err },
		"GetTrack":     func() error { _, err := f.s.Catalog.GetTrack(f.ctx, ghostTrack.ID); return err },
		"UpdateTrack":  func() error { return f.s.Catalog.UpdateTrack(f.ctx, ghostTrack) },
		"DeleteTrack":  func() error { return f.s.Catalog.DeleteTrack(f.ctx, ghostTrack.ID) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) { wantKind(t, call(), domain.KindNotFound) })
	}
	// A failed delete reports no deleted tracks.
	for name, del := range map[string]func() ([]string, error){
		"DeleteArtist": func() ([]string, error) { return f.s.Catalog.DeleteArtist(f.ctx, ghostArtist.ID) },
		"DeleteAlbum":  func() ([]string, error) { return f.s.Catalog.DeleteAlbum(f.ctx, ghostAlbum.ID) },
	} {
		deleted, err := del()
		wantKind(t, err, domain.KindNotFound)
		if deleted != nil {
			t.Errorf("%s of a missing id returned deleted tracks %q, want nil", name, deleted)
		}
	}
	// Nothing was created on the way.
	for name, get := range map[string]func() error{
		"artist": func() error { _, err := f.s.Catalog.GetArtist(f.ctx, ghostArtist.ID); return err },
		"album":  func() error { _, err := f.s.Catalog.GetAlbum(f.ctx, ghostAlbum.ID); return err },
		"track":  func() error { _, err := f.s.Catalog.GetTrack(f.ctx, ghostTrack.ID); return err },
	} {
		if err := get(); domain.KindOf(err) != domain.KindNotFound {
			t.Errorf("%s after failed calls: %v, want NotFound", name, err)
		}
	}
}

func testCatalogDuplicateID(t *testing.T, f *fixture) {
	ar := f.artist("Original")
	al := f.album("Original", ar)
	tr := f.track("Original", al, ar)

	dupArtist := f.newArtist("Copy")
	dupArtist.ID = ar.ID
	wantField(t, f.s.Catalog.CreateArtist(f.ctx, dupArtist), domain.KindAlreadyExists, "id")
	dupAlbum := f.newAlbum("Copy", ar)
	dupAlbum.ID = al.ID
	wantField(t, f.s.Catalog.CreateAlbum(f.ctx, dupAlbum), domain.KindAlreadyExists, "id")
	dupTrack := f.newTrack("Copy", al, ar)
	dupTrack.ID = tr.ID
	wantField(t, f.s.Catalog.CreateTrack(f.ctx, dupTrack), domain.KindAlreadyExists, "id")

	got, err := f.s.Catalog.GetTrack(f.ctx, tr.ID)
	must(t, err)
	wantEqual(t, "original track", got, tr)
	if n := f.getAlbum(al.ID).TrackCount; n != 1 {
		t.Fatalf("TrackCount after a rejected duplicate = %d, want 1", n)
	}
}

func testAlbumCRUD(t *testing.T, f *fixture) {
	ar, guest := f.artist("Main"), f.artist("Guest")
	a := f.newAlbum("Debut", ar, guest)
	a.Type = domain.AlbumTypeEP
	a.TrackCount = 99 // the store's to keep: ignored
	must(t, f.s.Catalog.CreateAlbum(f.ctx, a))
	a.TrackCount = 0
	got, err := f.s.Catalog.GetAlbum(f.ctx, a.ID)
	must(t, err)
	wantEqual(t, "GetAlbum", got, a)

	song := f.track("Song", a, ar)
	a.Title, a.ArtistIDs, a.Type, a.Genres, a.ReleaseDate, a.UpdateTime = "Debut (Deluxe)", []string{ar.ID}, domain.AlbumTypeAlbum, nil, "2021-06-01", f.now()
	a.TrackCount = 42 // ignored again
	must(t, f.s.Catalog.UpdateAlbum(f.ctx, a))
	a.TrackCount = 1
	got, err = f.s.Catalog.GetAlbum(f.ctx, a.ID)
	must(t, err)
	wantEqual(t, "after UpdateAlbum", got, a)

	deleted, err := f.s.Catalog.DeleteAlbum(f.ctx, a.ID)
	must(t, err)
	wantIDs(t, "tracks deleted with the album", deleted, []string{song.ID})
	_, err = f.s.Catalog.GetAlbum(f.ctx, a.ID)
	wantKind(t, err, domain.KindNotFound)
}

func testAlbumTrackCount(t *testing.T, f *fixture) {
	ar := f.artist("Band")
	a1, a2 := f.album("One", ar), f.album("Two", ar)
	counts := func(want1, want2 int) {
		t.Helper()
		if n1, n2 := f.getAlbum(a1.ID).TrackCount, f.getAlbum(a2.ID).TrackCount; n1 != want1 || n2 != want2 {
			t.Fatalf("TrackCounts = %d, %d; want %d, %d", n1, n2, want1, want2)
		}
	}
	t1, t2 := f.track("A", a1, ar), f.track("B", a1, ar)
	f.track("C", a1, ar)
	counts(3, 0)

	t2.AlbumID, t2.UpdateTime = a2.ID, f.now()
	must(t, f.s.Catalog.UpdateTrack(f.ctx, t2))
	counts(2, 1)

	t1.Title = "A (renamed, same album)"
	must(t, f.s.Catalog.UpdateTrack(f.ctx, t1))
	counts(2, 1)

	must(t, f.s.Catalog.DeleteTrack(f.ctx, t1.ID))
	counts(1, 1)
}

func testTrackCRUD(t *testing.T, f *fixture) {
	ar, feat := f.artist("Lead"), f.artist("Featured")
	al := f.album("Record", ar)
	tr := f.newTrack("Opening", al, ar, feat)
	tr.Explicit, tr.Genres, tr.StatusReason = true, []string{"rock", "indie"}, ""
	tr.Status = domain.TrackPendingUpload
	must(t, f.s.Catalog.CreateTrack(f.ctx, tr))
	got, err := f.s.Catalog.GetTrack(f.ctx, tr.ID)
	must(t, err)
	wantEqual(t, "GetTrack", got, tr)

	playCount := got.PlayCount
	tr.Title, tr.ArtistIDs, tr.Status, tr.StatusReason = "Opening (Edit)", []string{ar.ID}, domain.TrackFailed, "corrupt upload"
	tr.DiscNumber, tr.TrackNumber, tr.Duration, tr.Explicit, tr.ISRC = 2, 7, tr.Duration/2, false, "GBXYZ2400001"
	tr.UpdateTime = f.now()
	tr.PlayCount = playCount + 12345 // the store's to keep: ignored
	must(t, f.s.Catalog.UpdateTrack(f.ctx, tr))
	tr.PlayCount = playCount
	got, err = f.s.Catalog.GetTrack(f.ctx, tr.ID)
	must(t, err)
	wantEqual(t, "after UpdateTrack", got, tr)

	must(t, f.s.Catalog.DeleteTrack(f.ctx, tr.ID))
	_, err = f.s.Catalog.GetTrack(f.ctx, tr.ID)
	wantKind(t, err, domain.KindNotFound)
	wantKind(t, f.s.Catalog.DeleteTrack(f.ctx, tr.ID), domain.KindNotFound)
}

func testBatchGetTracks(t *testing.T, f *fixture) {
	ts := f.tracks(4)
	missing := f.id()
	got, err := f.s.Catalog.BatchGetTracks(f.ctx, []string{ts[2].ID, missing, ts[0].ID, ts[3].ID})
	must(t, err)
	wantEqual(t, "BatchGetTracks", got, []*domain.Track{ts[2], ts[0], ts[3]})

	got, err = f.s.Catalog.BatchGetTracks(f.ctx, nil)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("BatchGetTracks(nil) = %d tracks", len(got))
	}
	got, err = f.s.Catalog.BatchGetTracks(f.ctx, []string{missing})
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("BatchGetTracks(missing) = %d tracks", len(got))
	}
}

func testReturnedCopies(t *testing.T, f *fixture) {
	owner := f.user("owner")
	ar := f.artist("Mutable", owner)
	al := f.album("Mutable", ar)
	tr := f.track("Mutable", al, ar)

	a, err := f.s.Catalog.GetArtist(f.ctx, ar.ID)
	must(t, err)
	a.Genres[0], a.OwnerIDs[0] = "changed", "changed"
	b, err := f.s.Catalog.GetAlbum(f.ctx, al.ID)
	must(t, err)
	b.ArtistIDs[0], b.Genres[0] = "changed", "changed"
	ts, err := f.s.Catalog.BatchGetTracks(f.ctx, []string{tr.ID, tr.ID})
	must(t, err)
	for _, x := range ts {
		x.ArtistIDs[0], x.Genres[0] = "changed", "changed"
	}

	got, err := f.s.Catalog.GetArtist(f.ctx, ar.ID)
	must(t, err)
	wantEqual(t, "artist after mutating a returned copy", got, ar)
	al.TrackCount = 1
	wantEqual(t, "album after mutating a returned copy", f.getAlbum(al.ID), al)
	gotTrack, err := f.s.Catalog.GetTrack(f.ctx, tr.ID)
	must(t, err)
	wantEqual(t, "track after mutating returned copies", gotTrack, tr)
}

func testDeleteTrackCascade(t *testing.T, f *fixture) {
	u := f.user("listener")
	ar := f.artist("Doomed Artist")
	al := f.album("Doomed Album", ar)
	doomed, kept := f.track("Vanishing Tune", al, ar), f.track("Kept Song", al, ar)
	p1, p2 := f.playlist(u, "One"), f.playlist(u, "Two")
	e1 := f.add(p1, u, kept, doomed, kept, doomed)
	f.add(p2, u, doomed)

	must(t, f.s.Catalog.DeleteTrack(f.ctx, doomed.ID))

	wantIDs(t, "playlist one", f.entryOrder(p1.ID), []string{e1[0], e1[2]})
	wantIDs(t, "playlist two", f.entryOrder(p2.ID), nil)
	if n := f.getPlaylist(p1.ID).TrackCount; n != 2 {
		t.Fatalf("playlist one TrackCount = %d, want 2", n)
	}
	if n := f.getPlaylist(p2.ID).TrackCount; n != 0 {
		t.Fatalf("playlist two TrackCount = %d, want 0", n)
	}
	if n := f.getAlbum(al.ID).TrackCount; n != 1 {
		t.Fatalf("album TrackCount = %d, want 1", n)
	}
	wantIDs(t, "search for the deleted track", ids(f.search("vanishing"), hitID), nil)
	// The playlist still takes entries where the deleted ones were.
	e := f.newEntries(u, kept)
	must(t, f.s.Playlists.AddEntries(f.ctx, p1.ID, e, 1))
	wantIDs(t, "playlist one after insert", f.entryOrder(p1.ID), []string{e1[0], e[0].ID, e1[2]})
}

func testDeleteAlbumCascade(t *testing.T, f *fixture) {
	u := f.user("listener")
	ar := f.artist("Artist")
	doomed, kept := f.album("Doomed Album", ar), f.album("Kept Album", ar)
	d1, d2 := f.track("First Doomed", doomed, ar), f.track("Second Doomed", doomed, ar)
	k := f.track("Kept", kept, ar)
	pl := f.playlist(u, "Mixed")
	e := f.add(pl, u, d1, k, d2)

	deleted, err := f.s.Catalog.DeleteAlbum(f.ctx, doomed.ID)
	must(t, err)
	wantIDs(t, "deleted tracks", sorted(deleted), sorted([]string{d1.ID, d2.ID}))

	_, err = f.s.Catalog.GetAlbum(f.ctx, doomed.ID)
	wantKind(t, err, domain.KindNotFound)
	for _, tr := range []*domain.Track{d1, d2} {
		_, err := f.s.Catalog.GetTrack(f.ctx, tr.ID)
		wantKind(t, err, domain.KindNotFound)
	}
	wantIDs(t, "entries", f.entryOrder(pl.ID), []string{e[1]})
	if n := f.getPlaylist(pl.ID).TrackCount; n != 1 {
		t.Fatalf("TrackCount = %d, want 1", n)
	}
	wantIDs(t, "kept album's tracks", ids(mustList(t, func(p domain.Page) ([]*domain.Track, string, error) {
		return f.s.Catalog.ListTracksByAlbum(f.ctx, kept.ID, p)
	}), trackID), []string{k.ID})
	wantIDs(t, "search for the deleted album", ids(f.search("doomed"), hitID), nil)

	empty := f.album("Empty Album", ar)
	deleted, err = f.s.Catalog.DeleteAlbum(f.ctx, empty.ID)
	must(t, err)
	wantIDs(t, "tracks deleted with an empty album", deleted, nil)
	_, err = f.s.Catalog.GetAlbum(f.ctx, empty.ID)
	wantKind(t, err, domain.KindNotFound)
}

func testDeleteArtistCascade(t *testing.T, f *fixture) {
	fan := f.user("fan")
	doomed, other := f.artist("Doomed Artist"), f.artist("Other Artist")
	ownAlbum := f.album("Own Album", doomed)
	ownTrack := f.track("Own Song", ownAlbum, doomed)
	// Their album, with a track by the other artist: it goes with the album.
	otherOnOwn := f.track("Guest Spot", ownAlbum, other)
	// Another's album crediting doomed: it stays, without the credit.
	guestAlbum := f.album("Split", other, doomed)
	// A track on that album whose primary artist is doomed: it goes.
	ownOnGuest := f.track("Doomed Side", guestAlbum, doomed, other)
	// A track crediting doomed second: it stays, without the credit.
	featTrack := f.track("Other Side", guestAlbum, other, doomed)
	// A track of doomed on no album: it goes.
	single := f.track("Lone Single", nil, doomed)
	// A track of the other artist on no album crediting doomed second: it
	// stays, without the credit.
	featSingle := f.track("Other Single", nil, other, doomed)
	pl := f.playlist(fan, "Mix")
	e := f.add(pl, fan, ownTrack, featTrack, otherOnOwn, ownOnGuest, single)
	must(t, f.s.Users.FollowArtist(f.ctx, fan.ID, doomed.ID))
	must(t, f.s.Users.FollowArtist(f.ctx, fan.ID, other.ID))

	deleted, err := f.s.Catalog.DeleteArtist(f.ctx, doomed.ID)
	must(t, err)
	// Each deleted track once, and none of those that stay.
	wantIDs(t, "deleted tracks", sorted(deleted), sorted([]string{ownTrack.ID, otherOnOwn.ID, ownOnGuest.ID, single.ID}))

	_, err = f.s.Catalog.GetArtist(f.ctx, doomed.ID)
	wantKind(t, err, domain.KindNotFound)
	_, err = f.s.Catalog.GetAlbum(f.ctx, ownAlbum.ID)
	wantKind(t, err, domain.KindNotFound)
	for _, tr := range []*domain.Track{ownTrack, otherOnOwn, ownOnGuest, single} {
		_, err := f.s.Catalog.GetTrack(f.ctx, tr.ID)
		wantKind(t, err, domain.KindNotFound)
	}

	gotAlbum := f.getAlbum(guestAlbum.ID)
	wantIDs(t, "guest album's artists", gotAlbum.ArtistIDs, []string{other.ID})
	if gotAlbum.TrackCount != 1 {
		t.Fatalf("guest album TrackCount = %d, want 1", gotAlbum.TrackCount)
	}
	gotTrack, err := f.s.Catalog.GetTrack(f.ctx, featTrack.ID)
	must(t, err)
	wantIDs(t, "featured track's artists", gotTrack.ArtistIDs, []string{other.ID})
	gotTrack, err = f.s.Catalog.GetTrack(f.ctx, featSingle.ID)
	must(t, err)
	wantIDs(t, "featured single's artists", gotTrack.ArtistIDs, []string{other.ID})

	wantIDs(t, "playlist entries", f.entryOrder(pl.ID), []string{e[1]})
	if n := f.getPlaylist(pl.ID).TrackCount; n != 1 {
		t.Fatalf("playlist TrackCount = %d, want 1", n)
	}
	followed := collect(t, 10, func(p domain.Page) ([]string, string, error) {
		return f.s.Users.ListFollowedArtists(f.ctx, fan.ID, p)
	})
	wantIDs(t, "fan's follows", followed, []string{other.ID})
	wantIDs(t, "albums of the other artist", ids(mustList(t, func(p domain.Page) ([]*domain.Album, string, error) {
		return f.s.Catalog.ListAlbumsByArtist(f.ctx, other.ID, p)
	}), albumID), []string{guestAlbum.ID})
	wantIDs(t, "search for the deleted artist", ids(f.search("doomed"), hitID), nil)
}

// mustList returns every item of a paged list.
func mustList[T any](t *testing.T, list func(domain.Page) ([]T, string, error)) []T {
	t.Helper()
	var all []T
	token := ""
	for range 1000 {
		page, next, err := list(domain.Page{Size: domain.MaxPageSize, Token: token})
		must(t, err)
		all = append(all, page...)
		if next == "" {
			return all
		}
		token = next
	}
	t.Fatal("list never ends")
	return nil
}

func sorted(xs []string) []string { return slices.Sorted(slices.Values(xs)) }
