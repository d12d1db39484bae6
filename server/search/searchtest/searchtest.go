// Package searchtest is the conformance of search engines: one catalog and
// one table of queries that every engine behind domain.SearchEngine (the
// embedded index, OpenSearch) runs, so they agree on what a listener's
// query finds. It pins which documents match (sets: typos, accents,
// prefixes, playlists), the first of a group where the engines' scores
// differ by a whole level (an exact title over a whole word over a prefix,
// then counted plays), and which hit names the query exactly (the top
// result's rule). Within one level, engines may order matches differently:
// the embedded index prefers the shorter title, OpenSearch the smaller id.
package searchtest

import (
	"context"
	"slices"
	"testing"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/search"
)

// Docs is the catalog every case runs against. A track is also found by
// its album's title, as the stores index it.
func Docs() []domain.SearchDoc {
	art := func(id, name string) domain.SearchDoc {
		return domain.SearchDoc{Kind: domain.ItemArtist, ID: id, Name: name}
	}
	alb := func(id, name string, also ...string) domain.SearchDoc {
		return domain.SearchDoc{Kind: domain.ItemAlbum, ID: id, Name: name, Artists: also}
	}
	trk := func(id, name string, pop int64, also ...string) domain.SearchDoc {
		return domain.SearchDoc{Kind: domain.ItemTrack, ID: id, Name: name, Artists: also, Popularity: pop}
	}
	pl := func(id, name string) domain.SearchDoc {
		return domain.SearchDoc{Kind: domain.ItemPlaylist, ID: id, Name: name}
	}
	return []domain.SearchDoc{
		art("ar-beyonce", "Beyoncé"), art("ar-daft", "Daft Punk"), art("ar-river", "River River"),
		art("ar-rivers", "Rivers Of Nowhere"), art("ar-bjork", "Björk"), art("ar-sigur", "Sigur Rós"),
		alb("al-lemonade", "Lemonade", "Beyoncé"), alb("al-disco", "Discovery", "Daft Punk"),
		alb("al-down", "Down By The River", "Rivers Of Nowhere"), alb("al-post", "Post", "Björk"),
		trk("tr-halo", "Halo", 50, "Beyoncé", "Lemonade"),
		trk("tr-river", "River", 900, "Rivers Of Nowhere", "Down By The River"),
		trk("tr-riverside", "Riverside", 5000, "Rivers Of Nowhere", "Down By The River"),
		trk("tr-rsong", "River Song", 10, "Rivers Of Nowhere", "Down By The River"),
		trk("tr-hopp", "Hoppípolla", 3, "Sigur Rós", "Takk…"),
		trk("tr-anthem1", "Anthem", 1, "Cover Band"), trk("tr-anthem2", "Anthem", 2, "Cover Band"),
		pl("pl-road", "Road Trip Anthems"), pl("pl-disco", "Disco Nights"), pl("pl-theque", "Discotheque Hits"),
		pl("pl-creme", "Crème Brûlée Café"),
	}
}

// Case is one query of one type: Want is the set of ids it matches; First,
// when set, ranks first; Exact, when set, is the one hit marked Exact.
type Case struct {
	Query string
	Type  domain.ItemType
	Want  []string
	First string
	Exact string
}

