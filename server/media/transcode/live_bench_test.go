package transcode

import (
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkLive runs n on-the-fly transcodes (Live) of 30 s of music-like
// AIFF at once and reports the first-byte latency a listener waits for
// (p50, p99 over every stream of the run) and the aggregate speed:
// x-realtime summed over the streams. A listener needs 1x, so two cores
// sustain about as many streams as the aggregate x-realtime, while the
// per-stream figure stays above 1.
//
//	go test -run '^$' -bench Live -benchtime 3x ./server/media/transcode/
func BenchmarkLive(b *testing.B) {
	needFFmpeg(b)
	const secs = 30
	in := gen(b, b.TempDir(), "music.aiff", "-filter_complex",
		fmt.Sprintf("sine=f=220:d=%[1]d:r=44100[a];sine=f=277:d=%[1]d:r=44100[b];anoisesrc=d=%[1]d:c=pink:a=0.05:r=44100[n];"+
			"[a][b][n]amix=inputs=3,aformat=channel_layouts=stereo", secs))
	tr := New(Config{})
	for _, n := range []int{1, 4, 8, 16} {
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) {
			var (
				mu    sync.Mutex
				first []time.Duration
			)
			for b.Loop() {
				var wg sync.WaitGroup
				for range n {
					wg.Go(func() {
						w := &firstByte{start: time.Now()}
						if err := tr.Live(b.Context(), in, w); err != nil {
							b.Error(err)
						}
						mu.Lock()
						first = append(first, w.at)
						mu.Unlock()
					})
				}
				wg.Wait()
			}
			slices.Sort(first)
			pct := func(p float64) float64 { return float64(first[int(float64(len(first)-1)*p)].Microseconds()) / 1000 }
			agg := float64(n*secs*b.N) / b.Elapsed().Seconds()
			b.ReportMetric(pct(0.5), "first-byte-p50-ms")
			b.ReportMetric(pct(0.99), "first-byte-p99-ms")
			b.ReportMetric(agg, "aggregate-x-realtime")
			b.ReportMetric(agg/float64(n), "per-stream-x-realtime")
		})
	}
}

// firstByte discards what it is given and notes when the first byte came.
type firstByte struct {
	start time.Time
	at    time.Duration
}

func (f *firstByte) Write(p []byte) (int, error) {
	if f.at == 0 && len(p) > 0 {
		f.at = time.Since(f.start)
	}
	return io.Discard.Write(p)
}
