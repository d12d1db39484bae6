package opensearch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	searchpkg "github.com/backbeat/backbeat/server/search"
	"github.com/backbeat/backbeat/server/testenv/opensearchtest"
)

// catalog is a small catalog with the cases the tests need: accented
// names, typo targets, look-alike words, and a track more popular than the
// artist whose exact name it bears.
func catalog() []Doc {
	docs := []Doc{
		{Kind: KindArtist, ID: "beyonce", Name: "Beyoncé", Popularity: 900},
		{Kind: KindArtist, ID: "beyond", Name: "Beyond", Popularity: 10},
		{Kind: KindArtist, ID: "daftpunk", Name: "Daft Punk", Popularity: 800},
		{Kind: KindArtist, ID: "bjork", Name: "Björk", Popularity: 500},
		{Kind: KindArtist, ID: "sigurros", Name: "Sigur Rós", Popularity: 400},
		{Kind: KindArtist, ID: "riverriver", Name: "River River", Popularity: 1},
		{Kind: KindAlbum, ID: "lemonade", Name: "Lemonade", Artists: []string{"Beyoncé"}, Popularity: 700},
		{Kind: KindAlbum, ID: "discovery", Name: "Discovery", Artists: []string{"Daft Punk"}, Popularity: 600},
		{Kind: KindTrack, ID: "halo", Name: "Halo", Artists: []string{"Beyoncé"}, Popularity: 300},
		{Kind: KindTrack, ID: "halos", Name: "Halos", Artists: []string{"Someone"}, Popularity: 200},
		{Kind: KindTrack, ID: "hall", Name: "Hall", Artists: []string{"Someone Else"}, Popularity: 5000},
		{Kind: KindTrack, ID: "onemoretime", Name: "One More Time", Artists: []string{"Daft Punk"}, Popularity: 750},
		{Kind: KindTrack, ID: "tribute", Name: "Daft Punk", Artists: []string{"Tribute Band"}, Popularity: 5000},
		{Kind: KindTrack, ID: "hoppipolla", Name: "Hoppípolla", Artists: []string{"Sigur Rós"}, Popularity: 350},
		{Kind: KindPlaylist, ID: "roadtrip", Name: "Road Trip Mix", Artists: []string{"alice"}, Popularity: 5},
		{Kind: KindPlaylist, ID: "rainy", Name: "Rainy Day Jazz", Artists: []string{"bob"}, Popularity: 3},
	}
	for i := range 25 {
		docs = append(docs, Doc{Kind: KindTrack, ID: fmt.Sprintf("love%02d", i), Name: fmt.Sprintf("Love Song %d", i), Artists: []string{"Balladeer"}, Popularity: int64(1000 - i)})
	}
	return docs
}

