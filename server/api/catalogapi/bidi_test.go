package catalogapi

import (
	"context"
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/server/api/internal/apitest"
	"github.com/backbeat/backbeat/server/domain"
)

// rlo is RIGHT-TO-LEFT OVERRIDE, which shows "Song\u202Eexe.3pm" as
// "Songmp3.exe".
const rlo = "\u202E"

// TestRefusesBidiControlsInNames: every catalog name and text field with a
// direction override is invalid_argument naming the field, before any store.
func TestRefusesBidiControlsInNames(t *testing.T) {
	h := New(domain.NewCatalog(domain.Stores{}, nil, nil), domain.NewMedia(domain.Stores{}, nil, nil, nil, nil, 1<<20), apitest.As(apitest.Caller()))
	ctx := context.Background()
	for _, tc := range []struct {
		field string
		call  func() error
	}{
		{"artist.name", func() error {
			_, err := h.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "DJ " + rlo + "xim"}}))
			return err
		}},
		{"artist.bio", func() error {
			_, err := h.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "DJ", Bio: "from " + rlo + "nodnol"}}))
			return err
		}},
		{"album.title", func() error {
			_, err := h.CreateAlbum(ctx, connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: "Hits" + rlo, ArtistIds: []string{artistID}}}))
			return err
		}},
		{"track.title", func() error {
			tr := validTrack()
			tr.Title = "Song" + rlo + "exe.3pm"
			_, err := h.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: tr}))
			return err
		}},
		{"track.genres[0]", func() error {
			tr := validTrack()
			tr.Genres = []string{"\u2067pop"}
			_, err := h.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: tr}))
			return err
		}},
		{"track.title", func() error {
			_, err := h.UpdateTrack(ctx, connect.NewRequest(&catalogv1.UpdateTrackRequest{
				Track: &catalogv1.Track{Id: trackID, Title: "x\u200Fy"}, UpdateMask: mask("title"),
			}))
			return err
		}},
		{"query", func() error {
			_, err := h.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "daft" + rlo}))
			return err
		}},
	} {
		t.Run(tc.field, func(t *testing.T) {
			apitest.WantError(t, apitest.NoStore(t, tc.call), connect.CodeInvalidArgument, tc.field)
		})
	}
}
