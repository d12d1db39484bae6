package storetest

import (
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// SearchSetup is a deployment's search path for RunSearchQuality: its
// stores, the engine Search queries when there is one (nil: the store
// answers), and Sync, which returns once every write made so far is
// searchable (nil when writes are searchable at once).
type SearchSetup struct {
	Stores domain.Stores
	Engine domain.SearchEngine
	Sync   func(t *testing.T)
}

// RunSearchQuality pins what a listener gets from Search through the
// domain, whichever engine answers: typo tolerance, accents, prefixes,
// public playlists (never private ones) and the top result of the grouped
// search. Every case compares sets of matches, so engines may order equal
// matches differently; where an order is pinned (the first of a group, the
// top result), the engines' scores differ by a whole level (an exact name
// over a prefix, a whole word over a prefix, more counted plays on a tie).
// open must return a fresh, empty setup each time it is called.
func RunSearchQuality(t *testing.T, open func(t *testing.T) SearchSetup) {
	for _, tc := range searchQualityTests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			f := newFixture(t, s.Stores)
			cat := domain.NewCatalog(s.Stores, nil, time.Now)
			if s.Engine != nil {
				cat.SetSearchEngine(s.Engine)
			}
			tc.run(t, &searchFixture{fixture: f, cat: cat, sync: s.Sync})
		})
	}
}

var searchQualityTests = []struct {
	name string
	run  func(t *testing.T, f *searchFixture)
}{
	{"Typos", testSearchTypos},
	{"Accents", testSearchAccents},
	{"Prefixes", testSearchPrefixes},
	{"Playlists", testSearchPlaylists},
	{"TopResult", testSearchTopResult},
}

type searchFixture struct {
	*fixture
	cat  *domain.Catalog
	sync func(t *testing.T)
}

// grouped runs the grouped search once the engine has caught up.
func (f *searchFixture) grouped(query string, types ...domain.ItemType) *domain.SearchResults {
	f.t.Helper()
	if f.sync != nil {
		f.sync(f.t)
	}
	res, err := f.cat.SearchGrouped(f.ctx, query, types, domain.Page{Size: 50})
	must(f.t, err)
	return res
}

// matches returns the ids of every group's hits, sorted.
func (f *searchFixture) matches(query string, types ...domain.ItemType) []string {
	f.t.Helper()
	var all []string
	for _, g := range f.grouped(query, types...).Groups {
		all = append(all, hitIDs(g.Hits)...)
	}
	return sorted(all)
}

type matchCase struct {
	query string
	want  []string
}

func (f *searchFixture) wantMatches(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, c := range cases {
		wantIDs(t, "matches of "+c.query, f.matches(c.query), sorted(c.want))
	}
}

// testSearchTypos: one edit for words of 4-7 letters, two from 8, none
// below 4, the first letter always right, and only for a word that starts
// no word at all.
func testSearchTypos(t *testing.T, f *searchFixture) {
	beyonce := f.artist("Beyoncé")
	lemonade := f.album("Lemonade", beyonce)
	halo := f.track("Halo", lemonade, beyonce)
	daft := f.artist("Daft Punk")
	disco := f.album("Discovery", daft)
	f.wantMatches(t, []matchCase{
		{"beyonse", []string{beyonce.ID, lemonade.ID, halo.ID}}, // 7 letters, 1 edit
		{"beyonsa", nil},                            // 7 letters, 2 edits
		{"daftt", []string{daft.ID, disco.ID}},      // 5 letters, 1 edit
		{"dicsovery", []string{disco.ID}},           // a transposition is one edit
		{"discuvary", []string{disco.ID}},           // 9 letters, 2 edits
		{"discuvarry", nil},                         // 10 letters, 3 edits
		{"hlo", nil},                                // under 4 letters, no typo
		{"hslo", []string{halo.ID}},                 // 4 letters, 1 edit
		{"galo", nil},                               // the first letter is never a typo
		{"lemonad", []string{lemonade.ID, halo.ID}}, // a prefix, taken as typed
		{"hslo lemonade", []string{halo.ID}},        // a typo beside an exact word
	})
}

