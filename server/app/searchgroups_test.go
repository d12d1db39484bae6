package app_test

import (
	"slices"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// TestSearchGroups: over the wire, Search answers an exact artist as the top
// result, a group per type in order, and public playlists only: another
// user's private playlist is never found, nor the caller's own, and one
// made public, then private again, follows.
func TestSearchGroups(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	ctx := apptest.Context(t)
	rootTok, _ := s.RegisterAdmin(t, "root")
	root := s.As(rootTok)
	ownerTok, _ := s.Register(t, "owner")
	owner := s.As(ownerTok)
	otherTok, _ := s.Register(t, "other")
	other := s.As(otherTok)

	river, err := root.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "River River"}}))
	apptest.MustOK(t, "CreateArtist", err)
	band, err := root.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Other Band"}}))
	apptest.MustOK(t, "CreateArtist", err)
	for _, title := range []string{"River", "River Song", "Cry Me A River"} {
		_, err := root.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: title, ArtistIds: []string{band.Msg.Artist.Id}}}))
		apptest.MustOK(t, "CreateTrack", err)
	}
	public, err := owner.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "River Walks", Public: true}}))
	apptest.MustOK(t, "CreatePlaylist", err)
	private, err := owner.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "River Secrets"}}))
	apptest.MustOK(t, "CreatePlaylist", err)

	search := func(c apptest.API, types ...catalogv1.ItemType) *catalogv1.SearchResponse {
		t.Helper()
		res, err := c.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "river", Types: types}))
		apptest.MustOK(t, "Search", err)
		return res.Msg
	}
	res := search(other)
	if got := res.GetTopResult().GetArtist().GetId(); got != river.Msg.Artist.Id {
		t.Fatalf("top result %v, want the artist River River", res.GetTopResult())
	}
	var types []catalogv1.ItemType
	for _, g := range res.Groups {
		types = append(types, g.Type)
	}
	want := []catalogv1.ItemType{catalogv1.ItemType_ITEM_TYPE_ARTIST, catalogv1.ItemType_ITEM_TYPE_ALBUM, catalogv1.ItemType_ITEM_TYPE_TRACK, catalogv1.ItemType_ITEM_TYPE_PLAYLIST}
	if !slices.Equal(types, want) || len(res.Groups[2].Results) != 3 {
		t.Fatalf("groups %v", res.Groups)
	}

	playlists := func(c apptest.API) []string {
		t.Helper()
		return apptest.ResultIDs(search(c, catalogv1.ItemType_ITEM_TYPE_PLAYLIST).Groups[0].Results)
	}
	for name, c := range map[string]apptest.API{"other": other, "owner": owner, "admin": root} {
		if got := playlists(c); !slices.Equal(got, []string{public.Msg.Playlist.Id}) {
			t.Fatalf("%s: playlists %q, want only the public one", name, got)
		}
	}
	setPublic := func(id string, v bool) {
		t.Helper()
		_, err := owner.Playlists.UpdatePlaylist(ctx, connect.NewRequest(&playlistv1.UpdatePlaylistRequest{
			Playlist: &playlistv1.Playlist{Id: id, Public: v}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"public"}}}))
		apptest.MustOK(t, "UpdatePlaylist", err)
	}
	setPublic(private.Msg.Playlist.Id, true)
	if got := playlists(other); len(got) != 2 {
		t.Fatalf("after making it public: %q, want both", got)
	}
	setPublic(private.Msg.Playlist.Id, false)
	setPublic(public.Msg.Playlist.Id, false)
	if got := playlists(other); len(got) != 0 {
		t.Fatalf("after making both private: %q, want none", got)
	}
}
