package opensearch

import (
	"slices"
	"testing"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/search/searchtest"
)

// TestVersionedWritesKeepTheNewest: of two writes of one document, the one
// with the higher version stays whatever order they arrive in, and a
// delete wins over an upsert older than it.
func TestVersionedWritesKeepTheNewest(t *testing.T) {
	e := newEngine(t)
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.Upsert(ctx, []Doc{{Kind: KindArtist, ID: "v", Name: "Newer Name", Version: 20}}))
	must(e.Upsert(ctx, []Doc{{Kind: KindArtist, ID: "v", Name: "Older Name", Version: 10}})) // late, loses
	must(e.Refresh(ctx))
	if got := ids(group(run(t, e, Query{Text: "newer name"}), KindArtist).Hits); !slices.Equal(got, []string{"v"}) {
		t.Errorf("newer name: %v", got)
	}
	if got := group(run(t, e, Query{Text: "older name"}), KindArtist).Hits; len(got) != 0 {
		t.Errorf("a stale write replaced a newer one: %v", got)
	}
	must(e.Delete(ctx, []Ref{{Kind: KindArtist, ID: "v", Version: 30}}))
	must(e.Upsert(ctx, []Doc{{Kind: KindArtist, ID: "v", Name: "Newer Name", Version: 25}})) // read before the delete
	must(e.Refresh(ctx))
	if got := group(run(t, e, Query{Text: "newer name"}), KindArtist).Hits; len(got) != 0 {
		t.Errorf("an upsert older than the delete brought the document back: %v", got)
	}
}

// TestPortRanksOneList: the domain port answers one list across kinds,
// best first, paged by tokens that resume where the last page ended and
// are refused for another query.
func TestPortRanksOneList(t *testing.T) {
	p := newEngine(t).Port()
	ctx := t.Context()
	var all []string
	pg := domain.Page{Size: 7}
	for {
		refs, next, err := p.Search(ctx, "love", nil, pg)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range refs {
			if i > 0 && r.Score > refs[i-1].Score {
				t.Errorf("page not ranked: %+v", refs)
			}
			all = append(all, string(r.Kind)+":"+r.ID)
		}
		if next == "" {
			break
		}
		if _, _, err := p.Search(ctx, "halo", nil, domain.Page{Size: 7, Token: next}); !domain.IsKind(err, domain.KindInvalid) {
			t.Errorf("another query's token: %v, want invalid", err)
		}
		pg.Token = next
	}
	if len(all) != 25 || len(slices.Compact(slices.Clone(all))) != 25 {
		t.Errorf("paged %d results (%v), want the 25 love songs once each", len(all), all)
	}
	refs, _, err := p.Search(ctx, "beyonce", []domain.ItemType{domain.ItemArtist, domain.ItemTrack}, domain.Page{Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) == 0 || refs[0] != (domain.SearchRef{Kind: domain.ItemArtist, ID: "beyonce", Score: refs[0].Score}) {
		t.Errorf("beyonce: %+v, want the artist first", refs)
	}
	for _, r := range refs {
		if r.Kind == domain.ItemAlbum {
			t.Errorf("an album in a search for artists and tracks: %+v", r)
		}
	}
}

// TestConformance runs the engines' shared table (searchtest) on
// OpenSearch through the port, as the embedded index runs it in
// server/search: both must find the same documents.
func TestConformance(t *testing.T) {
	e := emptyEngine(t)
	searchtest.Run(t, e.Port(), e.Refresh)
}
