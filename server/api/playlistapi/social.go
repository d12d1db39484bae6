package playlistapi

import (
	"context"

	"connectrpc.com/connect"

	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	"github.com/backbeat/backbeat/server/api/validate"
)

func (h *Handler) FollowPlaylist(ctx context.Context, req *connect.Request[playlistv1.FollowPlaylistRequest]) (*connect.Response[playlistv1.FollowPlaylistResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validate.ID("playlist_id", req.Msg.GetPlaylistId()); err != nil {
		return nil, err
	}
	if err := h.svc.Follow(ctx, p, req.Msg.GetPlaylistId()); err != nil {
		return nil, err
	}
	return connect.NewResponse(&playlistv1.FollowPlaylistResponse{}), nil
}

func (h *Handler) UnfollowPlaylist(ctx context.Context, req *connect.Request[playlistv1.UnfollowPlaylistRequest]) (*connect.Response[playlistv1.UnfollowPlaylistResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validate.ID("playlist_id", req.Msg.GetPlaylistId()); err != nil {
		return nil, err
	}
	if err := h.svc.Unfollow(ctx, p, req.Msg.GetPlaylistId()); err != nil {
		return nil, err
	}
	return connect.NewResponse(&playlistv1.UnfollowPlaylistResponse{}), nil
}

func (h *Handler) AddCollaborator(ctx context.Context, req *connect.Request[playlistv1.AddCollaboratorRequest]) (*connect.Response[playlistv1.AddCollaboratorResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := collaboratorRequest(req.Msg.GetPlaylistId(), req.Msg.GetUserId()); err != nil {
		return nil, err
	}
	pl, err := h.svc.AddCollaborator(ctx, p, req.Msg.GetPlaylistId(), req.Msg.GetUserId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&playlistv1.AddCollaboratorResponse{Playlist: playlistToProto(pl)}), nil
}

func (h *Handler) RemoveCollaborator(ctx context.Context, req *connect.Request[playlistv1.RemoveCollaboratorRequest]) (*connect.Response[playlistv1.RemoveCollaboratorResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := collaboratorRequest(req.Msg.GetPlaylistId(), req.Msg.GetUserId()); err != nil {
		return nil, err
	}
	pl, err := h.svc.RemoveCollaborator(ctx, p, req.Msg.GetPlaylistId(), req.Msg.GetUserId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&playlistv1.RemoveCollaboratorResponse{Playlist: playlistToProto(pl)}), nil
}

func collaboratorRequest(playlistID, userID string) error {
	if err := validate.ID("playlist_id", playlistID); err != nil {
		return err
	}
	return validate.ID("user_id", userID)
}
