package userapi

import (
	"context"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/api/internal/apitest"
	"github.com/backbeat/backbeat/server/domain"
)

// TestRefusesBidiControlsInNames: a display name or email with a direction
// control is invalid_argument naming the field, before any store.
func TestRefusesBidiControlsInNames(t *testing.T) {
	h := New(domain.NewUsers(domain.Stores{}, nil, domain.UsersConfig{}), apitest.As(apitest.Caller()))
	ctx := context.Background()
	for _, tc := range []struct {
		field string
		edit  func(*userv1.RegisterRequest)
	}{
		{"display_name", func(r *userv1.RegisterRequest) { r.DisplayName = "admin\u202E" }},
		{"email", func(r *userv1.RegisterRequest) { r.Email = "alice\u200F@example.com" }},
	} {
		t.Run(tc.field, func(t *testing.T) {
			r := validRegister()
			tc.edit(r)
			err := apitest.NoStore(t, func() error {
				_, err := h.Register(ctx, connect.NewRequest(r))
				return err
			})
			apitest.WantError(t, err, connect.CodeInvalidArgument, tc.field)
		})
	}
	err := apitest.NoStore(t, func() error {
		_, err := h.UpdateMe(ctx, connect.NewRequest(&userv1.UpdateMeRequest{
			User: &userv1.User{DisplayName: "\u061CAna"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}},
		}))
		return err
	})
	apitest.WantError(t, err, connect.CodeInvalidArgument, "user.display_name")
}
