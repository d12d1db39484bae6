package apptest

import (
	"fmt"
	"slices"
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
)

// ListenerJourney drives a listener's everyday calls through c, signed in
// as the demo user of a server with the demo catalog, and checks what a user
// would see: who they are, search (with accent folding), the track list and
// a track, the demo's "Demo Mix" among their playlists, and a new playlist's
// entries in order. It returns the Demo Mix's id, for the caller's checks of
// playback, which depend on whether the server can make audio. It is not a
// t.Helper, so a failure names the line of the check that failed.
func ListenerJourney(t testing.TB, c API) (mix string) {
	ctx := Context(t)
	me, err := c.Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
	MustOK(t, "GetMe", err)
	if me.Msg.User.Username != "demo" {
		t.Fatalf("GetMe username = %q, want demo", me.Msg.User.Username)
	}

	// The demo catalog is searchable at once on the embedded store, and
	// once indexed where a search engine follows the store.
	err = Eventually(t, func() error {
		sr, err := c.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "daft pu"}))
		if err != nil {
			return err
		}
		if titles := SearchTitles(sr.Msg); len(titles) == 0 || titles[0] != "artist:Daft Pulse" {
			return fmt.Errorf("Search(daft pu) = %v, want the artist Daft Pulse first", titles)
		}
		return nil
	})
	MustOK(t, "Search", err)
	// Accent folding: "lodz" finds "Łódź".
	err = Eventually(t, func() error {
		sr, err := c.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "lodz", Types: []catalogv1.ItemType{catalogv1.ItemType_ITEM_TYPE_ARTIST}}))
		if err != nil {
			return err
		}
		if got := SearchTitles(sr.Msg); !slices.Contains(got, "artist:Łódź Brass Ensemble") {
			return fmt.Errorf("Search(lodz) = %v, want Łódź Brass Ensemble", got)
		}
		return nil
	})
	MustOK(t, "Search lodz", err)

	tracks, err := c.Catalog.ListTracks(ctx, connect.NewRequest(&catalogv1.ListTracksRequest{PageSize: 3}))
	MustOK(t, "ListTracks", err)
	if len(tracks.Msg.Tracks) != 3 || tracks.Msg.NextPageToken == "" {
		t.Fatalf("ListTracks(3) = %d tracks, next %q; want 3 and a next page", len(tracks.Msg.Tracks), tracks.Msg.NextPageToken)
	}
	tr, err := c.Catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: tracks.Msg.Tracks[0].Id}))
	MustOK(t, "GetTrack", err)
	if tr.Msg.Track.Title != tracks.Msg.Tracks[0].Title {
		t.Fatalf("GetTrack title %q, want %q", tr.Msg.Track.Title, tracks.Msg.Tracks[0].Title)
	}

	mine, err := c.Playlists.ListPlaylists(ctx, connect.NewRequest(&playlistv1.ListPlaylistsRequest{}))
	MustOK(t, "ListPlaylists", err)
	for _, p := range mine.Msg.Playlists {
		if p.Name == "Demo Mix" {
			mix = p.Id
		}
	}
	if mix == "" {
		t.Fatalf("ListPlaylists: no Demo Mix among the demo user's playlists %v", mine.Msg.Playlists)
	}

	created, err := c.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Road trip"}}))
	MustOK(t, "CreatePlaylist", err)
	ids := []string{tracks.Msg.Tracks[0].Id, tracks.Msg.Tracks[1].Id, tracks.Msg.Tracks[0].Id}
	added, err := c.Playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: created.Msg.Playlist.Id, TrackIds: ids}))
	MustOK(t, "AddTracks", err)
	if added.Msg.Playlist.TrackCount != 3 {
		t.Fatalf("AddTracks track_count = %d, want 3", added.Msg.Playlist.TrackCount)
	}
	got, err := c.Playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: created.Msg.Playlist.Id}))
	MustOK(t, "GetPlaylist", err)
	var order []string
	for _, e := range got.Msg.Entries {
		order = append(order, e.TrackId)
	}
	if !slices.Equal(order, ids) {
		t.Fatalf("GetPlaylist entries = %v, want %v", order, ids)
	}
	return mix
}