// Cases are the queries every engine answers alike.
var Cases = []Case{
	// Typos: one edit for words of 4-7 letters, two from 8, none below 4;
	// the first letter is never a typo; a transposition is one edit.
	{Query: "beyonse", Type: domain.ItemArtist, Want: []string{"ar-beyonce"}},
	{Query: "beyonse", Type: domain.ItemAlbum, Want: []string{"al-lemonade"}},
	{Query: "beyonse", Type: domain.ItemTrack, Want: []string{"tr-halo"}},
	{Query: "beyonsa", Type: domain.ItemArtist},
	{Query: "daftt", Type: domain.ItemArtist, Want: []string{"ar-daft"}},
	{Query: "dicsovery", Type: domain.ItemAlbum, Want: []string{"al-disco"}},
	{Query: "discuvary", Type: domain.ItemAlbum, Want: []string{"al-disco"}},
	{Query: "discuvarry", Type: domain.ItemAlbum},
	{Query: "hlo", Type: domain.ItemTrack},
	{Query: "hslo", Type: domain.ItemTrack, Want: []string{"tr-halo"}},
	{Query: "galo", Type: domain.ItemTrack},
	{Query: "hslo lemonade", Type: domain.ItemTrack, Want: []string{"tr-halo"}},
	// A word that starts another is taken as typed, not as a typo.
	{Query: "lemonad", Type: domain.ItemTrack, Want: []string{"tr-halo"}},
	{Query: "rivet", Type: domain.ItemTrack, Want: []string{"tr-river", "tr-riverside", "tr-rsong"}}, // all by their album
	// Accents and case.
	{Query: "bjork", Type: domain.ItemArtist, Want: []string{"ar-bjork"}, Exact: "ar-bjork"},
	{Query: "BJÖRK", Type: domain.ItemAlbum, Want: []string{"al-post"}},
	{Query: "sigur ros hoppipolla", Type: domain.ItemTrack, Want: []string{"tr-hopp"}},
	{Query: "creme brulee", Type: domain.ItemPlaylist, Want: []string{"pl-creme"}},
	// Prefixes, the whole word first.
	{Query: "disc", Type: domain.ItemPlaylist, Want: []string{"pl-disco", "pl-theque"}},
	{Query: "disco", Type: domain.ItemPlaylist, Want: []string{"pl-disco", "pl-theque"}, First: "pl-disco"},
	{Query: "daft pu", Type: domain.ItemArtist, Want: []string{"ar-daft"}},
	{Query: "road", Type: domain.ItemPlaylist, Want: []string{"pl-road"}},
	{Query: "anthem", Type: domain.ItemPlaylist, Want: []string{"pl-road"}},
	// The exact name first, then whole words, then prefixes, popularity
	// only breaking ties.
	{Query: "river", Type: domain.ItemArtist, Want: []string{"ar-river", "ar-rivers"}, First: "ar-river", Exact: "ar-river"},
	{Query: "river", Type: domain.ItemTrack, Want: []string{"tr-river", "tr-riverside", "tr-rsong"}, First: "tr-river", Exact: "tr-river"},
	{Query: "anthem", Type: domain.ItemTrack, Want: []string{"tr-anthem1", "tr-anthem2"}, First: "tr-anthem2"},
}

// Run loads Docs into e, calls sync (if any) until they are searchable,
// and checks every case.
func Run(t *testing.T, e domain.SearchEngine, sync func(context.Context) error) {
	ctx := t.Context()
	if err := e.Upsert(ctx, Docs()); err != nil {
		t.Fatal(err)
	}
	if sync != nil {
		if err := sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range Cases {
		refs, _, err := e.Search(ctx, c.Query, []domain.ItemType{c.Type}, domain.Page{Size: 50})
		if err != nil {
			t.Fatalf("%q, %s: %v", c.Query, c.Type, err)
		}
		var got, exact []string
		for _, r := range refs {
			got = append(got, r.ID)
			if r.Exact {
				exact = append(exact, r.ID)
			}
		}
		if c.First != "" && (len(got) == 0 || got[0] != c.First) {
			t.Errorf("%q, %s: ranked %q, want %q first", c.Query, c.Type, got, c.First)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(c.Want))
		if !slices.Equal(got, want) {
			t.Errorf("%q, %s: matched %q, want %q", c.Query, c.Type, got, want)
		}
		if c.Exact != "" && !slices.Equal(exact, []string{c.Exact}) {
			t.Errorf("%q, %s: exact %q, want [%q]", c.Query, c.Type, exact, c.Exact)
		}
	}
}

// Index is the embedded index as a domain.SearchEngine, for Run: it
// answers the first page only (no next token) and ignores versions.
type Index struct{ *search.Index }

var kinds = map[domain.ItemType]search.Kind{
	domain.ItemArtist: search.KindArtist, domain.ItemAlbum: search.KindAlbum,
	domain.ItemTrack: search.KindTrack, domain.ItemPlaylist: search.KindPlaylist,
}

func (ix Index) Search(_ context.Context, query string, types []domain.ItemType, p domain.Page) ([]domain.SearchRef, string, error) {
	var ks []search.Kind
	for _, t := range types {
		ks = append(ks, kinds[t])
	}
	var refs []domain.SearchRef
	for _, h := range ix.Index.Search(search.Query{Text: query, Kinds: ks, Limit: p.Size}).Hits {
		refs = append(refs, domain.SearchRef{Kind: domain.ItemType(h.Kind.String()), ID: h.ID, Score: h.Score, Exact: h.Exact})
	}
	return refs, "", nil
}

func (ix Index) Upsert(_ context.Context, docs []domain.SearchDoc) error {
	for _, d := range docs {
		ix.Index.Upsert(search.Doc{Kind: kinds[d.Kind], ID: d.ID, Primary: d.Name, Secondary: d.Artists, Popularity: d.Popularity})
	}
	return nil
}

func (ix Index) Delete(_ context.Context, refs []domain.SearchRef) error {
	for _, r := range refs {
		ix.Index.Delete(kinds[r.Kind], r.ID)
	}
	return nil
}
