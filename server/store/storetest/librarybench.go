package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// BenchLibrary prints the latency of the library's two hot reads on s at
// 10,000 saved tracks: AreSaved for 50 ids (a page of hearts, half of them
// saved) and ListSaved pages of 50 walked from the newest to the oldest,
// each as p50/p99 and as ratios against the same reads on a library of 50
// (the baseline of the same run). It runs a fixed number of reads whatever
// b.N is, so the percentiles rest on enough samples.
func BenchLibrary(b *testing.B, s domain.Stores) {
	const (
		big, small = 10_000, 50
		samples    = 400
	)
	ctx := b.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	seed := func(n int) (string, []string) {
		u := &domain.User{ID: domain.NewID(), Username: "lib" + domain.NewID()[14:], CreateTime: now, UpdateTime: now}
		if err := s.Users.CreateUser(ctx, u); err != nil {
			b.Fatal(err)
		}
		ids := make([]string, n)
		for i := range ids {
			ids[i] = domain.NewID()
		}
		for i := 0; i < n; i += domain.MaxLibraryBatch {
			batch := ids[i:min(i+domain.MaxLibraryBatch, n)]
			if err := s.Library.SaveItems(ctx, u.ID, domain.LibraryTracks, batch, now.Add(time.Duration(i)*time.Millisecond)); err != nil {
				b.Fatal(err)
			}
		}
		return u.ID, ids
	}
	measure := func(userID string, ids []string) (hearts, pages []time.Duration) {
		// Every other id saved, every other one not: a page of a catalog.
		ask := make([]string, domain.MaxLibraryBatch)
		for i := range ask {
			if i%2 == 0 {
				ask[i] = ids[(i*7919)%len(ids)]
			} else {
				ask[i] = domain.NewID()
			}
		}
		for range samples {
			start := time.Now()
			if _, err := s.Library.AreSaved(ctx, userID, domain.LibraryTracks, ask); err != nil {
				b.Fatal(err)
			}
			hearts = append(hearts, time.Since(start))
		}
		token := ""
		for len(pages) < samples {
			start := time.Now()
			_, next, err := s.Library.ListSaved(ctx, userID, domain.LibraryTracks, domain.Page{Size: 50, Token: token})
			if err != nil {
				b.Fatal(err)
			}
			pages = append(pages, time.Since(start))
			token = next
		}
		return hearts, pages
	}
	bigUser, bigIDs := seed(big)
	smallUser, smallIDs := seed(small)
	b.ResetTimer()
	for range b.N {
		baseHearts, basePages := measure(smallUser, smallIDs)
		hearts, pages := measure(bigUser, bigIDs)
		h50, h99 := percentiles(hearts)
		l50, l99 := percentiles(pages)
		bh50, bh99 := percentiles(baseHearts)
		bl50, bl99 := percentiles(basePages)
		b.Logf("library at %d saved tracks (baseline: %d saved, same run):", big, small)
		b.Logf("  AreSaved(50 ids)       p50 %v p99 %v (baseline p50 %v p99 %v; p99 ratio %.2f)", h50, h99, bh50, bh99, float64(h99)/float64(bh99))
		b.Logf("  ListSaved(page of 50)  p50 %v p99 %v (baseline p50 %v p99 %v; p99 ratio %.2f)", l50, l99, bl50, bl99, float64(l99)/float64(bl99))
		b.ReportMetric(float64(h99.Microseconds()), "aresaved-p99-µs")
		b.ReportMetric(float64(l99.Microseconds()), "listsaved-p99-µs")
		b.ReportMetric(float64(h99)/float64(bh99), "aresaved-p99-ratio")
		b.ReportMetric(float64(l99)/float64(bl99), "listsaved-p99-ratio")
	}
}

// percentiles returns the p50 and p99 of ds (which it sorts).
func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	slices.Sort(ds)
	return ds[len(ds)/2], ds[len(ds)*99/100]
}
