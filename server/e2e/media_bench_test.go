package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/media/manifest"
)

// BenchmarkTimeToFirstAudio measures what a player waits for before sound:
// StartPlayback, the master playlist, the first variant's playlist, its
// init segment and the first byte of its first media segment, each over a
// kept-alive connection as a player would. Run it with
//
//	BACKBEAT_E2E=1 go test -run '^$' -bench TimeToFirstAudio -benchtime 1000x ./server/e2e/
//
// It reports p50 and p99 in milliseconds (and ns/op, the mean).
func BenchmarkTimeToFirstAudio(b *testing.B) {
	requireE2E(b)
	requireFFmpeg(b)
	s := startServer(b, b.TempDir(), "--log-level", "warn")
	st := newStudio(b, s)
	file := makeAudio(b, b.TempDir(), "in.flac", 30)
	id := st.track(b, "Bench", 1)
	if _, code, body := st.upload(b, id, file); code != 200 {
		b.Fatalf("PUT %d %s", code, body)
	}
	if tr := waitTrack(b, st.fan, id, 2*time.Minute); tr.Status != catalogv1.TrackStatus_TRACK_STATUS_READY {
		b.Fatalf("%v %s", tr.Status, tr.StatusReason)
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	fan := apptest.NewAPI(hc, s.URL(), st.fanToken)
	fetch := func(u string, firstByteOnly bool) []byte {
		res, err := hc.Get(u)
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("GET %s: %v %v", u, err, res)
		}
		defer res.Body.Close()
		if firstByteOnly {
			one := make([]byte, 1)
			if _, err := io.ReadFull(res.Body, one); err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body) // keep the connection reusable
			return one
		}
		body, _ := io.ReadAll(res.Body)
		return body
	}
	ctx := apptest.Context(b)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		sp, err := fan.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: id}))
		if err != nil {
			b.Fatal(err)
		}
		master, err := manifest.ParseMaster(bytes.NewReader(fetch(sp.Msg.HlsUrl, false)))
		if err != nil {
			b.Fatal(err)
		}
		mu := resolve(sp.Msg.HlsUrl, master.Variants[0].URI)
		media, err := manifest.ParseMedia(bytes.NewReader(fetch(mu, false)))
		if err != nil {
			b.Fatal(err)
		}
		fetch(resolve(mu, media.InitURIs()[0]), false)
		fetch(resolve(mu, media.Segments[0].URI), true)
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkUploadToFirstAudio measures, for a 4-minute MP3, the time from
// the start of its upload to the first audio byte a player gets:
//
//   - ladder: as before playing ahead of the ladder, StartPlayback waits
//     for the track to be ready (polled every 100 ms), then HLS master,
//     variant playlist, init segment and the first segment's first byte;
//   - original: StartPlayback right after the upload, then the first byte
//     of the original file it hands out.
//
// Both run on one server in the same run:
//
//	BACKBEAT_E2E=1 go test -run '^$' -bench UploadToFirstAudio -benchtime 1x ./server/e2e/
func BenchmarkUploadToFirstAudio(b *testing.B) {
	requireE2E(b)
	requireFFmpeg(b)
	s := startServer(b, b.TempDir(), "--log-level", "warn")
	st := newStudio(b, s)
	file := encode(b, b.TempDir(), "song.mp3", 240, "-c:a", "libmp3lame", "-b:a", "192k")
	firstByte := func(u string) {
		res, err := http.Get(u)
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("GET %s: %v %v", u, err, res)
		}
		defer res.Body.Close()
		if _, err := io.ReadFull(res.Body, make([]byte, 1)); err != nil {
			b.Fatal(err)
		}
	}
	n := 0
	for _, path := range []string{"original", "ladder"} {
		b.Run(path, func(b *testing.B) {
			var total time.Duration
			for range b.N {
				n++
				id := st.track(b, fmt.Sprintf("Song %d", n), int32(n))
				t0 := time.Now()
				if _, code, body := st.upload(b, id, file); code != 200 {
					b.Fatalf("PUT %d %s", code, body)
				}
				if path == "ladder" {
					waitReady(b, st, id)
				}
				sp := startPlayback(b, st, id)
				if path == "original" {
					firstByte(sp.ProgressiveUrl)
				} else {
					master, err := manifest.ParseMaster(bytes.NewReader(fetchAll(b, sp.HlsUrl)))
					if err != nil {
						b.Fatal(err)
					}
					mu := resolve(sp.HlsUrl, master.Variants[0].URI)
					media, err := manifest.ParseMedia(bytes.NewReader(fetchAll(b, mu)))
					if err != nil {
						b.Fatal(err)
					}
					fetchAll(b, resolve(mu, media.InitURIs()[0]))
					firstByte(resolve(mu, media.Segments[0].URI))
				}
				total += time.Since(t0)
				// Let this upload's ladder finish outside the measurement,
				// so the next one does not queue behind it.
				waitReady(b, st, id)
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "upload-to-first-byte-s")
		})
	}
}

func waitReady(b *testing.B, st *studio, id string) {
	if tr := waitTrack(b, st.fan, id, 10*time.Minute); tr.Status != catalogv1.TrackStatus_TRACK_STATUS_READY {
		b.Fatalf("%v %s", tr.Status, tr.StatusReason)
	}
}

func fetchAll(b *testing.B, u string) []byte {
	res, body := get(b, u)
	if res.StatusCode != 200 {
		b.Fatalf("GET %s: %d", u, res.StatusCode)
	}
	return body
}
