package userapi

import (
	"context"

	"connectrpc.com/connect"

	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/api/validate"
)

// ChangePassword checks both fields before anything is read: the new
// password by Register's rule, the current one only for length, since an
// older account may predate today's minimum.
func (h *Handler) ChangePassword(ctx context.Context, req *connect.Request[userv1.ChangePasswordRequest]) (*connect.Response[userv1.ChangePasswordResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	if err := validate.Runes("current_password", m.GetCurrentPassword(), 1, maxLoginPassword); err != nil {
		return nil, err
	}
	if err := validate.Password("new_password", m.GetNewPassword()); err != nil {
		return nil, err
	}
	toks, err := h.svc.ChangePassword(ctx, p, m.GetCurrentPassword(), m.GetNewPassword())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.ChangePasswordResponse{Tokens: tokensToProto(toks)}), nil
}

func (h *Handler) LogoutEverywhere(ctx context.Context, _ *connect.Request[userv1.LogoutEverywhereRequest]) (*connect.Response[userv1.LogoutEverywhereResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := h.svc.LogoutEverywhere(ctx, p); err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.LogoutEverywhereResponse{}), nil
}
