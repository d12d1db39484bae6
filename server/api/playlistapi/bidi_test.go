package playlistapi

import (
	"context"
	"testing"

	"connectrpc.com/connect"

	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	"github.com/backbeat/backbeat/server/api/internal/apitest"
	"github.com/backbeat/backbeat/server/domain"
)

// TestRefusesBidiControlsInNames: a playlist's name or description with a
// direction control is invalid_argument naming the field.
func TestRefusesBidiControlsInNames(t *testing.T) {
	h := New(domain.NewPlaylists(domain.Stores{}, nil), apitest.As(apitest.Caller()))
	ctx := context.Background()
	for field, pl := range map[string]*playlistv1.Playlist{
		"playlist.name":        {Name: "Road \u202Etrip"},
		"playlist.description": {Name: "Road trip", Description: "songs\n\u2066for the car\u2069"},
	} {
		t.Run(field, func(t *testing.T) {
			err := apitest.NoStore(t, func() error {
				_, err := h.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: pl}))
				return err
			})
			apitest.WantError(t, err, connect.CodeInvalidArgument, field)
		})
	}
}
