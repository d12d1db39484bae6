package app_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// cachedTrack makes a track as an admin and returns the admin's API, token
// and the track's id.
func cachedTrack(t *testing.T, s *apptest.Server) (apptest.API, string, string) {
	t.Helper()
	ctx := apptest.Context(t)
	tok, _ := s.RegisterAdmin(t, "root")
	root := s.As(tok)
	art, err := root.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Band"}}))
	apptest.MustOK(t, "CreateArtist", err)
	trk, err := root.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "Old", ArtistIds: []string{art.Msg.Artist.Id}}}))
	apptest.MustOK(t, "CreateTrack", err)
	return root, tok, trk.Msg.Track.Id
}

// TestCacheReadsOwnWrites: with the metadata cache on (the default), a read
// after a write on the same replica sees the write at once, for the track
// and for a playlist's entries, while repeated reads are served by the cache.
func TestCacheReadsOwnWrites(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	ctx := apptest.Context(t)
	root, _, trackID := cachedTrack(t, s)
	getTitle := func() string {
		res, err := root.Catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: trackID}))
		apptest.MustOK(t, "GetTrack", err)
		return res.Msg.Track.Title
	}
	getTitle()
	before, _ := s.CacheStats()
	getTitle()
	if after, ok := s.CacheStats(); !ok || after.Hits <= before.Hits {
		t.Fatalf("the second GetTrack was no cache hit (stats %+v then %+v): the test shows nothing", before, after)
	}
	_, err := root.Catalog.UpdateTrack(ctx, connect.NewRequest(&catalogv1.UpdateTrackRequest{
		Track: &catalogv1.Track{Id: trackID, Title: "New"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}}))
	apptest.MustOK(t, "UpdateTrack", err)
	if got := getTitle(); got != "New" {
		t.Errorf("GetTrack right after UpdateTrack: title %q, want New", got)
	}

	pl, err := root.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Mix"}}))
	apptest.MustOK(t, "CreatePlaylist", err)
	id := pl.Msg.Playlist.Id
	for want := range 3 {
		got, err := root.Playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: id}))
		apptest.MustOK(t, "GetPlaylist", err)
		if len(got.Msg.Entries) != want || got.Msg.Playlist.TrackCount != int32(want) {
			t.Fatalf("GetPlaylist after %d adds: %d entries, track_count %d", want, len(got.Msg.Entries), got.Msg.Playlist.TrackCount)
		}
		_, err = root.Playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: id, TrackIds: []string{trackID}}))
		apptest.MustOK(t, "AddTracks", err)
	}
}

// TestCachedPrivatePlaylistRefused: a private playlist its owner has just
// read (so it is cached) is still refused to another user.
func TestCachedPrivatePlaylistRefused(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	ctx := apptest.Context(t)
	ownerTok, _ := s.Register(t, "owner")
	otherTok, _ := s.Register(t, "other")
	owner, other := s.As(ownerTok), s.As(otherTok)
	pl, err := owner.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Secret"}}))
	apptest.MustOK(t, "CreatePlaylist", err)
	get := &playlistv1.GetPlaylistRequest{PlaylistId: pl.Msg.Playlist.Id}
	for range 2 {
		_, err := owner.Playlists.GetPlaylist(ctx, connect.NewRequest(get))
		apptest.MustOK(t, "owner's GetPlaylist", err)
	}
	if st, _ := s.CacheStats(); st.Hits == 0 {
		t.Fatalf("the owner's second read was no cache hit (stats %+v): the test shows nothing", st)
	}
	for _, c := range []apptest.API{other, s.Anon()} {
		_, err := c.Playlists.GetPlaylist(ctx, connect.NewRequest(get))
		if err == nil {
			t.Fatalf("another caller read the private playlist the cache holds")
		}
		if code := connect.CodeOf(err); code != connect.CodeNotFound && code != connect.CodeUnauthenticated {
			t.Errorf("another caller's GetPlaylist: %v, want not_found (or unauthenticated without a token)", err)
		}
	}
}

// TestConnectGETRevalidates: a Connect GET answer carries an ETag and
// private, no-cache caching (it was asked with a token); the same request
// with If-None-Match gets 304 and no body, and after a change 200 with a new
// ETag. A refusal carries no ETag.
func TestConnectGETRevalidates(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root, tok, trackID := cachedTrack(t, s)
	u := s.URL() + "/backbeat.catalog.v1.CatalogService/GetTrack?connect=v1&encoding=json&message=" +
		url.QueryEscape(`{"trackId":"`+trackID+`"}`)
	get := func(token, etag string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		res, err := apptest.HTTP1Client().Do(req)
		apptest.MustOK(t, "GET", err)
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}
	res, body := get(tok, "")
	etag := res.Header.Get("ETag")
	if res.StatusCode != http.StatusOK || etag == "" || !strings.Contains(body, `"Old"`) {
		t.Fatalf("GET: %d, ETag %q, body %s", res.StatusCode, etag, body)
	}
	if cc, vary := res.Header.Get("Cache-Control"), res.Header.Values("Vary"); cc != "private, no-cache" || !strings.Contains(strings.Join(vary, ","), "Authorization") {
		t.Errorf("GET with a token: Cache-Control %q, Vary %q; want private, no-cache and Vary: Authorization", cc, vary)
	}
	res, body = get(tok, etag)
	if res.StatusCode != http.StatusNotModified || body != "" || res.Header.Get("ETag") != etag {
		t.Errorf("GET with If-None-Match: %d, ETag %q, body %q; want 304, the same ETag and no body", res.StatusCode, res.Header.Get("ETag"), body)
	}
	_, err := root.Catalog.UpdateTrack(apptest.Context(t), connect.NewRequest(&catalogv1.UpdateTrackRequest{
		Track: &catalogv1.Track{Id: trackID, Title: "New"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}}))
	apptest.MustOK(t, "UpdateTrack", err)
	res, body = get(tok, etag)
	if res.StatusCode != http.StatusOK || res.Header.Get("ETag") == etag || !strings.Contains(body, `"New"`) {
		t.Errorf("GET with the old ETag after a change: %d, ETag %q, body %s; want 200, a new ETag and the new title", res.StatusCode, res.Header.Get("ETag"), body)
	}
	res, _ = get("", etag)
	if res.StatusCode != http.StatusUnauthorized || res.Header.Get("ETag") != "" {
		t.Errorf("GET without a token: %d, ETag %q; want 401 and no ETag", res.StatusCode, res.Header.Get("ETag"))
	}
}
