package domain_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
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

// openStores opens an empty embedded store for the test.
func openStores(tb testing.TB) domain.Stores {
	s, err := embedded.Open(context.Background(), tb.TempDir(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s.Stores()
}

// TestSearchUsesTheEngine: with an engine set, Search answers from it, in
// its order, with the entities read from the store; a document the store
// no longer has (its delete not yet indexed) is left out; an engine that
// is down makes Search unavailable.
func TestSearchUsesTheEngine(t *testing.T) {
	ctx := context.Background()
	stores := openStores(t)
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

// countingCatalog counts the track reads Search makes; with perHit, its
// BatchGetTracks reads each track on its own, as Search did before it
// read a page's tracks in one batch (the benchmark's baseline).
type countingCatalog struct {
	domain.CatalogStore
	gets, batches atomic.Int64
	perHit        bool
}

func (c *countingCatalog) GetTrack(ctx context.Context, id string) (*domain.Track, error) {
	c.gets.Add(1)
	return c.CatalogStore.GetTrack(ctx, id)
}

func (c *countingCatalog) BatchGetTracks(ctx context.Context, ids []string) ([]*domain.Track, error) {
	c.batches.Add(1)
	if !c.perHit {
		return c.CatalogStore.BatchGetTracks(ctx, ids)
	}
	// Eight at a time, as Search read its hits before.
	got := make([]*domain.Track, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			got[i], errs[i] = c.GetTrack(ctx, id)
		})
	}
	wg.Wait()
	var out []*domain.Track
	for i, t := range got {
		if err := errs[i]; err != nil && !domain.IsKind(err, domain.KindNotFound) {
			return nil, err
		}
		if t != nil {
			out = append(out, t)
		}
	}
	return out, nil
}

// engineFixture opens an embedded store with n tracks and a Catalog whose
// engine answers with refs to all of them, best first, with a ref to a
// deleted track in the middle.
func engineFixture(tb testing.TB, n int, perHit bool) (*domain.Catalog, *countingCatalog, []string) {
	ctx := context.Background()
	stores := openStores(tb)
	var ids []string
	var refs []domain.SearchRef
	for i := range n {
		tr := &domain.Track{ID: domain.NewID(), Title: fmt.Sprintf("Track %d", i), Status: domain.TrackReady}
		if err := stores.Catalog.CreateTrack(ctx, tr); err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, tr.ID)
		refs = append(refs, domain.SearchRef{Kind: domain.ItemTrack, ID: tr.ID, Score: float64(n - i)})
		if i == n/2 {
			refs = append(refs, domain.SearchRef{Kind: domain.ItemTrack, ID: "deleted-meanwhile", Score: float64(n - i)})
		}
	}
	counting := &countingCatalog{CatalogStore: stores.Catalog, perHit: perHit}
	stores.Catalog = counting
	c := domain.NewCatalog(stores, nil, nil)
	c.SetSearchEngine(fixedEngine{refs: refs})
	return c, counting, ids
}

// TestSearchReadsTracksInOneBatch: a page of tracks from the engine costs
// one BatchGetTracks, no single reads, and keeps the engine's order.
func TestSearchReadsTracksInOneBatch(t *testing.T) {
	c, counting, ids := engineFixture(t, 20, false)
	hits, _, err := c.Search(t.Context(), "track", []domain.ItemType{domain.ItemTrack}, domain.Page{Size: 50})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hits {
		got = append(got, h.Track.ID)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("hits = %v, want %v", got, ids)
	}
	if b, g := counting.batches.Load(), counting.gets.Load(); b != 1 || g != 0 {
		t.Fatalf("store reads for a page of %d tracks: %d batches, %d single reads; want 1 batch", len(ids), b, g)
	}
}

// BenchmarkSearchEnginePage reads a page of 50 tracks named by the engine
// from the embedded store, in one batch and (the baseline, in the same run)
// one read per hit, eight at a time: compare the two ns/op.
func BenchmarkSearchEnginePage(b *testing.B) {
	for _, perHit := range []bool{true, false} {
		b.Run(map[bool]string{true: "per-hit", false: "batch"}[perHit], func(b *testing.B) {
			c, _, _ := engineFixture(b, 50, perHit)
			for b.Loop() {
				if _, _, err := c.Search(b.Context(), "track", nil, domain.Page{Size: 50}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
