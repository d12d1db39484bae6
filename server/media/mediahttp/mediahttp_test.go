package mediahttp

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/media/blob"
	"github.com/backbeat/backbeat/server/media/blobkey"
	"github.com/backbeat/backbeat/server/media/urlsign"
)

const (
	trackID = "01htrzzzzzzzzzzzzzzzzzzzzz"
	mediaID = "01hmezzzzzzzzzzzzzzzzzzzzz"
	userID  = "01huszzzzzzzzzzzzzzzzzzzzz"
)

type noUploads struct{}

func (noUploads) AcceptUpload(context.Context, domain.TranscodeJob) error   { return nil }
func (noUploads) UploadReceived(context.Context, domain.TranscodeJob) error { return nil }

func setup(t testing.TB) (http.Handler, domain.MediaURLs, []byte) {
	t.Helper()
	blobs, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	seg := make([]byte, 64<<10) // a 4 s segment at ~128 kb/s
	rand.Read(seg)
	if _, err := blobs.Put(context.Background(), blobkey.MediaPrefix(trackID, mediaID)+"seg-1-00001.m4s", bytes.NewReader(seg)); err != nil {
		t.Fatal(err)
	}
	signer, _ := urlsign.New(bytes.Repeat([]byte{1}, 32), "http://media.test", time.Hour, time.Hour, nil)
	mux := http.NewServeMux()
	New(blobs, signer, noUploads{}, 1<<20, slog.New(slog.DiscardHandler)).Register(mux)
	return mux, signer.PlaybackURLs(trackID, mediaID, userID), seg
}

func TestServesSignedSegments(t *testing.T) {
	h, urls, seg := setup(t)
	segURL := strings.Replace(urls.HLS, "master.m3u8", "seg-1-00001.m4s", 1)
	for _, tc := range []struct {
		name, url, rng string
		code           int
		body           []byte
	}{
		{"whole segment", segURL, "", 200, seg},
		{"a range", segURL, "bytes=10-19", 206, seg[10:20]},
		{"missing file", urls.HLS, "", 404, nil},
		{"not a media file", strings.Replace(segURL, "seg-1-00001.m4s", "notes.txt", 1), "", 404, nil},
		{"forged token", strings.Replace(segURL, userID, "01hotherzzzzzzzzzzzzzzzzz", 1), "", 403, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tc.url, nil)
			if tc.rng != "" {
				req.Header.Set("Range", tc.rng)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tc.code, rec.Body)
			}
			if tc.body != nil && !bytes.Equal(rec.Body.Bytes(), tc.body) {
				t.Errorf("body differs")
			}
			if tc.code >= 400 && rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("an error response may be cached: %q", rec.Header().Get("Cache-Control"))
			}
		})
	}
}

// BenchmarkServeSegment is the server's share of starting playback once
// media exists: checking the token and serving one segment from the local
// blob store, in process (no network). Reports p50/p99 per request.
func BenchmarkServeSegment(b *testing.B) {
	h, urls, _ := setup(b)
	segURL := strings.Replace(urls.HLS, "master.m3u8", "seg-1-00001.m4s", 1)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, segURL, nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
