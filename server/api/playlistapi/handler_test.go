package playlistapi

import (
	"context"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	"github.com/backbeat/backbeat/server/api/internal/apitest"
	"github.com/backbeat/backbeat/server/domain"
)

const (
	playlistID = "01hpzzzzzzzzzzzzzzzzzzzzzz"
	trackID    = "01htzzzzzzzzzzzzzzzzzzzzzz"
	entryA     = "01heazzzzzzzzzzzzzzzzzzzzz"
	entryB     = "01hebzzzzzzzzzzzzzzzzzzzzz"
)

func TestRefusesBadRequestsBeforeTheStore(t *testing.T) {
	h := New(domain.NewPlaylists(domain.Stores{}, nil), apitest.As(apitest.Caller()))
	ctx := context.Background()
	tests := []struct {
		name  string
		call  func() error
		code  connect.Code
		field string
	}{
		{"create without playlist", func() error {
			_, err := h.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{}))
			return err
		}, connect.CodeInvalidArgument, "playlist"},
		{"create without name", func() error {
			_, err := h.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{}}))
			return err
		}, connect.CodeInvalidArgument, "playlist.name"},
		{"create long description", func() error {
			_, err := h.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Mix", Description: strings.Repeat("d", 2001)}}))
			return err
		}, connect.CodeInvalidArgument, "playlist.description"},
		{"get page over 500", func() error {
			_, err := h.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: playlistID, PageSize: 501}))
			return err
		}, connect.CodeInvalidArgument, "page_size"},
		{"get bad id", func() error {
			_, err := h.GetPlaylist(ctx, connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: "p1"}))
			return err
		}, connect.CodeInvalidArgument, "playlist_id"},
		{"list bad user id", func() error {
			_, err := h.ListPlaylists(ctx, connect.NewRequest(&playlistv1.ListPlaylistsRequest{UserId: "bob"}))
			return err
		}, connect.CodeInvalidArgument, "user_id"},
		{"update without id", func() error {
			_, err := h.UpdatePlaylist(ctx, connect.NewRequest(&playlistv1.UpdatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "x"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}}))
			return err
		}, connect.CodeInvalidArgument, "playlist.id"},
		{"update owner is not writable", func() error {
			_, err := h.UpdatePlaylist(ctx, connect.NewRequest(&playlistv1.UpdatePlaylistRequest{Playlist: &playlistv1.Playlist{Id: playlistID}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"owner_id"}}}))
			return err
		}, connect.CodeInvalidArgument, "update_mask"},
		{"update blank name", func() error {
			_, err := h.UpdatePlaylist(ctx, connect.NewRequest(&playlistv1.UpdatePlaylistRequest{Playlist: &playlistv1.Playlist{Id: playlistID, Name: "\t"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"public", "name"}}}))
			return err
		}, connect.CodeInvalidArgument, "playlist.name"},
		{"add no tracks", func() error {
			_, err := h.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: playlistID}))
			return err
		}, connect.CodeInvalidArgument, "track_ids"},
		{"add 101 tracks", func() error {
			ids := make([]string, 101)
			for i := range ids {
				ids[i] = trackID
			}
			_, err := h.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: playlistID, TrackIds: ids}))
			return err
		}, connect.CodeInvalidArgument, "track_ids"},
		{"add bad track id", func() error {
			_, err := h.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: playlistID, TrackIds: []string{trackID, "t2"}}))
			return err
		}, connect.CodeInvalidArgument, "track_ids[1]"},
		{"add at negative position", func() error {
			_, err := h.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: playlistID, TrackIds: []string{trackID}, Position: proto.Int32(-1)}))
			return err
		}, connect.CodeInvalidArgument, "position"},
		{"remove repeated entry", func() error {
			_, err := h.RemoveTracks(ctx, connect.NewRequest(&playlistv1.RemoveTracksRequest{PlaylistId: playlistID, EntryIds: []string{entryA, entryA}}))
			return err
		}, connect.CodeInvalidArgument, "entry_ids[1]"},
		{"remove none", func() error {
			_, err := h.RemoveTracks(ctx, connect.NewRequest(&playlistv1.RemoveTracksRequest{PlaylistId: playlistID}))
			return err
		}, connect.CodeInvalidArgument, "entry_ids"},
		{"move bad before", func() error {
			_, err := h.MoveTracks(ctx, connect.NewRequest(&playlistv1.MoveTracksRequest{PlaylistId: playlistID, EntryIds: []string{entryA}, BeforeEntryId: "e"}))
			return err
		}, connect.CodeInvalidArgument, "before_entry_id"},
		{"move before a moved entry", func() error {
			_, err := h.MoveTracks(ctx, connect.NewRequest(&playlistv1.MoveTracksRequest{PlaylistId: playlistID, EntryIds: []string{entryA, entryB}, BeforeEntryId: entryB}))
			return err
		}, connect.CodeInvalidArgument, "before_entry_id"},
		{"follow missing id", func() error {
			_, err := h.FollowPlaylist(ctx, connect.NewRequest(&playlistv1.FollowPlaylistRequest{}))
			return err
		}, connect.CodeInvalidArgument, "playlist_id"},
		{"add collaborator missing user", func() error {
			_, err := h.AddCollaborator(ctx, connect.NewRequest(&playlistv1.AddCollaboratorRequest{PlaylistId: playlistID}))
			return err
		}, connect.CodeInvalidArgument, "user_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apitest.WantError(t, apitest.NoStore(t, tt.call), tt.code, tt.field)
		})
	}
}

