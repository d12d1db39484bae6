package e2e

import (
	"context"
	"strings"
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/domain"
)

// TestBadInput sends requests a careless or hostile client would, and checks
// each gets the right code, a message naming the field, and writes nothing.
func TestBadInput(t *testing.T) {
	s := startServer(t, t.TempDir(), "--admins", "root")
	ctx := ctxT(t)
	rootTok, _ := register(t, s, "root")
	root := as(s, rootTok)
	art, err := root.catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Root Band"}}))
	mustOK(t, "CreateArtist", err)
	trk, err := root.catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "Root Song", ArtistIds: []string{art.Msg.Artist.Id}}}))
	mustOK(t, "CreateTrack", err)
	pl, err := root.playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Mine"}}))
	mustOK(t, "CreatePlaylist", err)
	pid, tid := pl.Msg.Playlist.Id, trk.Msg.Track.Id
	unknown := domain.NewID()

	type call func(ctx context.Context) error
	cases := []struct {
		name  string
		call  call
		code  connect.Code
		field string // the message must name it
	}{
		{"register short username", func(ctx context.Context) error {
			_, err := anon(s).users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{Username: "ab", Email: "ab@example.com", Password: "long enough pw"}))
			return err
		}, connect.CodeInvalidArgument, "username"},
		{"register bad email", func(ctx context.Context) error {
			_, err := anon(s).users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{Username: "newbie", Email: "not-an-email", Password: "long enough pw"}))
			return err
		}, connect.CodeInvalidArgument, "email"},
		{"register short password", func(ctx context.Context) error {
			_, err := anon(s).users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{Username: "newbie", Email: "n@example.com", Password: "short"}))
			return err
		}, connect.CodeInvalidArgument, "password"},
		{"register taken username", func(ctx context.Context) error {
			_, err := anon(s).users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{Username: "ROOT", Email: "other@example.com", Password: "long enough pw"}))
			return err
		}, connect.CodeAlreadyExists, "username"},
		{"register taken email", func(ctx context.Context) error {
			_, err := anon(s).users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{Username: "other", Email: "Root@Example.com", Password: "long enough pw"}))
			return err
		}, connect.CodeAlreadyExists, "email"},
		{"get track bad id", func(ctx context.Context) error {
			_, err := root.catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: "../../etc/passwd"}))
			return err
		}, connect.CodeInvalidArgument, "track_id"},
		{"get track unknown id", func(ctx context.Context) error {
			_, err := root.catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: unknown}))
			return err
		}, connect.CodeNotFound, ""},
		{"create artist without name", func(ctx context.Context) error {
			_, err := root.catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "  "}}))
			return err
		}, connect.CodeInvalidArgument, "artist.name"},
		{"create artist missing message", func(ctx context.Context) error {
			_, err := root.catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{}))
			return err
		}, connect.CodeInvalidArgument, "artist"},
		{"create track bad isrc", func(ctx context.Context) error {
			_, err := root.catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "X", ArtistIds: []string{art.Msg.Artist.Id}, Isrc: "nope"}}))
			return err
		}, connect.CodeInvalidArgument, "track.isrc"},
		{"create track bad release date", func(ctx context.Context) error {
			_, err := root.catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "X", ArtistIds: []string{art.Msg.Artist.Id}, ReleaseDate: "2023-02-30"}}))
			return err
		}, connect.CodeInvalidArgument, "track.release_date"},
		{"create track unknown artist", func(ctx context.Context) error {
			_, err := root.catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "X", ArtistIds: []string{unknown}}}))
			return err
		}, connect.CodeNotFound, ""},
		{"create track no artists", func(ctx context.Context) error {
			_, err := root.catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "X"}}))
			return err
		}, connect.CodeInvalidArgument, "track.artist_ids"},
		{"update with unknown mask path", func(ctx context.Context) error {
			_, err := root.catalog.UpdateTrack(ctx, connect.NewRequest(&catalogv1.UpdateTrackRequest{Track: &catalogv1.Track{Id: tid, Title: "Y"}, UpdateMask: mask("play_count")}))
			return err
		}, connect.CodeInvalidArgument, "update_mask"},
		{"update with empty mask", func(ctx context.Context) error {
			_, err := root.catalog.UpdateTrack(ctx, connect.NewRequest(&catalogv1.UpdateTrackRequest{Track: &catalogv1.Track{Id: tid, Title: "Y"}}))
			return err
		}, connect.CodeInvalidArgument, "update_mask"},
		{"page size too big", func(ctx context.Context) error {
			_, err := root.catalog.ListTracks(ctx, connect.NewRequest(&catalogv1.ListTracksRequest{PageSize: 100000}))
			return err
		}, connect.CodeInvalidArgument, "page_size"},
		{"negative page size", func(ctx context.Context) error {
			_, err := root.catalog.ListTracks(ctx, connect.NewRequest(&catalogv1.ListTracksRequest{PageSize: -1}))
			return err
		}, connect.CodeInvalidArgument, "page_size"},
		{"garbage page token", func(ctx context.Context) error {
			_, err := root.catalog.ListTracks(ctx, connect.NewRequest(&catalogv1.ListTracksRequest{PageToken: "%%%garbage"}))
			return err
		}, connect.CodeInvalidArgument, "page_token"},
		{"empty search", func(ctx context.Context) error {
			_, err := root.catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "   "}))
			return err
		}, connect.CodeInvalidArgument, "query"},
		{"search too long", func(ctx context.Context) error {
			_, err := root.catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: strings.Repeat("a", 201)}))
			return err
		}, connect.CodeInvalidArgument, "query"},
		{"search unknown type", func(ctx context.Context) error {
			_, err := root.catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "a", Types: []catalogv1.ItemType{99}}))
			return err
		}, connect.CodeInvalidArgument, "types"},
		{"batch get too many", func(ctx context.Context) error {
			ids := make([]string, 101)
			for i := range ids {
				ids[i] = domain.NewID()
			}
			_, err := root.catalog.BatchGetTracks(ctx, connect.NewRequest(&catalogv1.BatchGetTracksRequest{TrackIds: ids}))
			return err
		}, connect.CodeInvalidArgument, "track_ids"},
		{"playlist name too long", func(ctx context.Context) error {
			_, err := root.playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: strings.Repeat("n", 201)}}))
			return err
		}, connect.CodeInvalidArgument, "playlist.name"},
		{"add no tracks", func(ctx context.Context) error {
			_, err := root.playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: pid}))
			return err
		}, connect.CodeInvalidArgument, "track_ids"},
		{"add unknown track", func(ctx context.Context) error {
			_, err := root.playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: pid, TrackIds: []string{tid, unknown}}))
			return err
		}, connect.CodeNotFound, ""},
		{"add at negative position", func(ctx context.Context) error {
			pos := int32(-2)
			_, err := root.playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: pid, TrackIds: []string{tid}, Position: &pos}))
			return err
		}, connect.CodeInvalidArgument, "position"},
		{"remove unknown entry", func(ctx context.Context) error {
			_, err := root.playlists.RemoveTracks(ctx, connect.NewRequest(&playlistv1.RemoveTracksRequest{PlaylistId: pid, EntryIds: []string{unknown}}))
			return err
		}, connect.CodeNotFound, ""},
		{"set unknown role", func(ctx context.Context) error {
			_, err := root.users.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: unknown, Roles: []userv1.Role{42}}))
			return err
		}, connect.CodeInvalidArgument, "roles"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(ctxT(t))
			wantCode(t, err, tc.code)
			if tc.field != "" {
				if msg := connect.CodeOf(err).String() + ": " + err.Error(); !strings.Contains(msg, tc.field) {
					t.Fatalf("error %q does not name field %q", msg, tc.field)
				}
			}
		})
	}

	// Nothing a refused request carried was written.
	got, err := root.playlists.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: pid}))
	mustOK(t, "GetPlaylist", err)
	if len(got.Msg.Entries) != 0 || got.Msg.Playlist.TrackCount != 0 {
		t.Fatalf("playlist has %d entries after refused adds, want 0", len(got.Msg.Entries))
	}
	tr, err := root.catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: tid}))
	mustOK(t, "GetTrack", err)
	if tr.Msg.Track.Title != "Root Song" {
		t.Fatalf("track title %q after refused updates, want Root Song", tr.Msg.Track.Title)
	}
	list, err := root.catalog.ListTracks(ctx, connect.NewRequest(&catalogv1.ListTracksRequest{}))
	mustOK(t, "ListTracks", err)
	if len(list.Msg.Tracks) != 1 {
		t.Fatalf("%d tracks after refused creates, want 1", len(list.Msg.Tracks))
	}
	users, err := root.users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{}))
	mustOK(t, "ListUsers", err)
	if len(users.Msg.Users) != 1 {
		t.Fatalf("%d users after refused registrations, want 1", len(users.Msg.Users))
	}
}

