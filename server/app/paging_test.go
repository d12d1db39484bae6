package app_test

import (
	"fmt"
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	libraryv1 "github.com/backbeat/backbeat/gen/go/backbeat/library/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// page fetches one page of a list: the ids on it and the next page's token.
type page func(size int32, token string) (ids []string, next string, err error)

// TestPaging walks every kind of list page by page and past its end: each
// item is seen once, the pages together hold what one big page holds, and
// re-reading the last page with its token ends the walk again.
func TestPaging(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	ctx := apptest.Context(t)
	tok, _ := s.RegisterAdmin(t, "root")
	c := s.As(tok)
	const n = 11 // not a multiple of the page size, so the last page is partial
	art, err := c.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Pager"}}))
	apptest.MustOK(t, "CreateArtist", err)
	pl, err := c.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Paged"}}))
	apptest.MustOK(t, "CreatePlaylist", err)
	for i := range n {
		_, err := c.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: fmt.Sprintf("Band %d", i)}}))
		apptest.MustOK(t, "CreateArtist", err)
		alb, err := c.Catalog.CreateAlbum(ctx, connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: fmt.Sprintf("Album %d", i), ArtistIds: []string{art.Msg.Artist.Id}}}))
		apptest.MustOK(t, "CreateAlbum", err)
		trk, err := c.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: fmt.Sprintf("Pager song %d", i), ArtistIds: []string{art.Msg.Artist.Id}, AlbumId: alb.Msg.Album.Id}}))
		apptest.MustOK(t, "CreateTrack", err)
		_, err = c.Playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: pl.Msg.Playlist.Id, TrackIds: []string{trk.Msg.Track.Id}}))
		apptest.MustOK(t, "AddTracks", err)
		_, err = c.Library.SaveTracks(ctx, connect.NewRequest(&libraryv1.SaveTracksRequest{TrackIds: []string{trk.Msg.Track.Id}}))
		apptest.MustOK(t, "SaveTracks", err)
		_, err = c.Library.SaveAlbums(ctx, connect.NewRequest(&libraryv1.SaveAlbumsRequest{AlbumIds: []string{alb.Msg.Album.Id}}))
		apptest.MustOK(t, "SaveAlbums", err)
		_, err = c.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: fmt.Sprintf("List %d", i)}}))
		apptest.MustOK(t, "CreatePlaylist", err)
		if i < 5 { // users cost a password hash each: fewer, smaller pages
			s.Register(t, fmt.Sprintf("user%d", i))
		}
	}

	lists := []struct {
		name string
		page page
		size int32
	}{
		{"ListSavedTracks", func(size int32, token string) ([]string, string, error) {
			res, err := c.Library.ListSavedTracks(ctx, connect.NewRequest(&libraryv1.ListSavedTracksRequest{PageSize: size, PageToken: token}))
			if err != nil {
				return nil, "", err
			}
			var ids []string
			for _, x := range res.Msg.Items {
				ids = append(ids, x.Track.Id)
			}
			return ids, res.Msg.NextPageToken, nil
		}, 4},
		{"ListSavedAlbums", func(size int32, token string) ([]string, string, error) {
			res, err := c.Library.ListSavedAlbums(ctx, connect.NewRequest(&libraryv1.ListSavedAlbumsRequest{PageSize: size, PageToken: token}))
			if err != nil {
				return nil, "", err
			}
			var ids []string
			for _, x := range res.Msg.Items {
				ids = append(ids, x.Album.Id)
			}
			return ids, res.Msg.NextPageToken, nil
		}, 4},
		{"ListTracks", func(size int32, token string) ([]string, string, error) {
			res, err := c.Catalog.ListTracks(ctx, connect.NewRequest(&catalogv1.ListTracksRequest{PageSize: size, PageToken: token}))
			if err != nil {
				return nil, "", err
			}
			var ids []string
			for _, x := range res.Msg.Tracks {
				ids = append(ids, x.Id)
			}
			return ids, res.Msg.NextPageToken, nil
		}, 4},
		{"ListArtists", func(size int32, token string) ([]string, string, error) {
			res, err := c.Catalog.ListArtists(ctx, connect.NewRequest(&catalogv1.ListArtistsRequest{PageSize: size, PageToken: token}))
			if err != nil {
				return nil, "", err
			}
			var ids []string
			for _, x := range res.Msg.Artists {
				ids = append(ids, x.Id)
			}
			return ids, res.Msg.NextPageToken, nil
		}, 4},
		{"ListAlbumsByArtist", func(size int32, token string) ([]string, string, error) {
			res, err := c.Catalog.ListAlbumsByArtist(ctx, connect.NewRequest(&catalogv1.ListAlbumsByArtistRequest{ArtistId: art.Msg.Artist.Id, PageSize: size, PageToken: token}))
			if err != nil {
				return nil, "", err
			}
			var ids []string
			for _, x := range res.Msg.Albums {
				ids = append(ids, x.Id)
			}
			return ids, res.Msg.NextPageToken, nil
		}, 4},
		{"Search", func(size int32, token string) ([]string, string, error) {
			// The deprecated mixed list, which clients written before the
			// groups page.
			res, err := c.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "pager", PageSize: size, PageToken: token}))
			if err != nil {
				return nil, "", err
			}
			//lint:ignore SA1019 the old clients' paging must keep working.
			return apptest.ResultIDs(res.Msg.Results), res.Msg.NextPageToken, nil
		}, 4},
		{"Search tracks group", func(size int32, token string) ([]string, string, error) {
			res, err := c.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "pager", PageSize: size, PageToken: token,
				Types: []catalogv1.ItemType{catalogv1.ItemType_ITEM_TYPE_TRACK}}))
			if err != nil {
				return nil, "", err
			}
			if len(res.Msg.Groups) != 1 || res.Msg.Groups[0].Type != catalogv1.ItemType_ITEM_TYPE_TRACK {
				return nil, "", fmt.Errorf("groups %v, want the tracks' alone", res.Msg.Groups)
			}
			return apptest.ResultIDs(res.Msg.Groups[0].Results), res.Msg.Groups[0].NextPageToken, nil
		}, 4},
		{"ListPlaylists", func(size int32, token string) ([]string, string, error) {
			res, err := c.Playlists.ListPlaylists(ctx, connect.NewRequest(&playlistv1.ListPlaylistsRequest{PageSize: size, PageToken: token}))
			if err != nil {
				return nil, "", err
			}
			var ids []string
			for _, x := range res.Msg.Playlists {
				ids = append(ids, x.Id)
			}
			return ids, res.Msg.NextPageToken, nil
		}, 4},
		{"GetPlaylist entries", func(size int32, token string) ([]string, string, error) {
			res, err := c.Playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: pl.Msg.Playlist.Id, PageSize: size, PageToken: token}))
			if err != nil {
				return nil, "", err
			}
			var ids []string
			for _, x := range res.Msg.Entries {
				ids = append(ids, x.EntryId)
			}
			return ids, res.Msg.NextPageToken, nil
		}, 4},
		{"ListUsers", func(size int32, token string) ([]string, string, error) {
			res, err := c.Users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{PageSize: size, PageToken: token}))
			if err != nil {
				return nil, "", err
			}
			var ids []string
			for _, x := range res.Msg.Users {
				ids = append(ids, x.Id)
			}
			return ids, res.Msg.NextPageToken, nil
		}, 2},
	}
	for _, l := range lists {
		min := n
		if l.name == "ListUsers" {
			min = 6
		}
		t.Run(l.name, func(t *testing.T) { walk(t, l.page, min, l.size) })
	}
}

