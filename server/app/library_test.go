package app_test

import (
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	libraryv1 "github.com/backbeat/backbeat/gen/go/backbeat/library/v1"
	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// TestLibraryDeletedItems: a track or album its artist deletes leaves every
// listener's library (as listed, as hearts and as Liked Songs to play),
// while the rest stays.
func TestLibraryDeletedItems(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	ctx := apptest.Context(t)
	rootTok, _ := s.RegisterAdmin(t, "root")
	root := s.As(rootTok)
	fanTok, _ := s.Register(t, "fan")
	fan := s.As(fanTok)
	art, err := root.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Band"}}))
	apptest.MustOK(t, "CreateArtist", err)
	var albums, tracks []string
	for _, title := range []string{"Kept", "Gone"} {
		al, err := root.Catalog.CreateAlbum(ctx, connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: title, ArtistIds: []string{art.Msg.Artist.Id}}}))
		apptest.MustOK(t, "CreateAlbum", err)
		albums = append(albums, al.Msg.Album.Id)
		tr, err := root.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: title, ArtistIds: []string{art.Msg.Artist.Id}}}))
		apptest.MustOK(t, "CreateTrack", err)
		tracks = append(tracks, tr.Msg.Track.Id)
	}
	// Saved one at a time, the deleted one last: it is Liked Songs' first.
	for _, id := range tracks {
		_, err = fan.Library.SaveTracks(ctx, connect.NewRequest(&libraryv1.SaveTracksRequest{TrackIds: []string{id}}))
		apptest.MustOK(t, "SaveTracks", err)
	}
	_, err = fan.Library.SaveAlbums(ctx, connect.NewRequest(&libraryv1.SaveAlbumsRequest{AlbumIds: albums}))
	apptest.MustOK(t, "SaveAlbums", err)

	_, err = root.Catalog.DeleteTrack(ctx, connect.NewRequest(&catalogv1.DeleteTrackRequest{TrackId: tracks[1]}))
	apptest.MustOK(t, "DeleteTrack", err)
	_, err = root.Catalog.DeleteAlbum(ctx, connect.NewRequest(&catalogv1.DeleteAlbumRequest{AlbumId: albums[1]}))
	apptest.MustOK(t, "DeleteAlbum", err)

	listed, err := fan.Library.ListSavedTracks(ctx, connect.NewRequest(&libraryv1.ListSavedTracksRequest{}))
	apptest.MustOK(t, "ListSavedTracks", err)
	if len(listed.Msg.Items) != 1 || listed.Msg.Items[0].Track.Id != tracks[0] {
		t.Fatalf("saved tracks after a delete = %v, want Kept alone", listed.Msg.Items)
	}
	hearts, err := fan.Library.AreTracksSaved(ctx, connect.NewRequest(&libraryv1.AreTracksSavedRequest{TrackIds: tracks}))
	apptest.MustOK(t, "AreTracksSaved", err)
	if !slices.Equal(hearts.Msg.Saved, []bool{true, false}) {
		t.Fatalf("AreTracksSaved = %v, want [true false]", hearts.Msg.Saved)
	}
	savedAlbums, err := fan.Library.ListSavedAlbums(ctx, connect.NewRequest(&libraryv1.ListSavedAlbumsRequest{}))
	apptest.MustOK(t, "ListSavedAlbums", err)
	if len(savedAlbums.Msg.Items) != 1 || savedAlbums.Msg.Items[0].Album.Id != albums[0] {
		t.Fatalf("saved albums after a delete = %v, want Kept alone", savedAlbums.Msg.Items)
	}
	albumHearts, err := fan.Library.AreAlbumsSaved(ctx, connect.NewRequest(&libraryv1.AreAlbumsSavedRequest{AlbumIds: albums}))
	apptest.MustOK(t, "AreAlbumsSaved", err)
	if !slices.Equal(albumHearts.Msg.Saved, []bool{true, false}) {
		t.Fatalf("AreAlbumsSaved = %v, want [true false]", albumHearts.Msg.Saved)
	}

	// Liked Songs' first is now Kept: no audio yet, and the answer names it.
	_, err = fan.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{
		Context: &playbackv1.PlaybackContext{Context: &playbackv1.PlaybackContext_LikedSongs{LikedSongs: true}}}))
	apptest.WantCode(t, err, connect.CodeFailedPrecondition)
	if !strings.Contains(err.Error(), tracks[0]) {
		t.Fatalf("StartPlayback(liked songs, 0) = %v, want it to be about %s", err, tracks[0])
	}
	_, err = fan.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{ContextIndex: 1,
		Context: &playbackv1.PlaybackContext{Context: &playbackv1.PlaybackContext_LikedSongs{LikedSongs: true}}}))
	apptest.WantCode(t, err, connect.CodeInvalidArgument)
}