func TestNeedsACaller(t *testing.T) {
	h := New(domain.NewPlaylists(domain.Stores{}, nil), apitest.Anonymous)
	err := apitest.NoStore(t, func() error {
		_, err := h.CreatePlaylist(context.Background(), connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "Mix"}}))
		return err
	})
	apitest.WantError(t, err, connect.CodeUnauthenticated, "")
}

// fakes implement what AddTracks reaches.
type fakePlaylists struct {
	domain.PlaylistStore
	position int
	added    []*domain.PlaylistEntry
}

func (f *fakePlaylists) GetPlaylist(_ context.Context, id string) (*domain.Playlist, error) {
	return &domain.Playlist{ID: id, OwnerID: apitest.CallerID, Name: "Mix", TrackCount: len(f.added)}, nil
}

func (f *fakePlaylists) AddEntries(_ context.Context, _ string, es []*domain.PlaylistEntry, position int) error {
	f.position, f.added = position, append(f.added, es...)
	return nil
}

type fakeCatalog struct{ domain.CatalogStore }

func (fakeCatalog) BatchGetTracks(_ context.Context, ids []string) ([]*domain.Track, error) {
	out := make([]*domain.Track, len(ids))
	for i, id := range ids {
		out[i] = &domain.Track{ID: id}
	}
	return out, nil
}

func TestAddTracksPosition(t *testing.T) {
	tests := []struct {
		name     string
		position *int32
		want     int
	}{
		{"unset appends", nil, appendPosition},
		{"zero inserts first", proto.Int32(0), 0},
		{"past the end is passed on", proto.Int32(5000), 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakePlaylists{position: -99}
			h := New(domain.NewPlaylists(domain.Stores{Playlists: store, Catalog: fakeCatalog{}}, nil), apitest.As(apitest.Caller()))
			resp, err := h.AddTracks(context.Background(), connect.NewRequest(&playlistv1.AddTracksRequest{
				PlaylistId: playlistID, TrackIds: []string{trackID, trackID}, Position: tt.position}))
			if err != nil {
				t.Fatal(err)
			}
			if store.position != tt.want {
				t.Fatalf("position %d, want %d", store.position, tt.want)
			}
			es := resp.Msg.GetEntries()
			if len(es) != 2 || es[0].GetEntryId() == es[1].GetEntryId() || es[0].GetTrackId() != trackID ||
				es[0].GetAddedByUserId() != apitest.CallerID || es[0].GetAddTime() == nil {
				t.Fatalf("entries %v", es)
			}
			if resp.Msg.GetPlaylist().GetTrackCount() != 2 {
				t.Fatalf("playlist %v", resp.Msg.GetPlaylist())
			}
		})
	}
}
