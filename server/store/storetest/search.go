package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/backbeat/backbeat/server/domain"
)

var searchTests = []test{
	{"Search/AccentsAndCase", testSearchFolding},
	{"Search/PrefixAcrossFields", testSearchPrefix},
	{"Search/Kinds", testSearchKinds},
	{"Search/Ranking", testSearchRanking},
	{"Search/HitsCarryEntities", testSearchHits},
	{"Search/FollowsUpdates", testSearchUpdates},
	{"Search/TokenOfAnotherQuery", testSearchTokenOfAnotherQuery},
}

// hitIDs returns the ids of the hits, in rank order.
func hitIDs(hits []domain.SearchHit) []string { return ids(hits, hitID) }

func testSearchFolding(t *testing.T, f *fixture) {
	beyonce := f.artist("Beyoncé")
	al := f.album("Łódź", beyonce)
	tr := f.track("Don’t Stop — Straße", al, beyonce)
	f.artist("Beyond")
	tests := []struct {
		query string
		want  []string
	}{
		{"beyonce", []string{beyonce.ID, al.ID, tr.ID}},
		{"BEYONCÉ", []string{beyonce.ID, al.ID, tr.ID}},
		{"lodz", []string{al.ID, tr.ID}},
		{"ŁÓDŹ", []string{al.ID, tr.ID}},
		{"strasse", []string{tr.ID}},
		{"dont stop", []string{tr.ID}},
		{"don't", []string{tr.ID}},
		{"beyonce!!", []string{beyonce.ID, al.ID, tr.ID}},
		{"onc", nil}, // matches start words only
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			wantIDs(t, "hits, sorted", sorted(hitIDs(f.search(tt.query))), sorted(tt.want))
		})
	}
}

func testSearchPrefix(t *testing.T, f *fixture) {
	daft, other := f.artist("Daft Punk"), f.artist("Punk Daftness Orchestra")
	disco := f.album("Discovery", daft)
	omt, dl := f.track("One More Time", disco, daft), f.track("Digital Love", disco, daft)
	f.track("Unrelated", f.album("Elsewhere", f.artist("Someone")), f.artist("Someone Else"))

	hits := hitIDs(f.search("daft pu"))
	// The orchestra matches too: both words start one of its words.
	wantIDs(t, "hits, sorted", sorted(hits), sorted([]string{daft.ID, other.ID, disco.ID, omt.ID, dl.ID}))
	if hits[0] != daft.ID {
		t.Fatalf("first hit = %q, want the artist %q whose name is the query's words", hits[0], daft.ID)
	}
	wantIDs(t, "every word must match", hitIDs(f.search("daft zebra")), nil)
	wantIDs(t, "empty query", hitIDs(f.search("  ")), nil)
}

func testSearchKinds(t *testing.T, f *fixture) {
	ar := f.artist("Echo Artist")
	al := f.album("Echo Album", ar)
	tr := f.track("Echo Track", al, ar)
	tests := []struct {
		types []domain.ItemType
		want  []string
	}{
		{nil, []string{ar.ID, al.ID, tr.ID}},
		{[]domain.ItemType{domain.ItemArtist}, []string{ar.ID}},
		{[]domain.ItemType{domain.ItemAlbum}, []string{al.ID}},
		{[]domain.ItemType{domain.ItemTrack}, []string{tr.ID}},
		{[]domain.ItemType{domain.ItemTrack, domain.ItemArtist}, []string{ar.ID, tr.ID}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.types), func(t *testing.T) {
			hits := f.search("echo", tt.types...)
			wantIDs(t, "hits, sorted", sorted(hitIDs(hits)), sorted(tt.want))
			for _, h := range hits {
				if len(tt.types) > 0 && !slices.Contains(tt.types, hitType(h)) {
					t.Fatalf("hit of type %q, asked %q", hitType(h), tt.types)
				}
			}
		})
	}
}

func hitType(h domain.SearchHit) domain.ItemType {
	switch {
	case h.Track != nil:
		return domain.ItemTrack
	case h.Album != nil:
		return domain.ItemAlbum
	case h.Playlist != nil:
		return domain.ItemPlaylist
	}
	return domain.ItemArtist
}

