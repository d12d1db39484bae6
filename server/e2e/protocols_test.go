package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	libraryv1 "github.com/backbeat/backbeat/gen/go/backbeat/library/v1"
	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/httpserver/httpservertest"
)

// listenerJourney drives apptest.ListenerJourney through c and then waits
// until the Demo Mix's first track plays.
func listenerJourney(t *testing.T, c apptest.API) {
	mix := apptest.ListenerJourney(t, c)
	ctx := apptest.Context(t)

	// The demo generates audio for the tracks of its "Demo Mix" playlist
	// shortly after start; other tracks have none, and which track lists
	// first is not one of its choosing (ids made in the same millisecond
	// sort at random).
	entries, err := c.Playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: mix}))
	apptest.MustOK(t, "GetPlaylist(Demo Mix)", err)
	if len(entries.Msg.Entries) == 0 {
		t.Fatal("the Demo Mix is empty")
	}
	playable := entries.Msg.Entries[0].TrackId
	deadline := time.Now().Add(2 * time.Minute)
	for {
		callCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		sp, err := c.Playback.StartPlayback(callCtx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: playable}))
		cancel()
		if err == nil {
			if !strings.HasSuffix(sp.Msg.HlsUrl, "/master.m3u8") {
				t.Fatalf("hls_url %q", sp.Msg.HlsUrl)
			}
			break
		}
		apptest.WantCode(t, err, connect.CodeFailedPrecondition)
		if time.Now().After(deadline) {
			t.Fatalf("the Demo Mix's first track never became playable: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The library, and the playable track played from Liked Songs.
	apptest.LibraryJourney(t, c)
	_, err = c.Library.SaveTracks(ctx, connect.NewRequest(&libraryv1.SaveTracksRequest{TrackIds: []string{playable}}))
	apptest.MustOK(t, "SaveTracks", err)
	sp, err := c.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: playable,
		Context: &playbackv1.PlaybackContext{Context: &playbackv1.PlaybackContext_LikedSongs{LikedSongs: true}}}))
	apptest.MustOK(t, "StartPlayback(liked songs)", err)
	if sp.Msg.TrackId != playable || !strings.HasSuffix(sp.Msg.HlsUrl, "/master.m3u8") {
		t.Fatalf("StartPlayback(liked songs) = %s, %q; want %s with its HLS URL", sp.Msg.TrackId, sp.Msg.HlsUrl, playable)
	}
	_, err = c.Library.RemoveSavedTracks(ctx, connect.NewRequest(&libraryv1.RemoveSavedTracksRequest{TrackIds: []string{playable}}))
	apptest.MustOK(t, "RemoveSavedTracks", err)
}

// TestProtocols drives one server in every protocol a client may speak.
func TestProtocols(t *testing.T) {
	s := startServer(t, t.TempDir(), "--demo")
	for _, p := range apptest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			hc := p.HTTP()
			res, err := apptest.NewAPI(hc, s.URL(), "", p.Opts...).Users.Login(apptest.Context(t), connect.NewRequest(&userv1.LoginRequest{Login: "demo", Password: "backbeat-demo"}))
			apptest.MustOK(t, "Login", err)
			listenerJourney(t, apptest.NewAPI(hc, s.URL(), res.Msg.Tokens.AccessToken, p.Opts...))
		})
	}
}

// TestTLS serves HTTP/2 over TLS and drives gRPC and Connect through it.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := httpservertest.SelfSigned(t, dir)
	s := startServer(t, filepath.Join(dir, "data"), "--demo", "--tls-cert", cert, "--tls-key", key)
	for _, p := range []apptest.Protocol{apptest.Protocols[0], apptest.Protocols[2]} {
		t.Run(p.Name, func(t *testing.T) {
			hc := tlsClient()
			res, err := apptest.NewAPI(hc, s.URL(), "", p.Opts...).Users.Login(apptest.Context(t), connect.NewRequest(&userv1.LoginRequest{Login: "demo", Password: "backbeat-demo"}))
			apptest.MustOK(t, "Login over TLS", err)
			listenerJourney(t, apptest.NewAPI(hc, s.URL(), res.Msg.Tokens.AccessToken, p.Opts...))
		})
	}
}
