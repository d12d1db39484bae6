package app_test

import (
	"slices"
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// TestProtocols drives a listener's everyday calls over the demo catalog in
// every protocol a client may speak, with the generated clients. The demo
// audio needs ffmpeg, which this server is not given, so playback stops at
// "no audio yet"; server/e2e plays real media.
func TestProtocols(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, func(c *app.Config) {
		c.Demo = true
		c.Media.FFmpeg = "backbeat-test-no-ffmpeg"
	})
	for _, p := range apptest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			hc := p.HTTP()
			res, err := apptest.NewAPI(hc, s.URL(), "", p.Opts...).Users.Login(apptest.Context(t), connect.NewRequest(&userv1.LoginRequest{Login: "demo", Password: "backbeat-demo"}))
			apptest.MustOK(t, "Login", err)
			listenerJourney(t, apptest.NewAPI(hc, s.URL(), res.Msg.Tokens.AccessToken, p.Opts...))
		})
	}
}

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
	var mix string
	for _, p := range mine.Msg.Playlists {
		if p.Name == "Demo Mix" {
			mix = p.Id
		}
	}
	if mix == "" {
		t.Fatalf("ListPlaylists: no Demo Mix among the demo user's playlists %v", mine.Msg.Playlists)
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

	// Without its audio a track cannot start: the answer says so.
	_, err = c.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{
		Context: &playbackv1.PlaybackContext{Context: &playbackv1.PlaybackContext_PlaylistId{PlaylistId: mix}}}))
	apptest.WantCode(t, err, connect.CodeFailedPrecondition)
}
