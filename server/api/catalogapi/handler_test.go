package catalogapi

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/server/api/internal/apitest"
	"github.com/backbeat/backbeat/server/domain"
)

const (
	artistID = "01harzzzzzzzzzzzzzzzzzzzzz"
	albumID  = "01hamzzzzzzzzzzzzzzzzzzzzz"
	trackID  = "01htrzzzzzzzzzzzzzzzzzzzzz"
)

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

func validTrack() *catalogv1.Track {
	return &catalogv1.Track{Title: "One More Time", ArtistIds: []string{artistID}, DurationMs: 320_000}
}

func TestRefusesBadRequestsBeforeTheStore(t *testing.T) {
	h := New(domain.NewCatalog(domain.Stores{}, nil, nil), domain.NewMedia(domain.Stores{}, nil, nil, nil, nil, 1<<20), apitest.As(apitest.Caller()))
	ctx := context.Background()
	tests := []struct {
		name  string
		call  func() error
		code  connect.Code
		field string
	}{
		{"create artist without artist", func() error {
			_, err := h.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{}))
			return err
		}, connect.CodeInvalidArgument, "artist"},
		{"create artist blank name", func() error {
			_, err := h.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "  "}}))
			return err
		}, connect.CodeInvalidArgument, "artist.name"},
		{"create artist long bio", func() error {
			_, err := h.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "a", Bio: strings.Repeat("b", 5001)}}))
			return err
		}, connect.CodeInvalidArgument, "artist.bio"},
		{"create artist bad image url", func() error {
			_, err := h.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "a", ImageUrl: "ftp://x/y"}}))
			return err
		}, connect.CodeInvalidArgument, "artist.image_url"},
		{"create artist bad genre", func() error {
			_, err := h.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "a", Genres: []string{"house", ""}}}))
			return err
		}, connect.CodeInvalidArgument, "artist.genres[1]"},
		{"create artist too many owners", func() error {
			owners := make([]string, 11)
			for i := range owners {
				owners[i] = domain.NewID()
			}
			_, err := h.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "a", OwnerUserIds: owners}}))
			return err
		}, connect.CodeInvalidArgument, "artist.owner_user_ids"},
		{"update artist without id", func() error {
			_, err := h.UpdateArtist(ctx, connect.NewRequest(&catalogv1.UpdateArtistRequest{Artist: &catalogv1.Artist{Name: "a"}, UpdateMask: mask("name")}))
			return err
		}, connect.CodeInvalidArgument, "artist.id"},
		{"update artist without mask", func() error {
			_, err := h.UpdateArtist(ctx, connect.NewRequest(&catalogv1.UpdateArtistRequest{Artist: &catalogv1.Artist{Id: artistID}}))
			return err
		}, connect.CodeInvalidArgument, "update_mask"},
		{"update artist unknown path", func() error {
			_, err := h.UpdateArtist(ctx, connect.NewRequest(&catalogv1.UpdateArtistRequest{Artist: &catalogv1.Artist{Id: artistID}, UpdateMask: mask("create_time")}))
			return err
		}, connect.CodeInvalidArgument, "update_mask"},
		{"update artist validates only masked fields", func() error {
			// name is bad but not in the mask; bio is in the mask and bad.
			_, err := h.UpdateArtist(ctx, connect.NewRequest(&catalogv1.UpdateArtistRequest{
				Artist: &catalogv1.Artist{Id: artistID, Bio: "a\x00"}, UpdateMask: mask("bio")}))
			return err
		}, connect.CodeInvalidArgument, "artist.bio"},
		{"update artist to no owners", func() error {
			_, err := h.UpdateArtist(ctx, connect.NewRequest(&catalogv1.UpdateArtistRequest{Artist: &catalogv1.Artist{Id: artistID}, UpdateMask: mask("owner_user_ids")}))
			return err
		}, connect.CodeInvalidArgument, "artist.owner_user_ids"},
		{"get artist bad id", func() error {
			_, err := h.GetArtist(ctx, connect.NewRequest(&catalogv1.GetArtistRequest{ArtistId: "nope"}))
			return err
		}, connect.CodeInvalidArgument, "artist_id"},
		{"list artists page too big", func() error {
			_, err := h.ListArtists(ctx, connect.NewRequest(&catalogv1.ListArtistsRequest{PageSize: 501}))
			return err
		}, connect.CodeInvalidArgument, "page_size"},
		{"list artists negative page", func() error {
			_, err := h.ListArtists(ctx, connect.NewRequest(&catalogv1.ListArtistsRequest{PageSize: -1}))
			return err
		}, connect.CodeInvalidArgument, "page_size"},
		{"list artists huge token", func() error {
			_, err := h.ListArtists(ctx, connect.NewRequest(&catalogv1.ListArtistsRequest{PageToken: strings.Repeat("t", 1025)}))
			return err
		}, connect.CodeInvalidArgument, "page_token"},
		{"create album without artists", func() error {
			_, err := h.CreateAlbum(ctx, connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: "Discovery"}}))
			return err
		}, connect.CodeInvalidArgument, "album.artist_ids"},
		{"create album repeated artist", func() error {
			_, err := h.CreateAlbum(ctx, connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: "Discovery", ArtistIds: []string{artistID, artistID}}}))
			return err
		}, connect.CodeInvalidArgument, "album.artist_ids[1]"},
		{"create album unknown type", func() error {
			_, err := h.CreateAlbum(ctx, connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: "Discovery", ArtistIds: []string{artistID}, AlbumType: 42}}))
			return err
		}, connect.CodeInvalidArgument, "album.album_type"},
		{"create album bad date", func() error {
			_, err := h.CreateAlbum(ctx, connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: "Discovery", ArtistIds: []string{artistID}, ReleaseDate: "2001-02-30"}}))
			return err
		}, connect.CodeInvalidArgument, "album.release_date"},
		{"update album artist_ids emptied", func() error {
			_, err := h.UpdateAlbum(ctx, connect.NewRequest(&catalogv1.UpdateAlbumRequest{Album: &catalogv1.Album{Id: albumID}, UpdateMask: mask("artist_ids")}))
			return err
		}, connect.CodeInvalidArgument, "album.artist_ids"},
		{"list albums by artist missing id", func() error {
			_, err := h.ListAlbumsByArtist(ctx, connect.NewRequest(&catalogv1.ListAlbumsByArtistRequest{}))
			return err
		}, connect.CodeInvalidArgument, "artist_id"},
		{"create track without track", func() error {
			_, err := h.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{}))
			return err
		}, connect.CodeInvalidArgument, "track"},
		{"create track bad isrc", func() error {
			tr := validTrack()
			tr.Isrc = "US-RC1-76-07839"
			_, err := h.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: tr}))
			return err
		}, connect.CodeInvalidArgument, "track.isrc"},
		{"create track too long", func() error {
			tr := validTrack()
			tr.DurationMs = int64(24*time.Hour/time.Millisecond) + 1
			_, err := h.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: tr}))
			return err
		}, connect.CodeInvalidArgument, "track.duration_ms"},
		{"create track negative duration", func() error {
			tr := validTrack()
			tr.DurationMs = -1
			_, err := h.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: tr}))
			return err
		}, connect.CodeInvalidArgument, "track.duration_ms"},
		{"create track disc number", func() error {
			tr := validTrack()
			tr.DiscNumber = 100
			_, err := h.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: tr}))
			return err
		}, connect.CodeInvalidArgument, "track.disc_number"},
		{"create track track number", func() error {
			tr := validTrack()
			tr.TrackNumber = 1000
			_, err := h.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: tr}))
			return err
		}, connect.CodeInvalidArgument, "track.track_number"},
		{"create track bad album id", func() error {
			tr := validTrack()
			tr.AlbumId = "album-1"
			_, err := h.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: tr}))
			return err
		}, connect.CodeInvalidArgument, "track.album_id"},
		{"update track without id", func() error {
			_, err := h.UpdateTrack(ctx, connect.NewRequest(&catalogv1.UpdateTrackRequest{Track: validTrack(), UpdateMask: mask("title")}))
			return err
		}, connect.CodeInvalidArgument, "track.id"},
		{"update track repeated path", func() error {
			_, err := h.UpdateTrack(ctx, connect.NewRequest(&catalogv1.UpdateTrackRequest{Track: &catalogv1.Track{Id: trackID, Title: "x"}, UpdateMask: mask("title", "title")}))
			return err
		}, connect.CodeInvalidArgument, "update_mask"},
		{"update track status is not writable", func() error {
			_, err := h.UpdateTrack(ctx, connect.NewRequest(&catalogv1.UpdateTrackRequest{Track: &catalogv1.Track{Id: trackID}, UpdateMask: mask("status")}))
			return err
		}, connect.CodeInvalidArgument, "update_mask"},
		{"upload without track", func() error {
			_, err := h.CreateTrackUpload(ctx, connect.NewRequest(&catalogv1.CreateTrackUploadRequest{}))
			return err
		}, connect.CodeInvalidArgument, "track_id"},
		{"upload with negative size", func() error {
			_, err := h.CreateTrackUpload(ctx, connect.NewRequest(&catalogv1.CreateTrackUploadRequest{TrackId: trackID, SizeBytes: -1}))
			return err
		}, connect.CodeInvalidArgument, "size_bytes"},
		{"upload too large", func() error {
			_, err := h.CreateTrackUpload(ctx, connect.NewRequest(&catalogv1.CreateTrackUploadRequest{TrackId: trackID, SizeBytes: 1<<20 + 1}))
			return err
		}, connect.CodeInvalidArgument, "size_bytes"},
		{"batch get none", func() error {
			_, err := h.BatchGetTracks(ctx, connect.NewRequest(&catalogv1.BatchGetTracksRequest{}))
			return err
		}, connect.CodeInvalidArgument, "track_ids"},
		{"batch get too many", func() error {
			ids := make([]string, 101)
			for i := range ids {
				ids[i] = domain.NewID()
			}
			_, err := h.BatchGetTracks(ctx, connect.NewRequest(&catalogv1.BatchGetTracksRequest{TrackIds: ids}))
			return err
		}, connect.CodeInvalidArgument, "track_ids"},
		{"search blank query", func() error {
			_, err := h.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "   "}))
			return err
		}, connect.CodeInvalidArgument, "query"},
		{"search long query", func() error {
			_, err := h.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: strings.Repeat("é", 201)}))
			return err
		}, connect.CodeInvalidArgument, "query"},
		{"search unspecified type", func() error {
			_, err := h.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "daft", Types: []catalogv1.ItemType{catalogv1.ItemType_ITEM_TYPE_TRACK, 0}}))
			return err
		}, connect.CodeInvalidArgument, "types[1]"},
		{"search page over 50", func() error {
			_, err := h.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "daft", PageSize: 51}))
			return err
		}, connect.CodeInvalidArgument, "page_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apitest.WantError(t, apitest.NoStore(t, tt.call), tt.code, tt.field)
		})
	}
}

