package userapi

import (
	"context"

	"connectrpc.com/connect"

	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/api/validate"
	"github.com/backbeat/backbeat/server/domain"
)

func (h *Handler) GetMe(ctx context.Context, req *connect.Request[userv1.GetMeRequest]) (*connect.Response[userv1.GetMeResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	u, err := h.svc.GetMe(ctx, p)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.GetMeResponse{User: userToProto(u)}), nil
}

// UpdateMe updates the caller; user.id is not consulted, since the caller
// is the only user this can change.
func (h *Handler) UpdateMe(ctx context.Context, req *connect.Request[userv1.UpdateMeRequest]) (*connect.Response[userv1.UpdateMeResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	patch, paths, err := updateMeInput(req.Msg)
	if err != nil {
		return nil, err
	}
	u, err := h.svc.UpdateMe(ctx, p, patch, paths)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.UpdateMeResponse{User: userToProto(u)}), nil
}

func updateMeInput(m *userv1.UpdateMeRequest) (*domain.User, []string, error) {
	in := m.GetUser()
	if in == nil {
		return nil, nil, domain.Invalid("user", "is required")
	}
	paths := m.GetUpdateMask().GetPaths()
	if err := validate.UpdateMask("update_mask", paths, "display_name", "email"); err != nil {
		return nil, nil, err
	}
	patch := &domain.User{}
	for _, path := range paths {
		switch path {
		case "display_name":
			// Unlike at registration nothing fills in an empty name here.
			if err := validate.Text("user.display_name", in.GetDisplayName(), 1, validate.MaxDisplayName); err != nil {
				return nil, nil, err
			}
			patch.DisplayName = in.GetDisplayName()
		case "email":
			if err := validate.Email("user.email", in.GetEmail()); err != nil {
				return nil, nil, err
			}
			patch.Email = in.GetEmail()
		}
	}
	return patch, paths, nil
}

func (h *Handler) DeleteMe(ctx context.Context, req *connect.Request[userv1.DeleteMeRequest]) (*connect.Response[userv1.DeleteMeResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := h.svc.DeleteMe(ctx, p); err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.DeleteMeResponse{}), nil
}

func (h *Handler) GetUser(ctx context.Context, req *connect.Request[userv1.GetUserRequest]) (*connect.Response[userv1.GetUserResponse], error) {
	p, err := h.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validate.ID("user_id", req.Msg.GetUserId()); err != nil {
		return nil, err
	}
	u, err := h.svc.GetUser(ctx, p, req.Msg.GetUserId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&userv1.GetUserResponse{User: userToProto(u)}), nil
}
