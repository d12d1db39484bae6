package storetest

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// BenchReport measures ReportPlayback's work on s: Playback.Report of one
// play heard to its end (so counted), b.N times from 16 goroutines, each
// play its own started playback. It reports counted plays per second, and
// checks that every play was counted once settle (a store's rollup, or nil)
// has run. Stores compare by running it in one go test run.
func BenchReport(b *testing.B, s domain.Stores, settle func(context.Context) error) {
	ctx := b.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	tr := &domain.Track{ID: domain.NewID(), Title: "Bench Song", Status: domain.TrackReady, MediaID: "m1",
		Duration: 3 * time.Minute, CreateTime: now, UpdateTime: now}
	if err := s.Catalog.CreateTrack(ctx, tr); err != nil {
		b.Fatal(err)
	}
	// Enough listeners that none reaches the hourly cap of counted plays.
	const perUser = domain.DefaultMaxCountedPerHour / 2
	starts := make([]*domain.StartedPlayback, b.N)
	var users []string
	for i := range starts {
		if i%perUser == 0 {
			u := &domain.User{ID: domain.NewID(), Username: fmt.Sprintf("bench%d%s", i, domain.NewID()[20:]), CreateTime: now, UpdateTime: now}
			if err := s.Users.CreateUser(ctx, u); err != nil {
				b.Fatal(err)
			}
			users = append(users, u.ID)
		}
		// Started 5 minutes ago, so a report of the end is believed.
		at := now.Add(-5 * time.Minute)
		starts[i] = &domain.StartedPlayback{UserID: users[len(users)-1], PlaybackID: domain.NewID(), TrackID: tr.ID,
			StartTime: at, ExpireTime: at.Add(domain.ReportWindow)}
		if err := s.Plays.CreatePlayback(ctx, starts[i]); err != nil {
			b.Fatal(err)
		}
	}
	pb := domain.NewPlayback(s, nil, nil, nopEvents{}, time.Now)
	var next atomic.Int64
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0))) // 16 goroutines
	b.ResetTimer()
	began := time.Now()
	b.RunParallel(func(p *testing.PB) {
		for p.Next() {
			sp := starts[next.Add(1)-1]
			err := pb.Report(ctx, domain.Principal{UserID: sp.UserID}, []domain.PlayEvent{{
				PlaybackID: sp.PlaybackID, TrackID: sp.TrackID, Type: domain.PlayEventEnd,
				Position: tr.Duration, OccurTime: time.Now(), DeviceID: "bench",
			}})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(began)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "reports/s")
	if settle != nil {
		if err := settle(ctx); err != nil {
			b.Fatal(err)
		}
	}
	got, err := s.Catalog.GetTrack(ctx, tr.ID)
	if err != nil {
		b.Fatal(err)
	}
	if got.PlayCount != int64(b.N) {
		b.Fatalf("PlayCount %d after %d counted reports", got.PlayCount, b.N)
	}
}

type nopEvents struct{}

func (nopEvents) PublishPlayEvents(context.Context, string, []domain.PlayEvent) error { return nil }