func TestNeedsACaller(t *testing.T) {
	h := New(domain.NewCatalog(domain.Stores{}, nil, nil), nil, apitest.Anonymous)
	err := apitest.NoStore(t, func() error {
		_, err := h.GetTrack(context.Background(), connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: trackID}))
		return err
	})
	apitest.WantError(t, err, connect.CodeUnauthenticated, "")
}

// fakeCatalog implements what the happy paths below reach; any other method
// panics through the nil embedded interface.
type fakeCatalog struct {
	domain.CatalogStore
	created *domain.Track
	search  []domain.SearchHit
	// Search runs once per group, concurrently.
	mu   sync.Mutex
	page domain.Page
}

func (f *fakeCatalog) GetArtist(_ context.Context, id string) (*domain.Artist, error) {
	return &domain.Artist{ID: id, Name: "Daft Punk", OwnerIDs: []string{apitest.CallerID}}, nil
}

func (f *fakeCatalog) CreateTrack(_ context.Context, t *domain.Track) error {
	f.created = t
	return nil
}

func (f *fakeCatalog) Search(_ context.Context, _ string, _ []domain.ItemType, p domain.Page) ([]domain.SearchHit, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.page = p
	return f.search, "next", nil
}

func TestCreateTrackNormalizesAndConverts(t *testing.T) {
	store := &fakeCatalog{}
	h := New(domain.NewCatalog(domain.Stores{Catalog: store}, nil, nil), nil, apitest.As(apitest.Caller()))
	tr := validTrack()
	tr.Isrc = "usrc17607839"
	tr.Status = catalogv1.TrackStatus_TRACK_STATUS_READY // output only: ignored
	tr.PlayCount = 99
	resp, err := h.CreateTrack(context.Background(), connect.NewRequest(&catalogv1.CreateTrackRequest{Track: tr}))
	if err != nil {
		t.Fatal(err)
	}
	if store.created.ISRC != "USRC17607839" || store.created.Duration != 320*time.Second {
		t.Fatalf("stored %+v", store.created)
	}
	got := resp.Msg.GetTrack()
	if got.GetIsrc() != "USRC17607839" || got.GetDurationMs() != 320_000 || got.GetPlayCount() != 0 ||
		got.GetStatus() != catalogv1.TrackStatus_TRACK_STATUS_PENDING_UPLOAD || !domain.ValidID(got.GetId()) ||
		got.GetCreateTime() == nil {
		t.Fatalf("response %v", got)
	}
}

