// Package playlistapi serves backbeat.playlist.v1.PlaylistService over
// *domain.Playlists.
package playlistapi

import (
	"context"

	"github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1/playlistv1connect"
	"github.com/backbeat/backbeat/server/api/internal/edge"
	"github.com/backbeat/backbeat/server/api/validate"
	"github.com/backbeat/backbeat/server/domain"
)

// Page sizes. GetPlaylist's default comes from its proto comment: a playlist
// view usually wants more entries than a list wants items.
const (
	entriesDefaultPageSize = 100
	entriesMaxPageSize     = validate.MaxPageSize
	listDefaultPageSize    = validate.DefaultPageSize
	listMaxPageSize        = validate.MaxPageSize
)

// Handler implements playlistv1connect.PlaylistServiceHandler. Every method
// needs a signed-in caller: visibility depends on who asks.
type Handler struct {
	svc       *domain.Playlists
	principal edge.PrincipalFunc
}

var _ playlistv1connect.PlaylistServiceHandler = (*Handler)(nil)

// New returns a handler over svc. principal reports the authenticated caller
// (the auth layer's PrincipalFrom).
func New(svc *domain.Playlists, principal func(context.Context) (domain.Principal, bool)) *Handler {
	return &Handler{svc: svc, principal: principal}
}

func (h *Handler) caller(ctx context.Context) (domain.Principal, error) {
	return edge.Caller(ctx, h.principal)
}
