package playlistapi

import (
	"context"
	"slices"

	"connectrpc.com/connect"

	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	"github.com/backbeat/backbeat/server/api/validate"
	"github.com/backbeat/backbeat/server/domain"
)

// appendPosition tells the domain to append.
const appendPosition = -1

// AddTracks allows repeated track ids: each becomes its own entry.
func (h *Handler) AddTracks(ctx context.Context, req *connect.Request[playlistv1.AddTracksRequest]) (*connect.Response[playlistv1.AddTracksResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	if err := validate.ID("playlist_id", m.GetPlaylistId()); err != nil {
		return nil, err
	}
	if err := validate.IDs("track_ids", m.GetTrackIds(), 1, domain.MaxBatch); err != nil {
		return nil, err
	}
	pos := appendPosition
	if m.Position != nil {
		// A negative index would silently append; say so instead.
		if m.GetPosition() < 0 {
			return nil, domain.Invalid("position", "must be at least 0 (leave unset to append)")
		}
		pos = int(m.GetPosition())
	}
	entries, pl, err := h.svc.AddTracks(ctx, p, m.GetPlaylistId(), m.GetTrackIds(), pos)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&playlistv1.AddTracksResponse{Entries: entriesToProto(entries), Playlist: playlistToProto(pl)}), nil
}

func (h *Handler) RemoveTracks(ctx context.Context, req *connect.Request[playlistv1.RemoveTracksRequest]) (*connect.Response[playlistv1.RemoveTracksResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	if err := validate.ID("playlist_id", m.GetPlaylistId()); err != nil {
		return nil, err
	}
	if err := validate.UniqueIDs("entry_ids", m.GetEntryIds(), 1, domain.MaxBatch); err != nil {
		return nil, err
	}
	pl, err := h.svc.RemoveTracks(ctx, p, m.GetPlaylistId(), m.GetEntryIds())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&playlistv1.RemoveTracksResponse{Playlist: playlistToProto(pl)}), nil
}

func (h *Handler) MoveTracks(ctx context.Context, req *connect.Request[playlistv1.MoveTracksRequest]) (*connect.Response[playlistv1.MoveTracksResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	if err := validate.ID("playlist_id", m.GetPlaylistId()); err != nil {
		return nil, err
	}
	if err := validate.UniqueIDs("entry_ids", m.GetEntryIds(), 1, domain.MaxBatch); err != nil {
		return nil, err
	}
	if err := validate.OptionalID("before_entry_id", m.GetBeforeEntryId()); err != nil {
		return nil, err
	}
	// The domain checks this too, but only after loading the playlist; it is
	// a property of the request alone, so refuse it before any read.
	if slices.Contains(m.GetEntryIds(), m.GetBeforeEntryId()) {
		return nil, domain.Invalid("before_entry_id", "must not be one of the entries moved")
	}
	pl, err := h.svc.MoveTracks(ctx, p, m.GetPlaylistId(), m.GetEntryIds(), m.GetBeforeEntryId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&playlistv1.MoveTracksResponse{Playlist: playlistToProto(pl)}), nil
}
