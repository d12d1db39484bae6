package app_test

import (
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// TestDeleteMe removes an artist's account: what it alone owned goes (its
// artist, album and tracks, which also leave other people's playlists, and
// its playlists); an artist it shared stays with the other manager.
func TestDeleteMe(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	ctx := apptest.Context(t)
	rootTok, _ := s.RegisterAdmin(t, "root")
	root := s.As(rootTok)
	_, alice := s.Register(t, "alice")
	listenerTok, _ := s.Register(t, "carol")
	carol := s.As(listenerTok)
	_, err := root.Users.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: alice.Id, Roles: []userv1.Role{userv1.Role_ROLE_ARTIST}}))
	apptest.MustOK(t, "SetUserRoles", err)
	lr := s.Login(t, "alice", apptest.Password)
	a := s.As(lr.Tokens.AccessToken)

	solo, err := a.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Alice Solo"}}))
	apptest.MustOK(t, "CreateArtist", err)
	alb, err := a.Catalog.CreateAlbum(ctx, connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: "Solo Album", ArtistIds: []string{solo.Msg.Artist.Id}}}))
	apptest.MustOK(t, "CreateAlbum", err)
	trk, err := a.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "Solo Song", ArtistIds: []string{solo.Msg.Artist.Id}, AlbumId: alb.Msg.Album.Id}}))
	apptest.MustOK(t, "CreateTrack", err)
	shared, err := root.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Duo", OwnerUserIds: []string{alice.Id, mustUserID(t, root, "root")}}}))
	apptest.MustOK(t, "CreateArtist shared", err)
	own, err := a.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Alice's", Public: true}}))
	apptest.MustOK(t, "CreatePlaylist", err)
	theirs, err := carol.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Carol's"}}))
	apptest.MustOK(t, "CreatePlaylist carol", err)
	_, err = carol.Playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: theirs.Msg.Playlist.Id, TrackIds: []string{trk.Msg.Track.Id}}))
	apptest.MustOK(t, "AddTracks", err)

	_, err = a.Users.DeleteMe(ctx, connect.NewRequest(&userv1.DeleteMeRequest{}))
	apptest.MustOK(t, "DeleteMe", err)

	_, err = carol.Catalog.GetArtist(ctx, connect.NewRequest(&catalogv1.GetArtistRequest{ArtistId: solo.Msg.Artist.Id}))
	apptest.WantCode(t, err, connect.CodeNotFound)
	_, err = carol.Catalog.GetAlbum(ctx, connect.NewRequest(&catalogv1.GetAlbumRequest{AlbumId: alb.Msg.Album.Id}))
	apptest.WantCode(t, err, connect.CodeNotFound)
	_, err = carol.Catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: trk.Msg.Track.Id}))
	apptest.WantCode(t, err, connect.CodeNotFound)
	_, err = carol.Playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: own.Msg.Playlist.Id}))
	apptest.WantCode(t, err, connect.CodeNotFound)
	got, err := carol.Playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: theirs.Msg.Playlist.Id}))
	apptest.MustOK(t, "carol's playlist", err)
	if len(got.Msg.Entries) != 0 || got.Msg.Playlist.TrackCount != 0 {
		t.Fatalf("carol's playlist still holds %d entries of the deleted track", len(got.Msg.Entries))
	}
	duo, err := carol.Catalog.GetArtist(ctx, connect.NewRequest(&catalogv1.GetArtistRequest{ArtistId: shared.Msg.Artist.Id}))
	apptest.MustOK(t, "shared artist survives", err)
	if len(duo.Msg.Artist.OwnerUserIds) != 1 || duo.Msg.Artist.OwnerUserIds[0] == alice.Id {
		t.Fatalf("shared artist managers = %v, want only root", duo.Msg.Artist.OwnerUserIds)
	}
	_, err = s.Anon().Users.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Login: "alice", Password: apptest.Password}))
	apptest.WantCode(t, err, connect.CodeUnauthenticated)
	_, err = s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: lr.Tokens.RefreshToken}))
	apptest.WantCode(t, err, connect.CodeUnauthenticated)
}

func mustUserID(t *testing.T, c apptest.API, username string) string {
	t.Helper()
	me, err := c.Users.GetMe(apptest.Context(t), connect.NewRequest(&userv1.GetMeRequest{}))
	apptest.MustOK(t, "GetMe", err)
	if me.Msg.User.Username != username {
		t.Fatalf("GetMe = %s, want %s", me.Msg.User.Username, username)
	}
	return me.Msg.User.Id
}
