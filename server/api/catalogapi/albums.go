package catalogapi

import (
	"context"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/server/api/validate"
	"github.com/backbeat/backbeat/server/domain"
)

const (
	maxTitle = 200
	// maxCredits bounds the artists credited on an album or track.
	maxCredits = 10
)

func albumPaths() []string {
	return []string{"title", "artist_ids", "album_type", "genres", "release_date", "artwork_url"}
}

// albumInput validates the named fields of in and copies them into a domain
// album. artist_ids always needs a first, primary artist: the domain reads it.
func albumInput(in *catalogv1.Album, paths []string) (*domain.Album, error) {
	out := &domain.Album{}
	for _, path := range paths {
		field := "album." + path
		var err error
		switch path {
		case "title":
			err = validate.Text(field, in.GetTitle(), 1, maxTitle)
			out.Title = in.GetTitle()
		case "artist_ids":
			err = validate.UniqueIDs(field, in.GetArtistIds(), 1, maxCredits)
			out.ArtistIDs = in.GetArtistIds()
		case "album_type":
			t, ok := albumTypeFromProto(in.GetAlbumType())
			if !ok {
				err = domain.Invalid(field, "unknown album type %v", in.GetAlbumType())
			}
			out.Type = t
		case "genres":
			err = validate.Genres(field, in.GetGenres())
			out.Genres = in.GetGenres()
		case "release_date":
			err = validate.OptionalReleaseDate(field, in.GetReleaseDate())
			out.ReleaseDate = in.GetReleaseDate()
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

func (h *Handler) CreateAlbum(ctx context.Context, req *connect.Request[catalogv1.CreateAlbumRequest]) (*connect.Response[catalogv1.CreateAlbumResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	in := req.Msg.GetAlbum()
	if in == nil {
		return nil, domain.Invalid("album", "is required")
	}
	al, err := albumInput(in, albumPaths())
	if err != nil {
		return nil, err
	}
	al, err = h.svc.CreateAlbum(ctx, p, al)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.CreateAlbumResponse{Album: albumToProto(al)}), nil
}

func (h *Handler) GetAlbum(ctx context.Context, req *connect.Request[catalogv1.GetAlbumRequest]) (*connect.Response[catalogv1.GetAlbumResponse], error) {
	if _, err := h.caller(ctx); err != nil {
		return nil, err
	}
	if err := validate.ID("album_id", req.Msg.GetAlbumId()); err != nil {
		return nil, err
	}
	al, err := h.svc.GetAlbum(ctx, req.Msg.GetAlbumId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.GetAlbumResponse{Album: albumToProto(al)}), nil
}

func (h *Handler) UpdateAlbum(ctx context.Context, req *connect.Request[catalogv1.UpdateAlbumRequest]) (*connect.Response[catalogv1.UpdateAlbumResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	in := req.Msg.GetAlbum()
	if in == nil {
		return nil, domain.Invalid("album", "is required")
	}
	if err := validate.ID("album.id", in.GetId()); err != nil {
		return nil, err
	}
	paths := req.Msg.GetUpdateMask().GetPaths()
	if err := validate.UpdateMask("update_mask", paths, albumPaths()...); err != nil {
		return nil, err
	}
	patch, err := albumInput(in, paths)
	if err != nil {
		return nil, err
	}
	patch.ID = in.GetId()
	al, err := h.svc.UpdateAlbum(ctx, p, patch, paths)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.UpdateAlbumResponse{Album: albumToProto(al)}), nil
}

func (h *Handler) DeleteAlbum(ctx context.Context, req *connect.Request[catalogv1.DeleteAlbumRequest]) (*connect.Response[catalogv1.DeleteAlbumResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validate.ID("album_id", req.Msg.GetAlbumId()); err != nil {
		return nil, err
	}
	if err := h.svc.DeleteAlbum(ctx, p, req.Msg.GetAlbumId()); err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.DeleteAlbumResponse{}), nil
}

func (h *Handler) ListAlbums(ctx context.Context, req *connect.Request[catalogv1.ListAlbumsRequest]) (*connect.Response[catalogv1.ListAlbumsResponse], error) {
	if _, err := h.caller(ctx); err != nil {
		return nil, err
	}
	pg, err := validate.Page(req.Msg.GetPageSize(), req.Msg.GetPageToken(), listDefaultPageSize, listMaxPageSize)
	if err != nil {
		return nil, err
	}
	as, next, err := h.svc.ListAlbums(ctx, pg)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.ListAlbumsResponse{Albums: albumsToProto(as), NextPageToken: next}), nil
}

func (h *Handler) ListAlbumsByArtist(ctx context.Context, req *connect.Request[catalogv1.ListAlbumsByArtistRequest]) (*connect.Response[catalogv1.ListAlbumsByArtistResponse], error) {
	if _, err := h.caller(ctx); err != nil {
		return nil, err
	}
	m := req.Msg
	if err := validate.ID("artist_id", m.GetArtistId()); err != nil {
		return nil, err
	}
	pg, err := validate.Page(m.GetPageSize(), m.GetPageToken(), listDefaultPageSize, listMaxPageSize)
	if err != nil {
		return nil, err
	}
	as, next, err := h.svc.ListAlbumsByArtist(ctx, m.GetArtistId(), pg)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.ListAlbumsByArtistResponse{Albums: albumsToProto(as), NextPageToken: next}), nil
}
