package e2e

import (
	"fmt"
	"testing"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// TestDemoRestart: a demo server started again on its data keeps the demo
// listener's own playlists as they are. Only the Demo Mix's tracks get
// generated audio, not tracks the listener put in a newer playlist.
func TestDemoRestart(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	s := startServer(t, dir, "--demo")
	waitLog(t, s, "demo data ready", 3*time.Minute)
	fan := as(s, apptest.Login(t, anon(s), "demo", "backbeat-demo").Tokens.AccessToken)
	ctx := apptest.Context(t)

	// A track without audio: every demo track outside the Demo Mix.
	var silent string
	for page := ""; silent == ""; {
		res, err := fan.Catalog.ListTracks(ctx, connect.NewRequest(&catalogv1.ListTracksRequest{PageSize: 50, PageToken: page}))
		apptest.MustOK(t, "ListTracks", err)
		for _, tr := range res.Msg.Tracks {
			if tr.Status == catalogv1.TrackStatus_TRACK_STATUS_PENDING_UPLOAD {
				silent = tr.Id
				break
			}
		}
		if page = res.Msg.NextPageToken; page == "" {
			break
		}
	}
	if silent == "" {
		t.Fatal("every demo track has audio; want some without")
	}
	// A listener who keeps using the demo soon has more playlists than
	// fit on one page, all newer than the Demo Mix.
	for i := range 12 {
		pl, err := fan.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: fmt.Sprintf("Mine %d", i+1)}}))
		apptest.MustOK(t, "CreatePlaylist", err)
		_, err = fan.Playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: pl.Msg.Playlist.Id, TrackIds: []string{silent}}))
		apptest.MustOK(t, "AddTracks", err)
	}
	s.stop()

	s2 := startServer(t, dir, "--demo")
	waitLog(t, s2, "demo data ready", 3*time.Minute)
	if n := logCount(s2.logs.String(), "transcode started"); n != 0 {
		t.Errorf("the restarted demo transcoded %d uploads, want none: the Demo Mix already has audio", n)
	}
	fan2 := as(s2, apptest.Login(t, anon(s2), "demo", "backbeat-demo").Tokens.AccessToken)
	res, err := fan2.Catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: silent}))
	apptest.MustOK(t, "GetTrack", err)
	if res.Msg.Track.Status != catalogv1.TrackStatus_TRACK_STATUS_PENDING_UPLOAD {
		t.Errorf("a track of the listener's own playlist is %v after the restart, want it left without audio", res.Msg.Track.Status)
	}
}
