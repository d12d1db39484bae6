package e2e

import (
	"fmt"
	"slices"
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
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
	s := startServer(t, dir, "--public-url", publicURL)
	ctx := apptest.Context(t)
	tok := registerAdmin(t, s, "root")
	lr := apptest.Login(t, anon(s), "root", "correct horse battery")
	c := as(s, tok)
	art, err := c.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Persistent Échos"}}))
	apptest.MustOK(t, "CreateArtist", err)
	trk, err := c.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "Still Here", ArtistIds: []string{art.Msg.Artist.Id}}}))
	apptest.MustOK(t, "CreateTrack", err)
	pl, err := c.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Keep", Public: true}}))
	apptest.MustOK(t, "CreatePlaylist", err)
	_, err = c.Playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: pl.Msg.Playlist.Id, TrackIds: []string{trk.Msg.Track.Id, trk.Msg.Track.Id}}))
	apptest.MustOK(t, "AddTracks", err)
	s.stop()

	s2 := startServer(t, dir, "--public-url", publicURL)
	// The access token still verifies: the signing key lives in the data dir.
	c2 := as(s2, tok)
	me, err := c2.Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
	apptest.MustOK(t, "GetMe after restart", err)
	if me.Msg.User.Username != "root" {
		t.Fatalf("GetMe after restart = %q", me.Msg.User.Username)
	}
	_, err = anon(s2).Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: lr.Tokens.RefreshToken}))
	apptest.MustOK(t, "RefreshToken after restart", err)
	got, err := c2.Playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: pl.Msg.Playlist.Id}))
	apptest.MustOK(t, "GetPlaylist after restart", err)
	if len(got.Msg.Entries) != 2 || got.Msg.Entries[0].TrackId != trk.Msg.Track.Id {
		t.Fatalf("playlist after restart has %d entries, want 2 of %s", len(got.Msg.Entries), trk.Msg.Track.Id)
	}
	err = apptest.Eventually(t, func() error {
		sr, err := c2.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "echos still"}))
		if err != nil {
			return err
		}
		if titles := apptest.SearchTitles(sr.Msg); !slices.Contains(titles, "track:Still Here") {
			return fmt.Errorf("Search(echos still) after restart = %v, want the track", titles)
		}
		return nil
	})
	apptest.MustOK(t, "Search after restart", err)
}
