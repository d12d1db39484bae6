package userapi

import (
	"context"
	"slices"

	"connectrpc.com/connect"

	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/api/validate"
	"github.com/backbeat/backbeat/server/domain"
)

// maxUsernamePrefix is the longest username; a longer prefix matches nothing.
const maxUsernamePrefix = 32

func (h *Handler) ListUsers(ctx context.Context, req *connect.Request[userv1.ListUsersRequest]) (*connect.Response[userv1.ListUsersResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	if err := validate.Text("username_prefix", m.GetUsernamePrefix(), 0, maxUsernamePrefix); err != nil {
		return nil, err
	}
	pg, err := validate.Page(m.GetPageSize(), m.GetPageToken(), usersDefaultPageSize, usersMaxPageSize)
	if err != nil {
		return nil, err
	}
	users, next, err := h.svc.ListUsers(ctx, p, m.GetUsernamePrefix(), pg)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.ListUsersResponse{Users: usersToProto(users), NextPageToken: next}), nil
}

// SetUserRoles replaces a user's roles. Listener need not be sent: the
// domain keeps every user a listener.
func (h *Handler) SetUserRoles(ctx context.Context, req *connect.Request[userv1.SetUserRolesRequest]) (*connect.Response[userv1.SetUserRolesResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validate.ID("user_id", req.Msg.GetUserId()); err != nil {
		return nil, err
	}
	roles, err := rolesFromProto("roles", req.Msg.GetRoles())
	if err != nil {
		return nil, err
	}
	u, err := h.svc.SetUserRoles(ctx, p, req.Msg.GetUserId(), roles)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.SetUserRolesResponse{User: userToProto(u)}), nil
}

// rolesFromProto refuses unknown roles and repeats; an empty list is fine and
// leaves the user a plain listener.
func rolesFromProto(field string, in []userv1.Role) ([]domain.Role, error) {
	out := make([]domain.Role, 0, len(in))
	for i, r := range in {
		dr, ok := roleFromProto(r)
		if !ok {
			return nil, domain.Invalid(validate.Item(field, i), "unknown role %v", r)
		}
		if slices.Contains(out, dr) {
			return nil, domain.Invalid(validate.Item(field, i), "repeats role %v", r)
		}
		out = append(out, dr)
	}
	return out, nil
}

func (h *Handler) DisableUser(ctx context.Context, req *connect.Request[userv1.DisableUserRequest]) (*connect.Response[userv1.DisableUserResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validate.ID("user_id", req.Msg.GetUserId()); err != nil {
		return nil, err
	}
	u, err := h.svc.DisableUser(ctx, p, req.Msg.GetUserId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.DisableUserResponse{User: userToProto(u)}), nil
}

func (h *Handler) EnableUser(ctx context.Context, req *connect.Request[userv1.EnableUserRequest]) (*connect.Response[userv1.EnableUserResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validate.ID("user_id", req.Msg.GetUserId()); err != nil {
		return nil, err
	}
	u, err := h.svc.EnableUser(ctx, p, req.Msg.GetUserId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.EnableUserResponse{User: userToProto(u)}), nil
}

func (h *Handler) EndUserSessions(ctx context.Context, req *connect.Request[userv1.EndUserSessionsRequest]) (*connect.Response[userv1.EndUserSessionsResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validate.ID("user_id", req.Msg.GetUserId()); err != nil {
		return nil, err
	}
	if err := h.svc.EndUserSessions(ctx, p, req.Msg.GetUserId()); err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.EndUserSessionsResponse{}), nil
}
