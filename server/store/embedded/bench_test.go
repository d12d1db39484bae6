package embedded_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/embedded"
	"github.com/backbeat/backbeat/server/store/storeseed"
	"github.com/backbeat/backbeat/server/store/storetest"
)

// The benchmarks share one seeded database: seeding takes longer than all
// of them together.
const (
	benchTracks    = 100_000
	benchPlaylists = 10_000
	benchEntries   = 25 // average per playlist
)

var bench struct {
	once      sync.Once
	dir       string
	store     *embedded.Store
	catalog   *storeseed.Catalog
	playlists []string
	err       error
}

func TestMain(m *testing.M) {
	flag.Parse()
	// BenchmarkReportPlayback alone needs no seeded catalog.
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" && f.Value.String() != "ReportPlayback" {
		// Seed before any benchmark runs, so profiles and timings of the
		// first one do not include it.
		seed()
	}
	code := m.Run()
	if bench.store != nil {
		bench.store.Close()
	}
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

func seeded(b *testing.B) *embedded.Store {
	b.Helper()
	seed()
	if bench.err != nil {
		b.Fatalf("seeding: %v", bench.err)
	}
	return bench.store
}

func seed() {
	bench.once.Do(func() {
		ctx := context.Background()
		bench.dir, bench.err = os.MkdirTemp("", "backbeat-bench-")
		if bench.err != nil {
			return
		}
		s, err := embedded.Open(ctx, bench.dir, nil)
		if err != nil {
			bench.err = err
			return
		}
		start := time.Now()
		bench.catalog, bench.err = storeseed.FillCatalog(ctx, s.Stores(), benchTracks, storeseed.Options{})
		if bench.err != nil {
			return
		}
		catalogTook := time.Since(start)
		start = time.Now()
		bench.playlists, bench.err = storeseed.FillPlaylists(ctx, s.Stores(), bench.catalog.TrackIDs, benchPlaylists, benchEntries, storeseed.Options{})
		if bench.err != nil {
			return
		}
		fmt.Printf("seeded %d tracks (%d artists, %d albums) in %v, %d playlists in %v\n",
			len(bench.catalog.TrackIDs), len(bench.catalog.ArtistIDs), len(bench.catalog.AlbumIDs), catalogTook.Round(time.Millisecond),
			len(bench.playlists), time.Since(start).Round(time.Millisecond))
		if bench.err = s.Close(); bench.err != nil {
			return
		}
		// Reopen, as a restarted server would: this rebuilds the index.
		start = time.Now()
		bench.store, bench.err = embedded.Open(ctx, bench.dir, slog.New(slog.DiscardHandler))
		fmt.Printf("reopened (index rebuilt) in %v\n", time.Since(start).Round(time.Millisecond))
	})
}

func BenchmarkGetTrack(b *testing.B) {
	s := seeded(b).Stores()
	ids := bench.catalog.TrackIDs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
		for pb.Next() {
			if _, err := s.Catalog.GetTrack(context.Background(), ids[rng.IntN(len(ids))]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkBatchGetTracks(b *testing.B) {
	s := seeded(b).Stores()
	ids := bench.catalog.TrackIDs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
		batch := make([]string, 50)
		for pb.Next() {
			for i := range batch {
				batch[i] = ids[rng.IntN(len(ids))]
			}
			if _, err := s.Catalog.BatchGetTracks(context.Background(), batch); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkSearch(b *testing.B) {
	s := seeded(b).Stores()
	words := bench.catalog.Words
	queries := []string{"a", "lo", "love", "night dr", "the love", "city lights"}
	for _, w := range words[len(words)-6:] {
		queries = append(queries, w, w[:3])
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.IntN(len(queries))
		for pb.Next() {
			if _, _, err := s.Catalog.Search(context.Background(), queries[i%len(queries)], nil, domain.Page{Size: 20}); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func BenchmarkListEntries(b *testing.B) {
	s := seeded(b).Stores()
	ids := bench.playlists
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
		for pb.Next() {
			if _, _, err := s.Playlists.ListEntries(context.Background(), ids[rng.IntN(len(ids))], domain.Page{Size: 50}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkGetPlaylist(b *testing.B) {
	s := seeded(b).Stores()
	ids := bench.playlists
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
		for pb.Next() {
			if _, err := s.Playlists.GetPlaylist(context.Background(), ids[rng.IntN(len(ids))]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAddEntries measures the write path: appends to random playlists.
func BenchmarkAddEntries(b *testing.B) {
	s := seeded(b).Stores()
	tracks := bench.catalog.TrackIDs
	rng := rand.New(rand.NewPCG(3, 4))
	b.ResetTimer()
	for b.Loop() {
		pl := bench.playlists[rng.IntN(len(bench.playlists))]
		e := &domain.PlaylistEntry{ID: domain.NewID(), TrackID: tracks[rng.IntN(len(tracks))], AddedBy: "bench", AddTime: time.Now()}
		if err := s.Playlists.AddEntries(context.Background(), pl, []*domain.PlaylistEntry{e}, -1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetTrackWhileWriting reads as BenchmarkGetTrack does while one
// writer keeps adding playlist entries, as a live server would.
func BenchmarkGetTrackWhileWriting(b *testing.B) {
	s := seeded(b).Stores()
	ids := bench.catalog.TrackIDs
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		rng := rand.New(rand.NewPCG(5, 6))
		writes := 0
		for ctx.Err() == nil {
			pl := bench.playlists[rng.IntN(len(bench.playlists))]
			e := &domain.PlaylistEntry{ID: domain.NewID(), TrackID: ids[rng.IntN(len(ids))], AddedBy: "bench", AddTime: time.Now()}
			if err := s.Playlists.AddEntries(ctx, pl, []*domain.PlaylistEntry{e}, -1); err != nil && ctx.Err() == nil {
				b.Error(err)
				break
			}
			writes++
		}
		done <- writes
	}()
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
		for pb.Next() {
			if _, err := s.Catalog.GetTrack(context.Background(), ids[rng.IntN(len(ids))]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	cancel()
	b.ReportMetric(float64(<-done)/time.Since(start).Seconds(), "writes/s")
}

// BenchmarkReportPlayback prints ReportPlayback's store work on a fresh
// embedded store in counted plays per second; the Cassandra store's
// benchmark of the same name is its match (run both in one go test).
func BenchmarkReportPlayback(b *testing.B) {
	s, err := embedded.Open(b.Context(), b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchReport(b, s.Stores(), nil)
}

// BenchmarkLibrary prints AreSaved(50 ids) and ListSaved p50/p99 at 10,000
// saved tracks on the embedded store; the Cassandra store's benchmark of the
// same name is its match.
func BenchmarkLibrary(b *testing.B) {
	s, err := embedded.Open(b.Context(), b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchLibrary(b, s.Stores())
}
