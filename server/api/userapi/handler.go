// Package userapi serves backbeat.user.v1.UserService over *domain.Users.
package userapi

import (
	"context"

	"github.com/backbeat/backbeat/gen/go/backbeat/user/v1/userv1connect"
	"github.com/backbeat/backbeat/server/api/internal/edge"
	"github.com/backbeat/backbeat/server/domain"
)

// Page sizes, from the proto comments where they give any.
const (
	followedDefaultPageSize = 50
	followedMaxPageSize     = 100
	usersDefaultPageSize    = 50
	usersMaxPageSize        = domain.MaxPageSize
)

// Handler implements userv1connect.UserServiceHandler. It validates each
// request in full, then calls the domain; errors are domain errors, mapped to
// Connect codes by the apierr interceptor.
type Handler struct {
	svc       *domain.Users
	principal edge.PrincipalFunc
}

var _ userv1connect.UserServiceHandler = (*Handler)(nil)

// New returns a handler over svc. principal reports the authenticated caller
// (the auth layer's PrincipalFrom).
func New(svc *domain.Users, principal func(context.Context) (domain.Principal, bool)) *Handler {
	return &Handler{svc: svc, principal: principal}
}

func (h *Handler) caller(ctx context.Context) (domain.Principal, error) {
	return edge.Caller(ctx, h.principal)
}
