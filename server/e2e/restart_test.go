package e2e

import (
	"slices"
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
)

// TestPersistenceAcrossRestart stops the server with SIGTERM and starts a new
// one on the same data directory: accounts, tokens, the catalog, playlists
// and search all survive.
func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	// A deployment keeps its public URL (the issuer of its tokens) across
	// restarts, while the port a replica listens on may change. Reusing
	// the first server's port instead could fail: once it is free, any
	// process's outgoing connection may take it.
	const publicURL = "http://music.backbeat.test"
	s := startServer(t, dir, "--admins", "root", "--public-url", publicURL)
	ctx := ctxT(t)
	tok, _ := register(t, s, "root")
	lr := login(t, s, "root", "correct horse battery")
	c := as(s, tok)
	art, err := c.catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Persistent Échos"}}))
	mustOK(t, "CreateArtist", err)
	trk, err := c.catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "Still Here", ArtistIds: []string{art.Msg.Artist.Id}}}))
	mustOK(t, "CreateTrack", err)
	pl, err := c.playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Keep", Public: true}}))
	mustOK(t, "CreatePlaylist", err)
	_, err = c.playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: pl.Msg.Playlist.Id, TrackIds: []string{trk.Msg.Track.Id, trk.Msg.Track.Id}}))
	mustOK(t, "AddTracks", err)
	s.stop()

	s2 := startServer(t, dir, "--public-url", publicURL)
	// The access token still verifies: the signing key lives in the data dir.
	c2 := as(s2, tok)
	me, err := c2.users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
	mustOK(t, "GetMe after restart", err)
	if me.Msg.User.Username != "root" {
		t.Fatalf("GetMe after restart = %q", me.Msg.User.Username)
	}
	_, err = anon(s2).users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: lr.Tokens.RefreshToken}))
	mustOK(t, "RefreshToken after restart", err)
	got, err := c2.playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: pl.Msg.Playlist.Id}))
	mustOK(t, "GetPlaylist after restart", err)
	if len(got.Msg.Entries) != 2 || got.Msg.Entries[0].TrackId != trk.Msg.Track.Id {
		t.Fatalf("playlist after restart has %d entries, want 2 of %s", len(got.Msg.Entries), trk.Msg.Track.Id)
	}
	sr, err := c2.catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "echos still"}))
	mustOK(t, "Search after restart", err)
	if titles := searchTitles(sr.Msg); !slices.Contains(titles, "track:Still Here") {
		t.Fatalf("Search(echos still) after restart = %v, want the track", titles)
	}
}
