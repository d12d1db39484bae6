package userapi

import (
	"context"

	"connectrpc.com/connect"

	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/api/validate"
	"github.com/backbeat/backbeat/server/domain"
)

// Limits of sign-in fields. A login is a username or an email, so it gets
// the longer of the two; a sign-in password only needs to fit what
// registration accepts, since older accounts may predate today's minimum.
const (
	maxLogin         = validate.MaxEmailBytes
	maxLoginPassword = validate.MaxPassword
)

func (h *Handler) Register(ctx context.Context, req *connect.Request[userv1.RegisterRequest]) (*connect.Response[userv1.RegisterResponse], error) {
	m := req.Msg
	username, err := validate.Username("username", m.GetUsername())
	if err != nil {
		return nil, err
	}
	if err := validate.Email("email", m.GetEmail()); err != nil {
		return nil, err
	}
	if err := validate.Password("password", m.GetPassword()); err != nil {
		return nil, err
	}
	if err := optionalDisplayName("display_name", m.GetDisplayName()); err != nil {
		return nil, err
	}
	u, toks, err := h.svc.Register(ctx, domain.RegisterInput{
		Username:    username,
		Email:       m.GetEmail(),
		Password:    m.GetPassword(),
		DisplayName: m.GetDisplayName(),
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.RegisterResponse{User: userToProto(u), Tokens: tokensToProto(toks)}), nil
}

// optionalDisplayName allows empty (the domain then shows the username) but
// not a name of only spaces, which would show as nothing.
func optionalDisplayName(field, v string) error {
	if v == "" {
		return nil
	}
	return validate.Text(field, v, 1, validate.MaxDisplayName)
}

func (h *Handler) Login(ctx context.Context, req *connect.Request[userv1.LoginRequest]) (*connect.Response[userv1.LoginResponse], error) {
	m := req.Msg
	if err := validate.Text("login", m.GetLogin(), 1, maxLogin); err != nil {
		return nil, err
	}
	if err := validate.Runes("password", m.GetPassword(), 1, maxLoginPassword); err != nil {
		return nil, err
	}
	u, toks, err := h.svc.Login(ctx, m.GetLogin(), m.GetPassword())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.LoginResponse{User: userToProto(u), Tokens: tokensToProto(toks)}), nil
}

func (h *Handler) RefreshToken(ctx context.Context, req *connect.Request[userv1.RefreshTokenRequest]) (*connect.Response[userv1.RefreshTokenResponse], error) {
	if err := validate.Token("refresh_token", req.Msg.GetRefreshToken()); err != nil {
		return nil, err
	}
	toks, err := h.svc.Refresh(ctx, req.Msg.GetRefreshToken())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.RefreshTokenResponse{Tokens: tokensToProto(toks)}), nil
}

// Logout is a public procedure: holding the refresh token is the proof, and
// a client whose access token has lapsed must still be able to sign out. It
// does nothing but revoke that token's session.
func (h *Handler) Logout(ctx context.Context, req *connect.Request[userv1.LogoutRequest]) (*connect.Response[userv1.LogoutResponse], error) {
	if err := validate.Token("refresh_token", req.Msg.GetRefreshToken()); err != nil {
		return nil, err
	}
	if err := h.svc.Logout(ctx, req.Msg.GetRefreshToken()); err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.LogoutResponse{}), nil
}