func testSearchAccents(t *testing.T, f *searchFixture) {
	bjork := f.artist("Björk")
	post := f.album("Post", bjork)
	sigur := f.artist("Sigur Rós")
	hopp := f.track("Hoppípolla", f.album("Takk…", sigur), sigur)
	u := f.user("listener")
	pl := f.playlist(u, "Crème Brûlée Café")
	f.wantMatches(t, []matchCase{
		{"bjork", []string{bjork.ID, post.ID}},
		{"BJÖRK", []string{bjork.ID, post.ID}},
		{"sigur ros hoppipolla", []string{hopp.ID}},
		{"creme brulee", []string{pl.ID}},
		{"CAFÉ", []string{pl.ID}},
	})
}

func testSearchPrefixes(t *testing.T, f *searchFixture) {
	daft := f.artist("Daft Punk")
	disco := f.album("Discovery", daft)
	omt := f.track("One More Time", disco, daft)
	u := f.user("listener")
	theque := f.playlist(u, "Discotheque Hits")
	nights := f.playlist(u, "Disco Nights")
	f.wantMatches(t, []matchCase{
		{"disc", []string{disco.ID, omt.ID, theque.ID, nights.ID}}, // a track by its album
		{"daft pu", []string{daft.ID, disco.ID, omt.ID}},
		{"one mo", []string{omt.ID}},
		{"onc", nil}, // words match from their start only
	})
	// A whole word ranks above a prefix of a longer one.
	wantIDs(t, "playlists for disco", hitIDs(f.grouped("disco", domain.ItemPlaylist).Groups[0].Hits), []string{nights.ID, theque.ID})
}

// testSearchPlaylists: a public playlist is found by its name, and the
// index follows it being renamed, made private, made public again and
// deleted, and its owner being deleted. A private playlist is never found,
// not even by its owner's query (Search has no caller).
func testSearchPlaylists(t *testing.T, f *searchFixture) {
	owner, other := f.user("owner"), f.user("other")
	road := f.playlist(owner, "Road Trip Anthems")
	secret := f.newPlaylist(owner, "Road Secrets")
	secret.Public = false
	must(t, f.s.Playlists.CreatePlaylist(f.ctx, secret))
	kept := f.playlist(other, "Road Classics")
	f.wantMatches(t, []matchCase{{"road", []string{road.ID, kept.ID}}, {"secrets", nil}})

	res := f.grouped("road trip", domain.ItemPlaylist)
	if len(res.Groups) != 1 || len(res.Groups[0].Hits) != 1 || res.Groups[0].Hits[0].Playlist == nil ||
		res.Groups[0].Hits[0].Playlist.Name != road.Name {
		t.Fatalf("playlist group for road trip = %+v, want the playlist %q", res.Groups, road.Name)
	}

	update := func(pl *domain.Playlist) {
		t.Helper()
		pl.UpdateTime = f.now()
		must(t, f.s.Playlists.UpdatePlaylist(f.ctx, pl))
	}
	road.Name = "Summer Drive"
	update(road)
	f.wantMatches(t, []matchCase{{"road", []string{kept.ID}}, {"summer drive", []string{road.ID}}})
	// The index itself follows, not only what a page shows: a stale entry
	// ranked first would leave a page of one empty.
	extended := f.playlist(other, "Summer Drive Extended")
	road.Public = false
	update(road)
	f.wantMatches(t, []matchCase{{"summer", []string{extended.ID}}})
	wantIDs(t, "first page of summer drive", f.firstPlaylist("summer drive"), []string{extended.ID})
	road.Public = true
	update(road)
	f.wantMatches(t, []matchCase{{"summer", []string{road.ID, extended.ID}}})
	secret.Public = true
	update(secret)
	f.wantMatches(t, []matchCase{{"secrets", []string{secret.ID}}})

	must(t, f.s.Playlists.DeletePlaylist(f.ctx, secret.ID))
	f.wantMatches(t, []matchCase{{"secrets", nil}})
	f.playlist(owner, "Road")
	must(t, f.s.Users.DeleteUser(f.ctx, owner.ID))
	f.wantMatches(t, []matchCase{{"summer", []string{extended.ID}}, {"road", []string{kept.ID}}})
	wantIDs(t, "first page of road", f.firstPlaylist("road"), []string{kept.ID})
}

