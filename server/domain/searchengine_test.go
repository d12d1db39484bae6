package domain_test

import (
	"context"
	"testing"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/embedded"
)

// fixedEngine answers every search with refs, or err.
type fixedEngine struct {
	refs []domain.SearchRef
	err  error
}

func (e fixedEngine) Search(context.Context, string, []domain.ItemType, domain.Page) ([]domain.SearchRef, string, error) {
	return e.refs, "next", e.err
}
func (fixedEngine) Upsert(context.Context, []domain.SearchDoc) error { return nil }
func (fixedEngine) Delete(context.Context, []domain.SearchRef) error { return nil }

// TestSearchUsesTheEngine: with an engine set, Search answers from it, in
// its order, with the entities read from the store; a document the store
// no longer has (its delete not yet indexed) is left out; an engine that
// is down makes Search unavailable.
func TestSearchUsesTheEngine(t *testing.T) {
	ctx := context.Background()
	s, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	stores := s.Stores()
	a := &domain.Artist{ID: domain.NewID(), Name: "Daft Punk"}
	if err := stores.Catalog.CreateArtist(ctx, a); err != nil {
		t.Fatal(err)
	}
	tr := &domain.Track{ID: domain.NewID(), Title: "Da Funk", ArtistIDs: []string{a.ID}, Status: domain.TrackReady}
	if err := stores.Catalog.CreateTrack(ctx, tr); err != nil {
		t.Fatal(err)
	}
	c := domain.NewCatalog(stores, nil, nil)
	c.SetSearchEngine(fixedEngine{refs: []domain.SearchRef{
		{Kind: domain.ItemTrack, ID: tr.ID, Score: 9},
		{Kind: domain.ItemAlbum, ID: "deleted-meanwhile", Score: 8},
		{Kind: domain.ItemArtist, ID: a.ID, Score: 7},
	}})
	// The query matches nothing in the store's own index: the engine's
	// answer is what comes back.
	hits, next, err := c.Search(ctx, "zzz", nil, domain.Page{Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 || hits[0].Track == nil || hits[0].Track.ID != tr.ID || hits[0].Score != 9 ||
		hits[1].Artist == nil || hits[1].Artist.ID != a.ID || next != "next" {
		t.Fatalf("Search = %+v, next %q; want the track, then the artist, and the engine's next token", hits, next)
	}

	c.SetSearchEngine(fixedEngine{err: domain.Unavailable("search is unavailable")})
	if _, _, err := c.Search(ctx, "daft", nil, domain.Page{Size: 10}); !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("Search with the engine down: %v, want unavailable", err)
	}
}
