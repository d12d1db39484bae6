package app_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/httpserver"
	"github.com/backbeat/backbeat/server/httpserver/httpservertest"
)

// TestDecompressionBomb sends 256 MiB of gzipped zeros (about 255 KB on the
// wire), without a token, to health, reflection, Login and a protected
// RPC, and with a token to that RPC; smaller bombs that pass the cap on the
// wire too. Each is refused, and the process allocates nowhere near what the bomb
// inflates to: before the read cap covered health and reflection, and
// before the token was checked ahead of the body, each inflated in full.
func TestDecompressionBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("short: builds a 256 MiB gzip stream")
	}
	s := apptest.Start(t)
	hc := apptest.H2CClient()
	apptest.Bombs[0].Send(t, hc, s.URL()) // warm: the bomb is built once, connections open
	token, _ := s.Register(t, "bomber")
	for _, b := range append(apptest.Bombs, apptest.SearchBomb) {
		t.Run(b.Name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			if b == apptest.SearchBomb {
				// With a token the body is read: the cap on the
				// decompressed message (4 MiB) stops it.
				b.SendAs(t, hc, s.URL(), token)
			} else {
				b.Send(t, hc, s.URL())
			}
			runtime.ReadMemStats(&after)
			// TotalAlloc counts every allocation in the process, the
			// client's included; a few times the 4 MiB cap is the server's
			// share at most.
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("%s allocated %d MiB (the bomb inflates to %d MiB)", b.Name, grew>>20, apptest.BombSize>>20)
			}
		})
	}
}

// countingBody records whether anything read it.
type countingBody struct {
	read atomic.Int64
	r    io.Reader
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read.Add(int64(n))
	return n, err
}

func (b *countingBody) Close() error { return nil }

// TestAnonymousBodyNotRead: through the whole handler, a request to a
// protected procedure without a token is refused before a byte of its body
// is read, in every protocol.
func TestAnonymousBodyNotRead(t *testing.T) {
	s := apptest.Start(t)
	for _, ct := range []string{"application/proto", "application/grpc", "application/grpc-web+proto"} {
		body := &countingBody{r: strings.NewReader(strings.Repeat("x", 1<<20))}
		req := httptest.NewRequest(http.MethodPost, "/backbeat.playlist.v1.PlaylistService/CreatePlaylist", body)
		req.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if n := body.read.Load(); n != 0 {
			t.Errorf("%s: %d bytes of an anonymous request's body were read", ct, n)
		}
		if code := rec.Header().Get("Grpc-Status"); rec.Code != http.StatusUnauthorized && code != "16" {
			t.Errorf("%s: HTTP %d grpc-status %q, want unauthenticated", ct, rec.Code, code)
		}
	}
}

// TestSlowLoginBodyIsCut: a Login (no token needed) whose body trickles at
// 20 B/s is answered and its connection closed once the (here short) body
// deadline passes, instead of being held open for as long as the client
// likes.
func TestSlowLoginBodyIsCut(t *testing.T) {
	s := apptest.Start(t, func(c *app.Config) {
		c.Limits = httpserver.Limits{BodyGrace: 300 * time.Millisecond, BodyMinRate: 1 << 20}
	})
	conn, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const size = 64 << 10 // under the body cap; at 20 B/s, close to an hour
	fmt.Fprintf(conn, "POST /backbeat.user.v1.UserService/Login HTTP/1.1\r\nHost: %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"login\":\"", s.Addr(), size)
	httpservertest.Trickle(t, conn, 'a')
	// 20 s is far above the 300 ms deadline and far below the trickle.
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a slow Login body: %v", err)
	}
	got, _ := io.ReadAll(res.Body)
	if res.StatusCode < 400 {
		t.Errorf("slow Login: HTTP %d %q, want an error", res.StatusCode, got)
	}
	httpservertest.WantClosed(t, conn, "the cut body")
}

// TestSlowUploadIsCut: the pre-signed upload PUT, exempt from the RPC body
// cap, still has the body deadline: a trickling upload is cut.
func TestSlowUploadIsCut(t *testing.T) {
	s := apptest.Start(t, func(c *app.Config) {
		c.Limits = httpserver.Limits{BodyGrace: 300 * time.Millisecond, BodyMinRate: 1 << 20}
	})
	ctx := apptest.Context(t)
	tok, _ := s.RegisterAdmin(t, "root")
	root := s.As(tok)
	art, err := root.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Slow Band"}}))
	apptest.MustOK(t, "CreateArtist", err)
	trk, err := root.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "Slow Song", ArtistIds: []string{art.Msg.Artist.Id}}}))
	apptest.MustOK(t, "CreateTrack", err)
	const size = 1 << 20
	up, err := root.Catalog.CreateTrackUpload(ctx, connect.NewRequest(&catalogv1.CreateTrackUploadRequest{TrackId: trk.Msg.Track.Id, SizeBytes: size}))
	apptest.MustOK(t, "CreateTrackUpload", err)
	u, err := url.Parse(up.Msg.UploadUrl)
	if err != nil {
		t.Fatal(err)
	}

	conn, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", u.RequestURI(), s.Addr(), size)
	httpservertest.Trickle(t, conn, 0)
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a slow upload: %v", err)
	}
	got, _ := io.ReadAll(res.Body)
	if res.StatusCode < 400 {
		t.Errorf("slow upload: HTTP %d %q, want an error", res.StatusCode, got)
	}
}