// newEngine returns an engine on the shared node with the catalog indexed
// in an index of the test's own.
func newEngine(t *testing.T) *Engine {
	t.Helper()
	e := emptyEngine(t)
	ctx := t.Context()
	if err := e.Upsert(ctx, catalog()); err != nil {
		t.Fatal(err)
	}
	if err := e.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

// emptyEngine is an engine on a fresh, empty index named after the test.
func emptyEngine(t *testing.T) *Engine {
	t.Helper()
	node := opensearchtest.Shared(t)
	e, err := New(Config{URL: node.URL, Index: "t-" + strings.ToLower(t.Name()), Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	_ = e.DropIndex(ctx)
	if err := e.EnsureIndex(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.DropIndex(context.Background()) })
	return e
}

func run(t *testing.T, e *Engine, q Query) Result {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 10
	}
	r, err := e.Search(t.Context(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return r
}

func ids(hs []Hit) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.ID
	}
	return out
}

func group(r Result, k Kind) Group {
	for _, g := range r.Groups {
		if g.Kind == k {
			return g
		}
	}
	return Group{}
}

func topID(r Result) string {
	if r.Top == nil {
		return "<none>"
	}
	return string(r.Top.Kind) + ":" + r.Top.ID
}

func TestSearch(t *testing.T) {
	e := newEngine(t)
	for _, c := range []struct {
		query, top string
		kind       Kind
		want       []string // the group's hits, in order
	}{
		// Typos: one edit in a 7-letter word, one in a 5-letter word.
		{"beyonse", "artist:beyonce", KindArtist, []string{"beyonce"}},
		{"beyonse", "artist:beyonce", KindTrack, []string{"halo"}},
		{"daftt", "artist:daftpunk", KindArtist, []string{"daftpunk"}},
		{"daftt pnuk", "artist:daftpunk", KindArtist, []string{"daftpunk"}},
		// Too short for a typo: "hal" matches as a prefix only.
		{"hal", "track:hall", KindTrack, []string{"hall", "halo", "halos"}},
		// Exact, then prefix, whatever the popularity; a word that
		// prefixes something is taken as typed, so "hall" is no match.
		{"halo", "track:halo", KindTrack, []string{"halo", "halos"}},
		// Typos in the title, then by popularity.
		{"halp", "track:hall", KindTrack, []string{"hall", "halo"}},
		// An exact word and a typo in one query.
		{"halo beyonse", "track:halo", KindTrack, []string{"halo"}},
		{"beyond", "artist:beyond", KindArtist, []string{"beyond"}},
		// Accents, either way round.
		{"bjork", "artist:bjork", KindArtist, []string{"bjork"}},
		{"BJÖRK", "artist:bjork", KindArtist, []string{"bjork"}},
		{"sigur ros hoppipolla", "track:hoppipolla", KindTrack, []string{"hoppipolla"}},
		// Prefixes of every word.
		{"one mo", "track:onemoretime", KindTrack, []string{"onemoretime"}},
		{"lem", "album:lemonade", KindAlbum, []string{"lemonade"}},
		// Playlists, by name and by owner.
		{"road", "playlist:roadtrip", KindPlaylist, []string{"roadtrip"}},
		{"rainy jazz", "playlist:rainy", KindPlaylist, []string{"rainy"}},
		// An exact artist name is the top result, even though a more
		// popular track has that very title.
		{"daft punk", "artist:daftpunk", KindTrack, []string{"tribute", "onemoretime"}},
		{"River River", "artist:riverriver", KindArtist, []string{"riverriver"}},
		// No typo tolerance for what is not near anything.
		{"zzzzzz", "<none>", KindTrack, []string{}},
	} {
		r := run(t, e, Query{Text: c.query})
		if got := topID(r); got != c.top {
			t.Errorf("%q: top %s, want %s", c.query, got, c.top)
		}
		g := group(r, c.kind)
		if got := ids(g.Hits); !slices.Equal(got, c.want) {
			t.Errorf("%q: %s group %v, want %v", c.query, c.kind, got, c.want)
		}
		if g.Total != len(c.want) {
			t.Errorf("%q: %s total %d, want %d", c.query, c.kind, g.Total, len(c.want))
		}
	}
}

func TestSearchPagesEachGroup(t *testing.T) {
	e := newEngine(t)
	var seen []string
	for offset := 0; offset < 30; offset += 10 {
		r := run(t, e, Query{Text: "love", Kinds: []Kind{KindTrack}, Offset: offset, Limit: 10})
		if len(r.Groups) != 1 || r.Groups[0].Total != 25 {
			t.Fatalf("offset %d: groups %+v", offset, r.Groups)
		}
		if (offset == 0) != (r.Top != nil) {
			t.Errorf("offset %d: top %v (want one on the first page only)", offset, r.Top)
		}
		seen = append(seen, ids(r.Groups[0].Hits)...)
	}
	var want []string
	for i := range 25 {
		want = append(want, fmt.Sprintf("love%02d", i)) // most popular first
	}
	if !slices.Equal(seen, want) {
		t.Errorf("pages %v, want %v", seen, want)
	}
}

func TestUpsertReplacesAndDeleteRemoves(t *testing.T) {
	e := newEngine(t)
	ctx := t.Context()
	if err := e.Upsert(ctx, []Doc{{Kind: KindArtist, ID: "bjork", Name: "Bjørk Guðmundsdóttir", Popularity: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Delete(ctx, []Ref{{Kind: KindPlaylist, ID: "roadtrip"}, {Kind: KindTrack, ID: "never-indexed"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ids(group(run(t, e, Query{Text: "gudmundsdottir"}), KindArtist).Hits); !slices.Equal(got, []string{"bjork"}) {
		t.Errorf("the replaced artist: %v", got)
	}
	if got := group(run(t, e, Query{Text: "road trip"}), KindPlaylist).Hits; len(got) != 0 {
		t.Errorf("a deleted playlist is still found: %v", got)
	}
}

func TestSearchRefusesBadQueries(t *testing.T) {
	e, err := New(Config{URL: "http://127.0.0.1:1", Index: "unused"})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []Query{
		{Text: "x", Limit: 0},
		{Text: "x", Limit: MaxLimit + 1},
		{Text: "x", Limit: 10, Offset: -1},
		{Text: "x", Limit: 10, Offset: maxWindow},
		{Text: "x", Limit: 10, Kinds: []Kind{"user"}},
	} {
		if _, err := e.Search(t.Context(), q); !errors.Is(err, ErrBadQuery) {
			t.Errorf("%+v: %v, want ErrBadQuery", q, err)
		}
	}
	if err := e.Upsert(t.Context(), []Doc{{Kind: "user", ID: "u"}}); err == nil {
		t.Error("Upsert of an unknown kind succeeded")
	}
}

// TestSearchFailsFastWhenDown needs no node: a refused connection and a
// server that accepts but never answers must both give ErrUnavailable
// within the timeout, not hang a caller.
func TestSearchFailsFastWhenDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hungURL := "http://" + l.Addr().String()
	go func() { // accepts, reads nothing, answers nothing
		var conns []net.Conn
		for {
			c, err := l.Accept()
			if err != nil {
				for _, c := range conns {
					c.Close()
				}
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { l.Close() })
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "http://" + closed.Addr().String()
	closed.Close()

	for name, url := range map[string]string{"refused": refusedURL, "hung": hungURL} {
		e, err := New(Config{URL: url, Index: "catalog", Timeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		_, err = e.Search(t.Context(), Query{Text: "beyonce", Limit: 10})
		took := time.Since(began)
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: %v, want ErrUnavailable", name, err)
		}
		// Bounded by the timeout, with slack for a loaded machine; without
		// the bound, the hung server would block until the test times out.
		if took > 10*time.Second {
			t.Errorf("%s: failed after %s", name, took)
		}
		t.Logf("%s: %s after %s", name, err, took.Round(time.Millisecond))
		if err := e.Upsert(t.Context(), catalog()); !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: Upsert: %v, want ErrUnavailable", name, err)
		}
	}
}

// TestAgreesWithEmbeddedIndex pins what "both stores agree" means: for
// the same catalog, OpenSearch and the embedded index (search.Index) match
// the same documents of each kind the embedded index has. Order may
// differ only among equal scores of different kinds, so sets are compared.
func TestAgreesWithEmbeddedIndex(t *testing.T) {
	e := newEngine(t)
	ix := searchpkg.NewIndex()
	kindOf := map[Kind]searchpkg.Kind{KindArtist: searchpkg.KindArtist, KindAlbum: searchpkg.KindAlbum, KindTrack: searchpkg.KindTrack}
	var docs []searchpkg.Doc
	for _, d := range catalog() {
		if k, ok := kindOf[d.Kind]; ok {
			docs = append(docs, searchpkg.Doc{Kind: k, ID: d.ID, Primary: d.Name, Secondary: d.Artists, Popularity: d.Popularity})
		}
	}
	ix.Build(docs)
	for _, text := range []string{"beyonse", "daftt", "daftt pnuk", "hal", "halo", "halp", "halo beyonse", "beyond",
		"bjork", "BJÖRK", "sigur ros hoppipolla", "one mo", "lem", "daft punk", "river", "love", "love song 1", "lqve", "zzzzzz", "someone",
		"someome", "discovery", "dicsovery", "lemonad", "lemonaed"} {
		for k, ek := range kindOf {
			got := ids(group(run(t, e, Query{Text: text, Kinds: []Kind{k}, Limit: MaxLimit}), k).Hits)
			var want []string
			for _, h := range ix.Search(searchpkg.Query{Text: text, Kinds: []searchpkg.Kind{ek}, Limit: MaxLimit}).Hits {
				want = append(want, h.ID)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) && (len(got) > 0 || len(want) > 0) {
				t.Errorf("%q, %s: OpenSearch %v, embedded %v", text, k, got, want)
			}
		}
	}
}

// BenchmarkSearch reports the latency of one grouped search against the
// real node, for a word taken as typed and for a misspelt one (which
// costs a second request to learn it prefixes nothing).
func BenchmarkSearch(b *testing.B) {
	node := opensearchtest.Shared(b)
	e, err := New(Config{URL: node.URL, Index: "bench-search", Timeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	_ = e.DropIndex(ctx)
	if err := e.EnsureIndex(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.DropIndex(context.Background()) })
	if err := e.Upsert(ctx, catalog()); err != nil {
		b.Fatal(err)
	}
	if err := e.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	for _, text := range []string{"love", "beyonse"} {
		b.Run(text, func(b *testing.B) {
			for b.Loop() {
				if _, err := e.Search(ctx, Query{Text: text, Limit: 10}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
