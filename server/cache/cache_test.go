package cache_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/cache"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/embedded"
	"github.com/backbeat/backbeat/server/store/storetest"
)

func openEmbedded(t *testing.T) domain.Stores {
	t.Helper()
	s, err := embedded.Open(t.Context(), t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Stores()
}

func newCache(t *testing.T, cfg cache.Config) *cache.Cache {
	t.Helper()
	cfg.Logger = slog.New(slog.DiscardHandler)
	c, err := cache.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestConformance runs the stores' conformance suite through the cache: every
// behaviour a caller of the store observes, reads after writes included, is
// the same with the cache in front. The TTL is long, so only invalidation can
// keep a read exact.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) domain.Stores {
		return cache.Wrap(openEmbedded(t), newCache(t, cache.Config{TTL: time.Hour}))
	})
}

// fixture is one store with two replicas' caches in front of it, linked by
// a publish hook that stands for the broker.
type fixture struct {
	ctx  context.Context
	raw  domain.Stores
	a, b domain.Stores
	ca   *cache.Cache
	cb   *cache.Cache
	// link carries a's invalidations to b while it is true.
	mu   sync.Mutex
	link bool
}

func newFixture(t *testing.T, ttl time.Duration) *fixture {
	f := &fixture{ctx: t.Context(), raw: openEmbedded(t), link: true}
	f.cb = newCache(t, cache.Config{TTL: ttl})
	f.ca = newCache(t, cache.Config{TTL: ttl, Publish: func(msg []byte) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.link {
			f.cb.Receive(msg)
		}
		return nil
	}})
	f.a, f.b = cache.Wrap(f.raw, f.ca), cache.Wrap(f.raw, f.cb)
	return f
}

