package e2e

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/httpserver/httpservertest"
)

// listenerJourney drives a listener's everyday calls through c and checks
// what a user would see.
func listenerJourney(t *testing.T, c apptest.API) {
	ctx := apptest.Context(t)
	me, err := c.Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
	apptest.MustOK(t, "GetMe", err)
	if me.Msg.User.Username != "demo" {
		t.Fatalf("GetMe username = %q, want demo", me.Msg.User.Username)
	}

	sr, err := c.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "daft pu"}))
	apptest.MustOK(t, "Search", err)
	titles := apptest.SearchTitles(sr.Msg)
	if len(titles) == 0 || titles[0] != "artist:Daft Pulse" {
		t.Fatalf("Search(daft pu) = %v, want the artist Daft Pulse first", titles)
	}
	// Accent folding: "lodz" finds "Łódź".
	sr, err = c.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "lodz", Types: []catalogv1.ItemType{catalogv1.ItemType_ITEM_TYPE_ARTIST}}))
	apptest.MustOK(t, "Search lodz", err)
	if got := apptest.SearchTitles(sr.Msg); !slices.Contains(got, "artist:Łódź Brass Ensemble") {
		t.Fatalf("Search(lodz) = %v, want Łódź Brass Ensemble", got)
	}

	tracks, err := c.Catalog.ListTracks(ctx, connect.NewRequest(&catalogv1.ListTracksRequest{PageSize: 3}))
	apptest.MustOK(t, "ListTracks", err)
	if len(tracks.Msg.Tracks) != 3 || tracks.Msg.NextPageToken == "" {
		t.Fatalf("ListTracks(3) = %d tracks, next %q; want 3 and a next page", len(tracks.Msg.Tracks), tracks.Msg.NextPageToken)
	}
	tr, err := c.Catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: tracks.Msg.Tracks[0].Id}))
	apptest.MustOK(t, "GetTrack", err)
	if tr.Msg.Track.Title != tracks.Msg.Tracks[0].Title {
		t.Fatalf("GetTrack title %q, want %q", tr.Msg.Track.Title, tracks.Msg.Tracks[0].Title)
	}

	mine, err := c.Playlists.ListPlaylists(ctx, connect.NewRequest(&playlistv1.ListPlaylistsRequest{}))
	apptest.MustOK(t, "ListPlaylists", err)
	if len(mine.Msg.Playlists) == 0 {
		t.Fatal("ListPlaylists: the demo user has no playlists")
	}

	created, err := c.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Road trip"}}))
	apptest.MustOK(t, "CreatePlaylist", err)
	ids := []string{tracks.Msg.Tracks[0].Id, tracks.Msg.Tracks[1].Id, tracks.Msg.Tracks[0].Id}
	added, err := c.Playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: created.Msg.Playlist.Id, TrackIds: ids}))
	apptest.MustOK(t, "AddTracks", err)
	if added.Msg.Playlist.TrackCount != 3 {
		t.Fatalf("AddTracks track_count = %d, want 3", added.Msg.Playlist.TrackCount)
	}
	got, err := c.Playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: created.Msg.Playlist.Id}))
	apptest.MustOK(t, "GetPlaylist", err)
	var order []string
	for _, e := range got.Msg.Entries {
		order = append(order, e.TrackId)
	}
	if !slices.Equal(order, ids) {
		t.Fatalf("GetPlaylist entries = %v, want %v", order, ids)
	}

	// The demo generates audio for the tracks of its "Demo Mix" playlist
	// shortly after start; other tracks have none, and which track lists
	// first is not one of its choosing (ids made in the same millisecond
	// sort at random).
	var mix string
	for _, p := range mine.Msg.Playlists {
		if p.Name == "Demo Mix" {
			mix = p.Id
		}
	}
	if mix == "" {
		t.Fatal("ListPlaylists: no Demo Mix among the demo user's playlists")
	}
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