func testSearchRanking(t *testing.T, f *fixture) {
	ar := f.artist("Various")
	al := f.album("Hits", ar)
	lovely := f.track("Lovely Day", al, ar)
	love := f.track("Love", al, ar)
	f.track("Glove Story", al, ar)
	hits := hitIDs(f.search("love"))
	wantIDs(t, "exact title before a prefix match; no match inside a word", hits, []string{love.ID, lovely.ID})

	// A title match ranks above a match on the artist's name only.
	byName := f.track("Anything", f.album("Other", f.artist("Nightwish")), f.artist("Nightwish Tribute"))
	titled := f.track("Nightwish", al, ar)
	hits = hitIDs(f.search("nightwish", domain.ItemTrack))
	wantIDs(t, "title before artist name", hits, []string{titled.ID, byName.ID})
}

func testSearchHits(t *testing.T, f *fixture) {
	ar := f.artist("Solo")
	al := f.album("Solo Album", ar)
	tr := f.track("Solo Song", al, ar)
	hits := f.search("solo")
	if len(hits) != 3 {
		t.Fatalf("got %d hits, want 3", len(hits))
	}
	for i, h := range hits {
		set := 0
		for _, p := range []bool{h.Track != nil, h.Album != nil, h.Artist != nil} {
			if p {
				set++
			}
		}
		if set != 1 {
			t.Fatalf("hit %d has %d entities, want exactly one", i, set)
		}
		if i > 0 && h.Score > hits[i-1].Score {
			t.Fatalf("hit %d scores %v, above hit %d (%v)", i, h.Score, i-1, hits[i-1].Score)
		}
		switch {
		case h.Track != nil:
			wantEqual(t, "track hit", h.Track, tr)
		case h.Album != nil:
			wantEqual(t, "album hit", h.Album, f.getAlbum(al.ID))
		default:
			wantEqual(t, "artist hit", h.Artist, ar)
		}
	}
}

func testSearchUpdates(t *testing.T, f *fixture) {
	ar := f.artist("Prince")
	al := f.album("Purple Rain", ar)
	tr := f.track("When Doves Cry", al, ar)

	ar.Name, ar.UpdateTime = "The Artist", f.now()
	must(t, f.s.Catalog.UpdateArtist(f.ctx, ar))
	wantIDs(t, "old name", hitIDs(f.search("prince")), nil)
	wantIDs(t, "new name", sorted(hitIDs(f.search("the artist"))), sorted([]string{ar.ID, al.ID, tr.ID}))

	al.Title, al.UpdateTime = "Violet Snow", f.now()
	must(t, f.s.Catalog.UpdateAlbum(f.ctx, al))
	wantIDs(t, "old album title", hitIDs(f.search("purple")), nil)
	wantIDs(t, "new album title", sorted(hitIDs(f.search("violet"))), sorted([]string{al.ID, tr.ID}))

	tr.Title, tr.UpdateTime = "When Pigeons Cry", f.now()
	must(t, f.s.Catalog.UpdateTrack(f.ctx, tr))
	wantIDs(t, "old track title", hitIDs(f.search("doves")), nil)
	hits := f.search("pigeons")
	if len(hits) != 1 || hits[0].Track == nil || hits[0].Track.Title != "When Pigeons Cry" {
		t.Fatalf("new track title: hits %q", hitIDs(hits))
	}

	must(t, f.s.Catalog.DeleteTrack(f.ctx, tr.ID))
	wantIDs(t, "deleted track", hitIDs(f.search("pigeons")), nil)
	deleted, err := f.s.Catalog.DeleteAlbum(f.ctx, al.ID)
	must(t, err)
	wantIDs(t, "tracks deleted with the album", deleted, nil)
	wantIDs(t, "deleted album", hitIDs(f.search("violet")), nil)
}

// testSearchTokenOfAnotherQuery: a page token is an offset into one query's
// ranking, so it is refused for another query rather than skipping an
// arbitrary number of that query's hits. The same query, however spelled
// the same once folded, goes on.
func testSearchTokenOfAnotherQuery(t *testing.T, f *fixture) {
	ar := f.artist("Moby")
	al := f.album("Play", ar)
	for i := range 3 {
		f.track(fmt.Sprintf("Porcelain %d", i), al, ar)
	}
	_, next, err := f.s.Catalog.Search(f.ctx, "porcelain", nil, domain.Page{Size: 1})
	must(t, err)
	if next == "" {
		t.Fatal("no next page token for 3 hits in pages of 1")
	}
	_, _, err = f.s.Catalog.Search(f.ctx, "moby", nil, domain.Page{Size: 1, Token: next})
	wantKind(t, err, domain.KindInvalid)
	hits, _, err := f.s.Catalog.Search(f.ctx, "PORCELAIN", nil, domain.Page{Size: 1, Token: next})
	must(t, err)
	if len(hits) != 1 {
		t.Fatalf("same query, next page: %d hits, want 1", len(hits))
	}
}