// firstPlaylist returns the ids on the first page of one playlist.
func (f *searchFixture) firstPlaylist(query string) []string {
	f.t.Helper()
	if f.sync != nil {
		f.sync(f.t)
	}
	res, err := f.cat.SearchGrouped(f.ctx, query, []domain.ItemType{domain.ItemPlaylist}, domain.Page{Size: 1})
	must(f.t, err)
	return hitIDs(res.Groups[0].Hits)
}

// testSearchTopResult: an artist whose whole name is the query is the top
// result however many tracks match better-played; with none, the best
// match of any group is, counted plays breaking ties.
func testSearchTopResult(t *testing.T, f *searchFixture) {
	river := f.artist("River River")
	other := f.artist("Rivers Of Nowhere")
	al := f.album("Down By The River", other)
	u := f.user("listener")
	var tracks []*domain.Track
	for _, title := range []string{"River", "River Song", "Cry Me A River", "Riverside"} {
		tr := f.track(title, al, other)
		tracks = append(tracks, tr)
		// Plays make every track more popular than the artist.
		p := f.play(u, tr)
		must(t, f.s.Plays.CountPlay(f.ctx, u.ID, p.PlaybackID, tr.ID))
	}
	f.settleCounts()
	f.playlist(u, "River Mix")
	res := f.grouped("river")
	if res.Top == nil || res.Top.Artist == nil || res.Top.Artist.ID != river.ID {
		t.Fatalf("top result for river = %+v, want the artist %q", res.Top, river.Name)
	}
	wantTypes := []domain.ItemType{domain.ItemArtist, domain.ItemAlbum, domain.ItemTrack, domain.ItemPlaylist}
	for i, g := range res.Groups {
		if g.Type != wantTypes[i] || len(g.Hits) == 0 {
			t.Fatalf("group %d = %s with %d hits, want %s with some", i, g.Type, len(g.Hits), wantTypes[i])
		}
	}
	wantIDs(t, "tracks for river", sorted(hitIDs(res.Groups[2].Hits)), sorted(ids(tracks, func(tr *domain.Track) string { return tr.ID })))

	// No artist named so: the best match, here the track whose title is
	// the query; a later page has no top result.
	res = f.grouped("cry me a river", domain.ItemArtist, domain.ItemTrack)
	if res.Top == nil || res.Top.Track == nil || res.Top.Track.ID != tracks[2].ID {
		t.Fatalf("top result for cry me a river = %+v, want the track %q", res.Top, tracks[2].Title)
	}
	more, err := f.cat.SearchGrouped(f.ctx, "river", []domain.ItemType{domain.ItemTrack}, domain.Page{Size: 1})
	must(t, err)
	if more.Groups[0].Next == "" {
		t.Fatal("a page of 1 track of 4 has no next token")
	}
	next, err := f.cat.SearchGrouped(f.ctx, "river", []domain.ItemType{domain.ItemTrack}, domain.Page{Size: 1, Token: more.Groups[0].Next})
	must(t, err)
	if next.Top != nil || len(next.Groups[0].Hits) != 1 || hitID(next.Groups[0].Hits[0]) == hitID(more.Groups[0].Hits[0]) {
		t.Fatalf("second page = top %+v, %d hits; want no top and another track", next.Top, len(next.Groups[0].Hits))
	}
	_, err = f.cat.SearchGrouped(f.ctx, "river", nil, domain.Page{Size: 1, Token: more.Groups[0].Next})
	wantKind(t, err, domain.KindInvalid)
}
