package catalogapi

import (
	"context"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/server/api/validate"
	"github.com/backbeat/backbeat/server/domain"
)

const (
	maxArtistName = 200
	maxArtistBio  = 5000
	maxOwners     = 10
)

// artistPaths are the fields a client writes, on create and through an
// update mask alike; the rest (id, times) are the server's.
func artistPaths() []string {
	return []string{"name", "bio", "genres", "image_url", "owner_user_ids"}
}

// artistInput validates the named fields of in and copies them into a domain
// artist. On create an empty owner list means "the caller" (the domain's
// rule); an update that names owner_user_ids must leave someone in charge.
func artistInput(in *catalogv1.Artist, paths []string, update bool) (*domain.Artist, error) {
	out := &domain.Artist{}
	minOwners := 0
	if update {
		minOwners = 1
	}
	for _, path := range paths {
		field := "artist." + path
		var err error
		switch path {
		case "name":
			err = validate.Text(field, in.GetName(), 1, maxArtistName)
			out.Name = in.GetName()
		case "bio":
			err = validate.MultilineText(field, in.GetBio(), 0, maxArtistBio)
			out.Bio = in.GetBio()
		case "genres":
			err = validate.Genres(field, in.GetGenres())
			out.Genres = in.GetGenres()
		case "image_url":
			err = validate.OptionalURL(field, in.GetImageUrl())
			out.ImageURL = in.GetImageUrl()
		case "owner_user_ids":
			err = validate.UniqueIDs(field, in.GetOwnerUserIds(), minOwners, maxOwners)
			out.OwnerIDs = in.GetOwnerUserIds()
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (h *Handler) CreateArtist(ctx context.Context, req *connect.Request[catalogv1.CreateArtistRequest]) (*connect.Response[catalogv1.CreateArtistResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	in := req.Msg.GetArtist()
	if in == nil {
		return nil, domain.Invalid("artist", "is required")
	}
	a, err := artistInput(in, artistPaths(), false)
	if err != nil {
		return nil, err
	}
	a, err = h.svc.CreateArtist(ctx, p, a)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.CreateArtistResponse{Artist: artistToProto(a)}), nil
}

func (h *Handler) GetArtist(ctx context.Context, req *connect.Request[catalogv1.GetArtistRequest]) (*connect.Response[catalogv1.GetArtistResponse], error) {
	if _, err := h.caller(ctx); err != nil {
		return nil, err
	}
	if err := validate.ID("artist_id", req.Msg.GetArtistId()); err != nil {
		return nil, err
	}
	a, err := h.svc.GetArtist(ctx, req.Msg.GetArtistId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.GetArtistResponse{Artist: artistToProto(a)}), nil
}

func (h *Handler) UpdateArtist(ctx context.Context, req *connect.Request[catalogv1.UpdateArtistRequest]) (*connect.Response[catalogv1.UpdateArtistResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	in := req.Msg.GetArtist()
	if in == nil {
		return nil, domain.Invalid("artist", "is required")
	}
	if err := validate.ID("artist.id", in.GetId()); err != nil {
		return nil, err
	}
	paths := req.Msg.GetUpdateMask().GetPaths()
	if err := validate.UpdateMask("update_mask", paths, artistPaths()...); err != nil {
		return nil, err
	}
	patch, err := artistInput(in, paths, true)
	if err != nil {
		return nil, err
	}
	patch.ID = in.GetId()
	a, err := h.svc.UpdateArtist(ctx, p, patch, paths)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.UpdateArtistResponse{Artist: artistToProto(a)}), nil
}

func (h *Handler) DeleteArtist(ctx context.Context, req *connect.Request[catalogv1.DeleteArtistRequest]) (*connect.Response[catalogv1.DeleteArtistResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validate.ID("artist_id", req.Msg.GetArtistId()); err != nil {
		return nil, err
	}
	if err := h.svc.DeleteArtist(ctx, p, req.Msg.GetArtistId()); err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.DeleteArtistResponse{}), nil
}

func (h *Handler) ListArtists(ctx context.Context, req *connect.Request[catalogv1.ListArtistsRequest]) (*connect.Response[catalogv1.ListArtistsResponse], error) {
	if _, err := h.caller(ctx); err != nil {
		return nil, err
	}
	pg, err := validate.Page(req.Msg.GetPageSize(), req.Msg.GetPageToken(), listDefaultPageSize, listMaxPageSize)
	if err != nil {
		return nil, err
	}
	as, next, err := h.svc.ListArtists(ctx, pg)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.ListArtistsResponse{Artists: artistsToProto(as), NextPageToken: next}), nil
}
