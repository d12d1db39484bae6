package e2e

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// TestForgedInputsAreRefused sends, against the real binary, what used to
// panic a handler or pass: forged search page tokens, names carrying a
// right-to-left override, a second PUT to a used upload URL and an upload
// whose client goes away mid-body. Each is a 4xx, and the server logs no
// error for any of them.
func TestForgedInputsAreRefused(t *testing.T) {
	s := startServer(t, t.TempDir())
	st := newStudio(t, s)
	ctx := apptest.Context(t)

	t.Run("forged search page tokens", func(t *testing.T) {
		for _, raw := range []string{
			`{"l":"search","i":9223372036854775807}`,
			`{"l":"search","k":"tones","n":9223372036854775807}`,
			`{"l":"search","k":"tones","n":-5}`,
		} {
			_, err := st.fan.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{
				Query: "tones", PageToken: base64.RawURLEncoding.EncodeToString([]byte(raw)),
			}))
			apptest.WantCode(t, err, connect.CodeInvalidArgument)
		}
	})

	t.Run("bidi controls in names", func(t *testing.T) {
		_, err := st.artist.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{
			Title: "Song\u202Eexe.3pm", ArtistIds: []string{st.artID}, AlbumId: st.album, TrackNumber: 9,
		}}))
		apptest.WantCode(t, err, connect.CodeInvalidArgument)
		if !strings.Contains(err.Error(), "track.title") {
			t.Errorf("error %v does not name track.title", err)
		}
		_, err = st.fan.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{
			Playlist: &playlistv1.Playlist{Name: "\u2067Mix"},
		}))
		apptest.WantCode(t, err, connect.CodeInvalidArgument)
	})

	t.Run("uploads", func(t *testing.T) {
		trackID := st.track(t, "Uploaded Once", 1)
		file := filepath.Join(t.TempDir(), "not-audio.bin")
		if err := os.WriteFile(file, []byte(strings.Repeat("x", 4096)), 0o600); err != nil {
			t.Fatal(err)
		}
		// A client that sends part of the body, then goes away: its PUT is a
		// warning, and the URL stays usable.
		up, err := st.artist.Catalog.CreateTrackUpload(ctx, connect.NewRequest(&catalogv1.CreateTrackUploadRequest{TrackId: trackID}))
		apptest.MustOK(t, "CreateTrackUpload", err)
		abortPut(t, up.Msg.UploadUrl, 100_000, 1000)
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(s.logs.String(), "upload interrupted by the client") {
			if time.Now().After(deadline) {
				t.Fatal("no warning logged for an aborted upload")
			}
			time.Sleep(50 * time.Millisecond)
		}
		if code, body := put(t, up.Msg.UploadUrl, file); code != http.StatusOK {
			t.Fatalf("PUT after an aborted one: %d %s", code, body)
		}
		// The URL is used now: another PUT is refused, whatever it holds.
		if code, body := put(t, up.Msg.UploadUrl, file); code != http.StatusConflict {
			t.Fatalf("second PUT to a used upload URL: %d %s, want 409", code, body)
		}
	})

	for _, line := range strings.Split(s.logs.String(), "\n") {
		if strings.Contains(line, "level=ERROR") && (strings.Contains(line, "upload") || strings.Contains(line, "panic")) {
			t.Errorf("error logged: %s", line)
		}
	}
}

// abortPut starts a PUT of a size-byte body to rawURL, sends only sent
// bytes of it, and closes the connection.
func abortPut(t *testing.T, rawURL string, size, sent int) {
	t.Helper()
	u := mustParse(t, rawURL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", u.RequestURI(), u.Host, size)
	conn.Write(make([]byte, sent))
	time.Sleep(200 * time.Millisecond) // the handler is reading the body
	conn.Close()
}
