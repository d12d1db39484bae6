package e2e

import (
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
)

// TestDeleteMe removes an artist's account: what it alone owned goes (its
// artist, album and tracks, which also leave other people's playlists, and
// its playlists); an artist it shared stays with the other manager.
func TestDeleteMe(t *testing.T) {
	s := startServer(t, t.TempDir(), "--admins", "root")
	ctx := ctxT(t)
	rootTok, _ := register(t, s, "root")
	root := as(s, rootTok)
	_, alice := register(t, s, "alice")
	listenerTok, _ := register(t, s, "carol")
	carol := as(s, listenerTok)
	_, err := root.users.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: alice.Id, Roles: []userv1.Role{userv1.Role_ROLE_ARTIST}}))
	mustOK(t, "SetUserRoles", err)
	lr := login(t, s, "alice", "correct horse battery")
	a := as(s, lr.Tokens.AccessToken)

	solo, err := a.catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Alice Solo"}}))
	mustOK(t, "CreateArtist", err)
	alb, err := a.catalog.CreateAlbum(ctx, connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: "Solo Album", ArtistIds: []string{solo.Msg.Artist.Id}}}))
	mustOK(t, "CreateAlbum", err)
	trk, err := a.catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "Solo Song", ArtistIds: []string{solo.Msg.Artist.Id}, AlbumId: alb.Msg.Album.Id}}))
	mustOK(t, "CreateTrack", err)
	shared, err := root.catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Duo", OwnerUserIds: []string{alice.Id, mustUserID(t, root, "root")}}}))
	mustOK(t, "CreateArtist shared", err)
	own, err := a.playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Alice's", Public: true}}))
	mustOK(t, "CreatePlaylist", err)
	theirs, err := carol.playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Carol's"}}))
	mustOK(t, "CreatePlaylist carol", err)
	_, err = carol.playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: theirs.Msg.Playlist.Id, TrackIds: []string{trk.Msg.Track.Id}}))
	mustOK(t, "AddTracks", err)

	_, err = a.users.DeleteMe(ctx, connect.NewRequest(&userv1.DeleteMeRequest{}))
	mustOK(t, "DeleteMe", err)

	_, err = carol.catalog.GetArtist(ctx, connect.NewRequest(&catalogv1.GetArtistRequest{ArtistId: solo.Msg.Artist.Id}))
	wantCode(t, err, connect.CodeNotFound)
	_, err = carol.catalog.GetAlbum(ctx, connect.NewRequest(&catalogv1.GetAlbumRequest{AlbumId: alb.Msg.Album.Id}))
	wantCode(t, err, connect.CodeNotFound)
	_, err = carol.catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: trk.Msg.Track.Id}))
	wantCode(t, err, connect.CodeNotFound)
	_, err = carol.playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: own.Msg.Playlist.Id}))
	wantCode(t, err, connect.CodeNotFound)
	got, err := carol.playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: theirs.Msg.Playlist.Id}))
	mustOK(t, "carol's playlist", err)
	if len(got.Msg.Entries) != 0 || got.Msg.Playlist.TrackCount != 0 {
		t.Fatalf("carol's playlist still holds %d entries of the deleted track", len(got.Msg.Entries))
	}
	duo, err := carol.catalog.GetArtist(ctx, connect.NewRequest(&catalogv1.GetArtistRequest{ArtistId: shared.Msg.Artist.Id}))
	mustOK(t, "shared artist survives", err)
	if len(duo.Msg.Artist.OwnerUserIds) != 1 || duo.Msg.Artist.OwnerUserIds[0] == alice.Id {
		t.Fatalf("shared artist managers = %v, want only root", duo.Msg.Artist.OwnerUserIds)
	}
	_, err = anon(s).users.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Login: "alice", Password: "correct horse battery"}))
	wantCode(t, err, connect.CodeUnauthenticated)
	_, err = anon(s).users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: lr.Tokens.RefreshToken}))
	wantCode(t, err, connect.CodeUnauthenticated)
}

func mustUserID(t *testing.T, c api, username string) string {
	t.Helper()
	me, err := c.users.GetMe(ctxT(t), connect.NewRequest(&userv1.GetMeRequest{}))
	mustOK(t, "GetMe", err)
	if me.Msg.User.Username != username {
		t.Fatalf("GetMe = %s, want %s", me.Msg.User.Username, username)
	}
	return me.Msg.User.Id
}
