package mediahttp

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/media/blob"
	"github.com/backbeat/backbeat/server/media/blobkey"
	"github.com/backbeat/backbeat/server/media/source"
	"github.com/backbeat/backbeat/server/media/urlsign"
)

// blockingLive writes a little and then holds its stream until released.
type blockingLive struct {
	started chan struct{}
	release chan struct{}
}

func (l *blockingLive) Live(ctx context.Context, in string, w io.Writer) error {
	l.started <- struct{}{}
	if _, err := w.Write([]byte("ID3")); err != nil {
		return err
	}
	select {
	case <-l.release:
	case <-ctx.Done():
	}
	return nil
}

func TestPlayBeforeLadder(t *testing.T) {
	blobs, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	file := append([]byte("fLaC"), make([]byte, 4<<10)...)
	rand.Read(file[4:])
	if _, err := blobs.Put(context.Background(), blobkey.Upload(trackID, mediaID), bytes.NewReader(file)); err != nil {
		t.Fatal(err)
	}
	signer, _ := urlsign.New(bytes.Repeat([]byte{1}, 32), "http://media.test", time.Hour, time.Hour, nil)
	live := &blockingLive{started: make(chan struct{}, 4), release: make(chan struct{})}
	h := New(blobs, signer, noUploads{}, 1<<20, slog.New(slog.DiscardHandler))
	h.EnablePlayBeforeLadder(EarlyPlay{Sources: source.New(blobs), Live: live, LiveContentType: "audio/mpeg", MaxLive: 1, WorkDir: t.TempDir()})
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	rel := func(u string) string { return srv.URL + strings.TrimPrefix(u, "http://media.test") }
	get := func(u, rng string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, rel(u), nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}

	orig, _ := signer.SourceURL(trackID, &domain.Source{UploadID: mediaID, Ext: "flac"}, userID)
	res, body := get(orig, "")
	if res.StatusCode != 200 || !bytes.Equal(body, file) || res.Header.Get("Content-Type") != "audio/flac" ||
		strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("original: %d, %d bytes, %v", res.StatusCode, len(body), res.Header)
	}
	if res, part := get(orig, "bytes=10-19"); res.StatusCode != 206 || !bytes.Equal(part, file[10:20]) {
		t.Errorf("original range: %d %q", res.StatusCode, part)
	}
	// A ladder token does not open the upload, nor an odd extension.
	ladder := signer.PlaybackURLs(trackID, mediaID, userID)
	token := strings.Split(strings.TrimPrefix(ladder.HLS, "http://media.test/media/s/"), "/")[0]
	for _, u := range []string{
		"http://media.test/media/o/" + token + "/" + trackID + "/" + mediaID + "/original.flac",
		strings.Replace(orig, "original.flac", "original.html", 1),
		strings.Replace(orig, trackID, "01hxxzzzzzzzzzzzzzzzzzzzzz", 1),
	} {
		if res, _ := get(u, ""); res.StatusCode != 403 && res.StatusCode != 404 {
			t.Errorf("GET %s: %d", u, res.StatusCode)
		}
	}

	// On the fly: one stream at a time here; the second is told to retry.
	lv, _ := signer.SourceURL(trackID, &domain.Source{UploadID: mediaID}, userID)
	first, err := http.Get(rel(lv))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Body.Close()
	<-live.started
	if first.StatusCode != 200 || first.Header.Get("Content-Type") != "audio/mpeg" || first.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("live: %d %v", first.StatusCode, first.Header)
	}
	if b := make([]byte, 3); func() error { _, err := io.ReadFull(first.Body, b); return err }() != nil || string(b) != "ID3" {
		t.Errorf("live: first bytes %q", b)
	}
	res, _ = get(lv, "")
	if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" {
		t.Errorf("a stream past the bound: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	close(live.release)
	io.Copy(io.Discard, first.Body)
	// The slot is free again.
	go func() { <-live.started }()
	if res, _ := get(lv, ""); res.StatusCode != 200 {
		t.Errorf("after the first stream ended: %d", res.StatusCode)
	}
}