func (f *fixture) track(t *testing.T) *domain.Track {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	ar := &domain.Artist{ID: domain.NewID(), Name: "Band", CreateTime: now, UpdateTime: now}
	tr := &domain.Track{ID: domain.NewID(), Title: "Old title", ArtistIDs: []string{ar.ID}, Status: domain.TrackReady,
		CreateTime: now, UpdateTime: now}
	if err := f.raw.Catalog.CreateArtist(f.ctx, ar); err != nil {
		t.Fatal(err)
	}
	if err := f.raw.Catalog.CreateTrack(f.ctx, tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

func title(t *testing.T, s domain.Stores, id string) string {
	t.Helper()
	tr, err := s.Catalog.GetTrack(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tr.Title
}

// TestInvalidationReachesOtherReplica: a write on replica A is read at once
// on A and, through the published invalidation, on B; both had the old
// value cached.
func TestInvalidationReachesOtherReplica(t *testing.T) {
	f := newFixture(t, time.Hour)
	tr := f.track(t)
	title(t, f.a, tr.ID)
	title(t, f.b, tr.ID)
	title(t, f.b, tr.ID)
	if got := f.cb.Stats().Hits; got == 0 {
		t.Fatalf("B's second read missed: nothing was cached")
	}
	tr.Title = "New title"
	if err := f.a.Catalog.UpdateTrack(f.ctx, tr); err != nil {
		t.Fatal(err)
	}
	if got := title(t, f.a, tr.ID); got != "New title" {
		t.Errorf("A reads %q after its own write", got)
	}
	if got := title(t, f.b, tr.ID); got != "New title" {
		t.Errorf("B reads %q after A's write was published", got)
	}
	if s := f.cb.Stats(); s.Received == 0 || s.Hits == 0 || s.Misses == 0 {
		t.Errorf("B's stats %+v: want hits, misses and received invalidations counted", s)
	}
}

// TestMissedInvalidationExpires: with the link down B keeps the old value,
// but no longer than its TTL. Seeing the old value needs the update to land
// within the TTL of B's read; on a machine too loaded for that the round is
// tried again with a new track.
func TestMissedInvalidationExpires(t *testing.T) {
	const ttl = time.Second
	f := newFixture(t, ttl)
	f.mu.Lock()
	f.link = false
	f.mu.Unlock()
	var tr *domain.Track
	for round := 0; ; round++ {
		tr = f.track(t)
		title(t, f.b, tr.ID)
		tr.Title = "New title"
		if err := f.a.Catalog.UpdateTrack(f.ctx, tr); err != nil {
			t.Fatal(err)
		}
		if title(t, f.b, tr.ID) == "Old title" {
			break
		}
		if round == 10 {
			t.Fatalf("B never served the old value with the link down: nothing was cached, or the machine is too slow for a %v TTL", ttl)
		}
	}
	deadline := time.Now().Add(30 * time.Second) // generous: a loaded machine
	for title(t, f.b, tr.ID) != "New title" {
		if time.Now().After(deadline) {
			t.Fatalf("B still serves the old title long after its TTL")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCopies: what a read returns is the caller's; changing it changes
// neither the cache nor another caller's value.
func TestCopies(t *testing.T) {
	f := newFixture(t, time.Hour)
	tr := f.track(t)
	got, err := f.a.Catalog.GetTrack(f.ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	got.Title, got.ArtistIDs[0] = "Scribbled", "scribbled"
	again, err := f.a.Catalog.GetTrack(f.ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.Title != "Old title" || again.ArtistIDs[0] != tr.ArtistIDs[0] {
		t.Errorf("a caller's change reached the cache: %+v", again)
	}
}

// TestLoadRacingWrite: a read that loaded the old value before a write must
// not put it back into the cache after the write invalidated it. The store
// is slowed so the write lands while the read's load is in flight.
func TestLoadRacingWrite(t *testing.T) {
	raw := openEmbedded(t)
	c := newCache(t, cache.Config{TTL: time.Hour})
	loading, release := make(chan struct{}), make(chan struct{})
	slow := raw
	slow.Catalog = gatedCatalog{CatalogStore: raw.Catalog, loading: loading, release: release}
	s := cache.Wrap(slow, c)
	f := &fixture{ctx: t.Context(), raw: raw}
	tr := f.track(t)

	done := make(chan string)
	go func() {
		got, err := s.Catalog.GetTrack(t.Context(), tr.ID)
		if err != nil {
			t.Error(err)
			done <- ""
			return
		}
		done <- got.Title
	}()
	<-loading // the old title is read and held
	tr.Title = "New title"
	if err := cache.Wrap(raw, c).Catalog.UpdateTrack(t.Context(), tr); err != nil {
		t.Fatal(err)
	}
	close(release)
	if got := <-done; got != "Old title" {
		t.Fatalf("the racing read returned %q: the race did not happen", got)
	}
	if got := title(t, cache.Wrap(raw, c), tr.ID); got != "New title" {
		t.Errorf("after the write, the cache serves %q: a load that raced it was kept", got)
	}
}

// gatedCatalog reports each GetTrack's answer on loading and holds it until
// release is closed. Only the racing read goes through it.
type gatedCatalog struct {
	domain.CatalogStore
	loading chan struct{}
	release chan struct{}
}

func (g gatedCatalog) GetTrack(ctx context.Context, id string) (*domain.Track, error) {
	t, err := g.CatalogStore.GetTrack(ctx, id)
	g.loading <- struct{}{}
	<-g.release
	return t, err
}

// TestMemoryBound: the cache stays near its byte bound and counts what it
// evicted.
func TestMemoryBound(t *testing.T) {
	const bound = 64 << 10
	raw := openEmbedded(t)
	c := newCache(t, cache.Config{MaxBytes: bound, TTL: time.Hour})
	s := cache.Wrap(raw, c)
	f := &fixture{ctx: t.Context(), raw: raw}
	for range 400 {
		tr := f.track(t)
		if _, err := s.Catalog.GetTrack(t.Context(), tr.ID); err != nil {
			t.Fatal(err)
		}
	}
	// Eviction runs in the cache's maintenance; give it time on a busy machine.
	deadline := time.Now().Add(30 * time.Second)
	for c.Stats().Bytes > bound && time.Now().Before(deadline) {
		s.Catalog.GetTrack(t.Context(), "none")
		time.Sleep(10 * time.Millisecond)
	}
	st := c.Stats()
	if st.Bytes > bound || st.Evictions == 0 {
		t.Errorf("stats %+v: want at most %d bytes and evictions counted", st, bound)
	}
	t.Logf("stats after 400 tracks in %d bytes: %+v", bound, st)
}