// TestPaging walks a list page by page and past its end.
func TestPaging(t *testing.T) {
	s := startServer(t, t.TempDir(), "--demo")
	c := as(s, login(t, s, "demo", "backbeat-demo").Tokens.AccessToken)
	ctx := ctxT(t)
	all, err := c.catalog.ListTracks(ctx, connect.NewRequest(&catalogv1.ListTracksRequest{PageSize: 500}))
	mustOK(t, "ListTracks", err)
	if all.Msg.NextPageToken != "" {
		t.Fatalf("the demo catalog fits one page of 500, got a next token")
	}
	seen := map[string]bool{}
	token, pages := "", 0
	for {
		res, err := c.catalog.ListTracks(ctx, connect.NewRequest(&catalogv1.ListTracksRequest{PageSize: 4, PageToken: token}))
		mustOK(t, "ListTracks page", err)
		pages++
		for _, tr := range res.Msg.Tracks {
			if seen[tr.Id] {
				t.Fatalf("track %s on two pages", tr.Id)
			}
			seen[tr.Id] = true
		}
		if res.Msg.NextPageToken == "" {
			break
		}
		token = res.Msg.NextPageToken
	}
	if len(seen) != len(all.Msg.Tracks) {
		t.Fatalf("paging saw %d tracks, one page of 500 saw %d", len(seen), len(all.Msg.Tracks))
	}
	// Re-reading the last page with its token ends the walk again.
	res, err := c.catalog.ListTracks(ctx, connect.NewRequest(&catalogv1.ListTracksRequest{PageSize: 4, PageToken: token}))
	mustOK(t, "ListTracks last page again", err)
	if res.Msg.NextPageToken != "" {
		t.Fatalf("re-reading the last page gave a next token")
	}
	t.Logf("%d tracks in %d pages of 4", len(seen), pages)
}
