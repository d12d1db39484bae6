package catalogapi

import (
	"context"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/server/api/validate"
	"github.com/backbeat/backbeat/server/domain"
)

const (
	maxDiscNumber  = 99
	maxTrackNumber = 999
	// maxDurationMs is a day: longer is a mistake, not a recording.
	maxDurationMs = int64(24 * time.Hour / time.Millisecond)
)

func trackPaths() []string {
	return []string{"title", "artist_ids", "album_id", "disc_number", "track_number", "genres",
		"duration_ms", "explicit", "release_date", "isrc", "artwork_url"}
}

// trackInput validates the named fields of in and copies them into a domain
// track; the ISRC is stored upper-cased. Status and play count are the
// server's and never read from a request.
func trackInput(in *catalogv1.Track, paths []string) (*domain.Track, error) {
	out := &domain.Track{}
	for _, path := range paths {
		field := "track." + path
		var err error
		switch path {
		case "title":
			err = validate.Text(field, in.GetTitle(), 1, maxTitle)
			out.Title = in.GetTitle()
		case "artist_ids":
			err = validate.UniqueIDs(field, in.GetArtistIds(), 1, maxCredits)
			out.ArtistIDs = in.GetArtistIds()
		case "album_id":
			err = validate.OptionalID(field, in.GetAlbumId())
			out.AlbumID = in.GetAlbumId()
		case "disc_number":
			err = validate.Int(field, int64(in.GetDiscNumber()), 0, maxDiscNumber)
			out.DiscNumber = int(in.GetDiscNumber())
		case "track_number":
			err = validate.Int(field, int64(in.GetTrackNumber()), 0, maxTrackNumber)
			out.TrackNumber = int(in.GetTrackNumber())
		case "genres":
			err = validate.Genres(field, in.GetGenres())
			out.Genres = in.GetGenres()
		case "duration_ms":
			err = validate.Int(field, in.GetDurationMs(), 0, maxDurationMs)
			out.Duration = durationFromMs(in.GetDurationMs())
		case "explicit":
			out.Explicit = in.GetExplicit()
		case "release_date":
			err = validate.OptionalReleaseDate(field, in.GetReleaseDate())
			out.ReleaseDate = in.GetReleaseDate()
		case "isrc":
			out.ISRC, err = validate.OptionalISRC(field, in.GetIsrc())
		case "artwork_url":
			err = validate.OptionalURL(field, in.GetArtworkUrl())
			out.ArtworkURL = in.GetArtworkUrl()
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (h *Handler) CreateTrack(ctx context.Context, req *connect.Request[catalogv1.CreateTrackRequest]) (*connect.Response[catalogv1.CreateTrackResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	in := req.Msg.GetTrack()
	if in == nil {
		return nil, domain.Invalid("track", "is required")
	}
	t, err := trackInput(in, trackPaths())
	if err != nil {
		return nil, err
	}
	t, err = h.svc.CreateTrack(ctx, p, t)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.CreateTrackResponse{Track: trackToProto(t)}), nil
}

func (h *Handler) GetTrack(ctx context.Context, req *connect.Request[catalogv1.GetTrackRequest]) (*connect.Response[catalogv1.GetTrackResponse], error) {
	if _, err := h.caller(ctx); err != nil {
		return nil, err
	}
	if err := validate.ID("track_id", req.Msg.GetTrackId()); err != nil {
		return nil, err
	}
	t, err := h.svc.GetTrack(ctx, req.Msg.GetTrackId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.GetTrackResponse{Track: trackToProto(t)}), nil
}

func (h *Handler) UpdateTrack(ctx context.Context, req *connect.Request[catalogv1.UpdateTrackRequest]) (*connect.Response[catalogv1.UpdateTrackResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	in := req.Msg.GetTrack()
	if in == nil {
		return nil, domain.Invalid("track", "is required")
	}
	if err := validate.ID("track.id", in.GetId()); err != nil {
		return nil, err
	}
	paths := req.Msg.GetUpdateMask().GetPaths()
	if err := validate.UpdateMask("update_mask", paths, trackPaths()...); err != nil {
		return nil, err
	}
	patch, err := trackInput(in, paths)
	if err != nil {
		return nil, err
	}
	patch.ID = in.GetId()
	t, err := h.svc.UpdateTrack(ctx, p, patch, paths)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.UpdateTrackResponse{Track: trackToProto(t)}), nil
}

func (h *Handler) DeleteTrack(ctx context.Context, req *connect.Request[catalogv1.DeleteTrackRequest]) (*connect.Response[catalogv1.DeleteTrackResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validate.ID("track_id", req.Msg.GetTrackId()); err != nil {
		return nil, err
	}
	if err := h.svc.DeleteTrack(ctx, p, req.Msg.GetTrackId()); err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.DeleteTrackResponse{}), nil
}

func (h *Handler) ListTracks(ctx context.Context, req *connect.Request[catalogv1.ListTracksRequest]) (*connect.Response[catalogv1.ListTracksResponse], error) {
	if _, err := h.caller(ctx); err != nil {
		return nil, err
	}
	pg, err := validate.Page(req.Msg.GetPageSize(), req.Msg.GetPageToken(), listDefaultPageSize, listMaxPageSize)
	if err != nil {
		return nil, err
	}
	ts, next, err := h.svc.ListTracks(ctx, pg)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.ListTracksResponse{Tracks: tracksToProto(ts), NextPageToken: next}), nil
}

func (h *Handler) ListTracksByAlbum(ctx context.Context, req *connect.Request[catalogv1.ListTracksByAlbumRequest]) (*connect.Response[catalogv1.ListTracksByAlbumResponse], error) {
	if _, err := h.caller(ctx); err != nil {
		return nil, err
	}
	m := req.Msg
	if err := validate.ID("album_id", m.GetAlbumId()); err != nil {
		return nil, err
	}
	pg, err := validate.Page(m.GetPageSize(), m.GetPageToken(), listDefaultPageSize, listMaxPageSize)
	if err != nil {
		return nil, err
	}
	ts, next, err := h.svc.ListTracksByAlbum(ctx, m.GetAlbumId(), pg)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.ListTracksByAlbumResponse{Tracks: tracksToProto(ts), NextPageToken: next}), nil
}

// BatchGetTracks refuses repeated ids: the response pairs tracks with the
// ids asked, and a repeat there is a client bug worth surfacing.
func (h *Handler) BatchGetTracks(ctx context.Context, req *connect.Request[catalogv1.BatchGetTracksRequest]) (*connect.Response[catalogv1.BatchGetTracksResponse], error) {
	if _, err := h.caller(ctx); err != nil {
		return nil, err
	}
	if err := validate.UniqueIDs("track_ids", req.Msg.GetTrackIds(), 1, domain.MaxBatch); err != nil {
		return nil, err
	}
	ts, missing, err := h.svc.BatchGetTracks(ctx, req.Msg.GetTrackIds())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.BatchGetTracksResponse{Tracks: tracksToProto(ts), MissingTrackIds: missing}), nil
}
