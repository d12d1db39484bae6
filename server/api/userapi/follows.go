package userapi

import (
	"context"

	"connectrpc.com/connect"

	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/api/validate"
)

func (h *Handler) FollowArtist(ctx context.Context, req *connect.Request[userv1.FollowArtistRequest]) (*connect.Response[userv1.FollowArtistResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validate.ID("artist_id", req.Msg.GetArtistId()); err != nil {
		return nil, err
	}
	if err := h.svc.FollowArtist(ctx, p, req.Msg.GetArtistId()); err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.FollowArtistResponse{}), nil
}

func (h *Handler) UnfollowArtist(ctx context.Context, req *connect.Request[userv1.UnfollowArtistRequest]) (*connect.Response[userv1.UnfollowArtistResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validate.ID("artist_id", req.Msg.GetArtistId()); err != nil {
		return nil, err
	}
	if err := h.svc.UnfollowArtist(ctx, p, req.Msg.GetArtistId()); err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.UnfollowArtistResponse{}), nil
}

func (h *Handler) ListFollowedArtists(ctx context.Context, req *connect.Request[userv1.ListFollowedArtistsRequest]) (*connect.Response[userv1.ListFollowedArtistsResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	pg, err := validate.Page(req.Msg.GetPageSize(), req.Msg.GetPageToken(), followedDefaultPageSize, followedMaxPageSize)
	if err != nil {
		return nil, err
	}
	ids, next, err := h.svc.ListFollowedArtists(ctx, p, pg)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.ListFollowedArtistsResponse{ArtistIds: ids, NextPageToken: next}), nil
}