// walk pages through a list of at least min items by size (50 is the
// smallest largest page size of the lists).
func walk(t *testing.T, fetch page, min int, size int32) {
	all, next, err := fetch(50, "")
	apptest.MustOK(t, "one big page", err)
	if next != "" {
		t.Fatalf("%d items fit one page of 50, got a next token", len(all))
	}
	if len(all) < min {
		t.Fatalf("one big page holds %d items, want at least %d", len(all), min)
	}
	seen := map[string]bool{}
	token, pages := "", 0
	for {
		ids, next, err := fetch(size, token)
		apptest.MustOK(t, "page", err)
		pages++
		if len(ids) > int(size) {
			t.Fatalf("page %d holds %d items, asked for %d", pages, len(ids), size)
		}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("item %s on two pages", id)
			}
			seen[id] = true
		}
		if next == "" {
			break
		}
		if pages > len(all) {
			t.Fatalf("still paging after %d pages of %d over %d items", pages, size, len(all))
		}
		token = next
	}
	if len(seen) != len(all) {
		t.Fatalf("paging saw %d items, one big page %d", len(seen), len(all))
	}
	for _, id := range all {
		if !seen[id] {
			t.Fatalf("item %s of the big page never came up while paging", id)
		}
	}
	_, next, err = fetch(size, token)
	apptest.MustOK(t, "last page again", err)
	if next != "" {
		t.Fatalf("re-reading the last page gave a next token")
	}
}
