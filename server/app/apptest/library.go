package apptest

import (
	"slices"
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	libraryv1 "github.com/backbeat/backbeat/gen/go/backbeat/library/v1"
	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
)

// LibraryJourney drives the library through c, signed in on a server with
// the demo catalog: hearts on a page of tracks, Liked Songs newest first and
// paged, an unsave, an album saved and unsaved, and liked_songs refusing a
// track that is not in it. It may run again for the same user (it starts by
// clearing what it saves). Not a t.Helper, as ListenerJourney.
func LibraryJourney(t testing.TB, c API) {
	ctx := Context(t)
	tracks, err := c.Catalog.ListTracks(ctx, connect.NewRequest(&catalogv1.ListTracksRequest{PageSize: 4}))
	MustOK(t, "ListTracks", err)
	if len(tracks.Msg.Tracks) < 4 {
		t.Fatalf("ListTracks(4) = %d tracks, want 4", len(tracks.Msg.Tracks))
	}
	var ids []string
	for _, tr := range tracks.Msg.Tracks {
		ids = append(ids, tr.Id)
	}
	_, err = c.Library.RemoveSavedTracks(ctx, connect.NewRequest(&libraryv1.RemoveSavedTracksRequest{TrackIds: ids}))
	MustOK(t, "RemoveSavedTracks (clean slate)", err)

	_, err = c.Library.SaveTracks(ctx, connect.NewRequest(&libraryv1.SaveTracksRequest{TrackIds: ids[:1]}))
	MustOK(t, "SaveTracks", err)
	_, err = c.Library.SaveTracks(ctx, connect.NewRequest(&libraryv1.SaveTracksRequest{TrackIds: ids[1:2]}))
	MustOK(t, "SaveTracks", err)
	_, err = c.Library.SaveTracks(ctx, connect.NewRequest(&libraryv1.SaveTracksRequest{TrackIds: ids[2:3]}))
	MustOK(t, "SaveTracks", err)
	hearts, err := c.Library.AreTracksSaved(ctx, connect.NewRequest(&libraryv1.AreTracksSavedRequest{TrackIds: ids}))
	MustOK(t, "AreTracksSaved", err)
	if !slices.Equal(hearts.Msg.Saved, []bool{true, true, true, false}) {
		t.Fatalf("AreTracksSaved = %v, want [true true true false]", hearts.Msg.Saved)
	}

	// Newest first, two at a time. Saves within one millisecond tie, and
	// ties order by id, so only the set is pinned across the first three.
	var listed []string
	token := ""
	for {
		page, err := c.Library.ListSavedTracks(ctx, connect.NewRequest(&libraryv1.ListSavedTracksRequest{PageSize: 2, PageToken: token}))
		MustOK(t, "ListSavedTracks", err)
		for _, it := range page.Msg.Items {
			if it.SaveTime == nil || it.Track.GetTitle() == "" {
				t.Fatalf("saved track %v lacks its track or save time", it)
			}
			listed = append(listed, it.Track.Id)
		}
		if token = page.Msg.NextPageToken; token == "" {
			break
		}
	}
	for _, id := range ids[:3] {
		if !slices.Contains(listed, id) {
			t.Fatalf("ListSavedTracks = %v, missing %s", listed, id)
		}
	}
	if slices.Contains(listed, ids[3]) {
		t.Fatalf("ListSavedTracks = %v lists the unsaved %s", listed, ids[3])
	}

	_, err = c.Library.RemoveSavedTracks(ctx, connect.NewRequest(&libraryv1.RemoveSavedTracksRequest{TrackIds: ids[1:2]}))
	MustOK(t, "RemoveSavedTracks", err)
	hearts, err = c.Library.AreTracksSaved(ctx, connect.NewRequest(&libraryv1.AreTracksSavedRequest{TrackIds: ids[:3]}))
	MustOK(t, "AreTracksSaved", err)
	if !slices.Equal(hearts.Msg.Saved, []bool{true, false, true}) {
		t.Fatalf("AreTracksSaved after an unsave = %v, want [true false true]", hearts.Msg.Saved)
	}
	_, err = c.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: ids[1],
		Context: &playbackv1.PlaybackContext{Context: &playbackv1.PlaybackContext_LikedSongs{LikedSongs: true}}}))
	WantCode(t, err, connect.CodeNotFound)

	albums, err := c.Catalog.ListAlbums(ctx, connect.NewRequest(&catalogv1.ListAlbumsRequest{PageSize: 1}))
	MustOK(t, "ListAlbums", err)
	if len(albums.Msg.Albums) == 0 {
		t.Fatal("the demo catalog has no album")
	}
	album := albums.Msg.Albums[0].Id
	_, err = c.Library.SaveAlbums(ctx, connect.NewRequest(&libraryv1.SaveAlbumsRequest{AlbumIds: []string{album}}))
	MustOK(t, "SaveAlbums", err)
	saved, err := c.Library.ListSavedAlbums(ctx, connect.NewRequest(&libraryv1.ListSavedAlbumsRequest{}))
	MustOK(t, "ListSavedAlbums", err)
	if len(saved.Msg.Items) != 1 || saved.Msg.Items[0].Album.GetId() != album {
		t.Fatalf("ListSavedAlbums = %v, want the album %s alone", saved.Msg.Items, album)
	}
	_, err = c.Library.RemoveSavedAlbums(ctx, connect.NewRequest(&libraryv1.RemoveSavedAlbumsRequest{AlbumIds: []string{album}}))
	MustOK(t, "RemoveSavedAlbums", err)
	isAlbum, err := c.Library.AreAlbumsSaved(ctx, connect.NewRequest(&libraryv1.AreAlbumsSavedRequest{AlbumIds: []string{album}}))
	MustOK(t, "AreAlbumsSaved", err)
	if isAlbum.Msg.Saved[0] {
		t.Fatal("the album is still saved after RemoveSavedAlbums")
	}
}