func TestSearchConvertsHits(t *testing.T) {
	store := &fakeCatalog{search: []domain.SearchHit{
		{Score: 3, Artist: &domain.Artist{ID: artistID, Name: "Daft Punk"}},
		{Score: 2, Album: &domain.Album{ID: albumID, Title: "Discovery", Type: domain.AlbumTypeAlbum}},
		{Score: 1, Track: &domain.Track{ID: trackID, Title: "Da Funk", Duration: 5 * time.Minute}},
	}}
	h := New(domain.NewCatalog(domain.Stores{Catalog: store}, nil, nil), nil, apitest.As(apitest.Caller()))
	resp, err := h.Search(context.Background(), connect.NewRequest(&catalogv1.SearchRequest{Query: "  daft  "}))
	if err != nil {
		t.Fatal(err)
	}
	if store.page.Size != searchDefaultPageSize {
		t.Fatalf("page %+v", store.page)
	}
	//lint:ignore SA1019 the deprecated results must keep working.
	rs, next := resp.Msg.GetResults(), resp.Msg.GetNextPageToken()
	if len(rs) != 3 || rs[0].GetArtist().GetName() != "Daft Punk" || rs[0].GetScore() != 3 ||
		rs[1].GetAlbum().GetAlbumType() != catalogv1.AlbumType_ALBUM_TYPE_ALBUM ||
		rs[2].GetTrack().GetDurationMs() != 300_000 || next != "next" {
		t.Fatalf("results %v", resp.Msg)
	}

	store.search = []domain.SearchHit{{Score: 1}}
	_, err = h.Search(context.Background(), connect.NewRequest(&catalogv1.SearchRequest{Query: "daft"}))
	apitest.WantError(t, err, connect.CodeInternal, "")
}
