package playlistapi

import (
	"context"

	"connectrpc.com/connect"

	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	"github.com/backbeat/backbeat/server/api/validate"
	"github.com/backbeat/backbeat/server/domain"
)

const (
	maxName        = 200
	maxDescription = 2000
)

// playlistPaths are the fields a client writes; owner, collaborators and
// counts change through their own calls.
func playlistPaths() []string { return []string{"name", "description", "public", "collaborative"} }

func playlistInput(in *playlistv1.Playlist, paths []string) (*domain.Playlist, error) {
	out := &domain.Playlist{}
	for _, path := range paths {
		field := "playlist." + path
		var err error
		switch path {
		case "name":
			err = validate.Text(field, in.GetName(), 1, maxName)
			out.Name = in.GetName()
		case "description":
			err = validate.MultilineText(field, in.GetDescription(), 0, maxDescription)
			out.Description = in.GetDescription()
		case "public":
			out.Public = in.GetPublic()
		case "collaborative":
			out.Collaborative = in.GetCollaborative()
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (h *Handler) CreatePlaylist(ctx context.Context, req *connect.Request[playlistv1.CreatePlaylistRequest]) (*connect.Response[playlistv1.CreatePlaylistResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	in := req.Msg.GetPlaylist()
	if in == nil {
		return nil, domain.Invalid("playlist", "is required")
	}
	pl, err := playlistInput(in, playlistPaths())
	if err != nil {
		return nil, err
	}
	pl, err = h.svc.Create(ctx, p, pl)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&playlistv1.CreatePlaylistResponse{Playlist: playlistToProto(pl)}), nil
}

func (h *Handler) GetPlaylist(ctx context.Context, req *connect.Request[playlistv1.GetPlaylistRequest]) (*connect.Response[playlistv1.GetPlaylistResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	if err := validate.ID("playlist_id", m.GetPlaylistId()); err != nil {
		return nil, err
	}
	pg, err := validate.Page(m.GetPageSize(), m.GetPageToken(), entriesDefaultPageSize, entriesMaxPageSize)
	if err != nil {
		return nil, err
	}
	pl, entries, next, err := h.svc.Get(ctx, p, m.GetPlaylistId(), pg)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&playlistv1.GetPlaylistResponse{
		Playlist:      playlistToProto(pl),
		Entries:       entriesToProto(entries),
		NextPageToken: next,
	}), nil
}

func (h *Handler) ListPlaylists(ctx context.Context, req *connect.Request[playlistv1.ListPlaylistsRequest]) (*connect.Response[playlistv1.ListPlaylistsResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	if err := validate.OptionalID("user_id", m.GetUserId()); err != nil {
		return nil, err
	}
	pg, err := validate.Page(m.GetPageSize(), m.GetPageToken(), listDefaultPageSize, listMaxPageSize)
	if err != nil {
		return nil, err
	}
	pls, next, err := h.svc.List(ctx, p, m.GetUserId(), pg)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&playlistv1.ListPlaylistsResponse{Playlists: playlistsToProto(pls), NextPageToken: next}), nil
}

func (h *Handler) UpdatePlaylist(ctx context.Context, req *connect.Request[playlistv1.UpdatePlaylistRequest]) (*connect.Response[playlistv1.UpdatePlaylistResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	in := req.Msg.GetPlaylist()
	if in == nil {
		return nil, domain.Invalid("playlist", "is required")
	}
	if err := validate.ID("playlist.id", in.GetId()); err != nil {
		return nil, err
	}
	paths := req.Msg.GetUpdateMask().GetPaths()
	if err := validate.UpdateMask("update_mask", paths, playlistPaths()...); err != nil {
		return nil, err
	}
	patch, err := playlistInput(in, paths)
	if err != nil {
		return nil, err
	}
	patch.ID = in.GetId()
	pl, err := h.svc.Update(ctx, p, patch, paths)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&playlistv1.UpdatePlaylistResponse{Playlist: playlistToProto(pl)}), nil
}

func (h *Handler) DeletePlaylist(ctx context.Context, req *connect.Request[playlistv1.DeletePlaylistRequest]) (*connect.Response[playlistv1.DeletePlaylistResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validate.ID("playlist_id", req.Msg.GetPlaylistId()); err != nil {
		return nil, err
	}
	if err := h.svc.Delete(ctx, p, req.Msg.GetPlaylistId()); err != nil {
		return nil, err
	}
	return connect.NewResponse(&playlistv1.DeletePlaylistResponse{}), nil
}
