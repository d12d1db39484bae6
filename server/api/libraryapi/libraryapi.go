// Package libraryapi serves backbeat.library.v1.LibraryService over
// *domain.Library.
package libraryapi

import (
	"context"

	"connectrpc.com/connect"

	libraryv1 "github.com/backbeat/backbeat/gen/go/backbeat/library/v1"
	"github.com/backbeat/backbeat/gen/go/backbeat/library/v1/libraryv1connect"
	"github.com/backbeat/backbeat/server/api/catalogapi"
	"github.com/backbeat/backbeat/server/api/internal/edge"
	"github.com/backbeat/backbeat/server/api/validate"
	"github.com/backbeat/backbeat/server/domain"
)

type Handler struct {
	svc       *domain.Library
	principal edge.PrincipalFunc
}

var _ libraryv1connect.LibraryServiceHandler = (*Handler)(nil)

func New(svc *domain.Library, principal func(context.Context) (domain.Principal, bool)) *Handler {
	return &Handler{svc: svc, principal: principal}
}

// change validates a save or remove of a set of ids and runs it.
func (h *Handler) change(ctx context.Context, field string, ids []string, op func(context.Context, domain.Principal, domain.LibraryKind, []string) error, kind domain.LibraryKind) error {
	p, err := edge.Caller(ctx, h.principal)
	if err != nil {
		return err
	}
	if err := validate.UniqueIDs(field, ids, 1, domain.MaxLibraryBatch); err != nil {
		return err
	}
	return op(ctx, p, kind, ids)
}

// areSaved validates a batch of ids (repeats allowed) and answers for each.
func (h *Handler) areSaved(ctx context.Context, field string, ids []string, kind domain.LibraryKind) ([]bool, error) {
	p, err := edge.Caller(ctx, h.principal)
	if err != nil {
		return nil, err
	}
	if err := validate.IDs(field, ids, 1, domain.MaxLibraryBatch); err != nil {
		return nil, err
	}
	return h.svc.AreSaved(ctx, p, kind, ids)
}

func (h *Handler) page(ctx context.Context, size int32, token string) (domain.Principal, domain.Page, error) {
	p, err := edge.Caller(ctx, h.principal)
	if err != nil {
		return p, domain.Page{}, err
	}
	pg, err := validate.Page(size, token, validate.DefaultPageSize, validate.MaxPageSize)
	return p, pg, err
}

func (h *Handler) SaveTracks(ctx context.Context, req *connect.Request[libraryv1.SaveTracksRequest]) (*connect.Response[libraryv1.SaveTracksResponse], error) {
	if err := h.change(ctx, "track_ids", req.Msg.GetTrackIds(), h.svc.Save, domain.LibraryTracks); err != nil {
		return nil, err
	}
	return connect.NewResponse(&libraryv1.SaveTracksResponse{}), nil
}

func (h *Handler) RemoveSavedTracks(ctx context.Context, req *connect.Request[libraryv1.RemoveSavedTracksRequest]) (*connect.Response[libraryv1.RemoveSavedTracksResponse], error) {
	if err := h.change(ctx, "track_ids", req.Msg.GetTrackIds(), h.svc.Remove, domain.LibraryTracks); err != nil {
		return nil, err
	}
	return connect.NewResponse(&libraryv1.RemoveSavedTracksResponse{}), nil
}

func (h *Handler) AreTracksSaved(ctx context.Context, req *connect.Request[libraryv1.AreTracksSavedRequest]) (*connect.Response[libraryv1.AreTracksSavedResponse], error) {
	saved, err := h.areSaved(ctx, "track_ids", req.Msg.GetTrackIds(), domain.LibraryTracks)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&libraryv1.AreTracksSavedResponse{Saved: saved}), nil
}

func (h *Handler) ListSavedTracks(ctx context.Context, req *connect.Request[libraryv1.ListSavedTracksRequest]) (*connect.Response[libraryv1.ListSavedTracksResponse], error) {
	p, pg, err := h.page(ctx, req.Msg.GetPageSize(), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	items, next, err := h.svc.SavedTracks(ctx, p, pg)
	if err != nil {
		return nil, err
	}
	out := &libraryv1.ListSavedTracksResponse{NextPageToken: next}
	for _, it := range items {
		out.Items = append(out.Items, &libraryv1.SavedTrack{Track: catalogapi.TrackProto(it.Track), SaveTime: edge.Timestamp(it.SaveTime)})
	}
	return connect.NewResponse(out), nil
}

func (h *Handler) SaveAlbums(ctx context.Context, req *connect.Request[libraryv1.SaveAlbumsRequest]) (*connect.Response[libraryv1.SaveAlbumsResponse], error) {
	if err := h.change(ctx, "album_ids", req.Msg.GetAlbumIds(), h.svc.Save, domain.LibraryAlbums); err != nil {
		return nil, err
	}
	return connect.NewResponse(&libraryv1.SaveAlbumsResponse{}), nil
}

func (h *Handler) RemoveSavedAlbums(ctx context.Context, req *connect.Request[libraryv1.RemoveSavedAlbumsRequest]) (*connect.Response[libraryv1.RemoveSavedAlbumsResponse], error) {
	if err := h.change(ctx, "album_ids", req.Msg.GetAlbumIds(), h.svc.Remove, domain.LibraryAlbums); err != nil {
		return nil, err
	}
	return connect.NewResponse(&libraryv1.RemoveSavedAlbumsResponse{}), nil
}

func (h *Handler) AreAlbumsSaved(ctx context.Context, req *connect.Request[libraryv1.AreAlbumsSavedRequest]) (*connect.Response[libraryv1.AreAlbumsSavedResponse], error) {
	saved, err := h.areSaved(ctx, "album_ids", req.Msg.GetAlbumIds(), domain.LibraryAlbums)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&libraryv1.AreAlbumsSavedResponse{Saved: saved}), nil
}

func (h *Handler) ListSavedAlbums(ctx context.Context, req *connect.Request[libraryv1.ListSavedAlbumsRequest]) (*connect.Response[libraryv1.ListSavedAlbumsResponse], error) {
	p, pg, err := h.page(ctx, req.Msg.GetPageSize(), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	items, next, err := h.svc.SavedAlbums(ctx, p, pg)
	if err != nil {
		return nil, err
	}
	out := &libraryv1.ListSavedAlbumsResponse{NextPageToken: next}
	for _, it := range items {
		out.Items = append(out.Items, &libraryv1.SavedAlbum{Album: catalogapi.AlbumProto(it.Album), SaveTime: edge.Timestamp(it.SaveTime)})
	}
	return connect.NewResponse(out), nil
}
