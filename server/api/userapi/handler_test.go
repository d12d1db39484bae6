package userapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/api/internal/apitest"
	"github.com/backbeat/backbeat/server/domain"
)

const userID = "01hsszzzzzzzzzzzzzzzzzzzzz"

func validRegister() *userv1.RegisterRequest {
	return &userv1.RegisterRequest{Username: "alice", Email: "alice@example.com", Password: "correct horse"}
}

func TestRefusesBadRequestsBeforeTheStore(t *testing.T) {
	// nil Credentials as well as empty stores: Register hashes before storing.
	h := New(domain.NewUsers(domain.Stores{}, nil, domain.UsersConfig{}), apitest.As(apitest.Caller()))
	ctx := context.Background()
	register := func(edit func(*userv1.RegisterRequest)) func() error {
		return func() error {
			r := validRegister()
			edit(r)
			_, err := h.Register(ctx, connect.NewRequest(r))
			return err
		}
	}
	tests := []struct {
		name  string
		call  func() error
		code  connect.Code
		field string
	}{
		{"register short username", register(func(r *userv1.RegisterRequest) { r.Username = "al" }), connect.CodeInvalidArgument, "username"},
		{"register username with space", register(func(r *userv1.RegisterRequest) { r.Username = "al ice" }), connect.CodeInvalidArgument, "username"},
		{"register bad email", register(func(r *userv1.RegisterRequest) { r.Email = "alice" }), connect.CodeInvalidArgument, "email"},
		{"register missing email", register(func(r *userv1.RegisterRequest) { r.Email = "" }), connect.CodeInvalidArgument, "email"},
		{"register short password", register(func(r *userv1.RegisterRequest) { r.Password = "1234567" }), connect.CodeInvalidArgument, "password"},
		{"register long password", register(func(r *userv1.RegisterRequest) { r.Password = strings.Repeat("p", 257) }), connect.CodeInvalidArgument, "password"},
		{"register long display name", register(func(r *userv1.RegisterRequest) { r.DisplayName = strings.Repeat("d", 101) }), connect.CodeInvalidArgument, "display_name"},
		{"register blank display name", register(func(r *userv1.RegisterRequest) { r.DisplayName = " " }), connect.CodeInvalidArgument, "display_name"},
		{"login empty", func() error {
			_, err := h.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Password: "x"}))
			return err
		}, connect.CodeInvalidArgument, "login"},
		{"login empty password", func() error {
			_, err := h.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Login: "alice"}))
			return err
		}, connect.CodeInvalidArgument, "password"},
		{"refresh without token", func() error {
			_, err := h.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{}))
			return err
		}, connect.CodeInvalidArgument, "refresh_token"},
		{"logout huge token", func() error {
			_, err := h.Logout(ctx, connect.NewRequest(&userv1.LogoutRequest{RefreshToken: strings.Repeat("t", 1025)}))
			return err
		}, connect.CodeInvalidArgument, "refresh_token"},
		{"update me without user", func() error {
			_, err := h.UpdateMe(ctx, connect.NewRequest(&userv1.UpdateMeRequest{UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"email"}}}))
			return err
		}, connect.CodeInvalidArgument, "user"},
		{"update me without mask", func() error {
			_, err := h.UpdateMe(ctx, connect.NewRequest(&userv1.UpdateMeRequest{User: &userv1.User{DisplayName: "A"}}))
			return err
		}, connect.CodeInvalidArgument, "update_mask"},
		{"update me username is not writable", func() error {
			_, err := h.UpdateMe(ctx, connect.NewRequest(&userv1.UpdateMeRequest{User: &userv1.User{Username: "bob"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"username"}}}))
			return err
		}, connect.CodeInvalidArgument, "update_mask"},
		{"update me bad email", func() error {
			_, err := h.UpdateMe(ctx, connect.NewRequest(&userv1.UpdateMeRequest{User: &userv1.User{Email: "nope"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"email"}}}))
			return err
		}, connect.CodeInvalidArgument, "user.email"},
		{"update me empty display name", func() error {
			_, err := h.UpdateMe(ctx, connect.NewRequest(&userv1.UpdateMeRequest{User: &userv1.User{}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}}))
			return err
		}, connect.CodeInvalidArgument, "user.display_name"},
		{"get user bad id", func() error {
			_, err := h.GetUser(ctx, connect.NewRequest(&userv1.GetUserRequest{UserId: "bob"}))
			return err
		}, connect.CodeInvalidArgument, "user_id"},
		{"follow artist missing id", func() error {
			_, err := h.FollowArtist(ctx, connect.NewRequest(&userv1.FollowArtistRequest{}))
			return err
		}, connect.CodeInvalidArgument, "artist_id"},
		{"followed artists page over 100", func() error {
			_, err := h.ListFollowedArtists(ctx, connect.NewRequest(&userv1.ListFollowedArtistsRequest{PageSize: 101}))
			return err
		}, connect.CodeInvalidArgument, "page_size"},
		{"list users long prefix", func() error {
			_, err := h.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{UsernamePrefix: strings.Repeat("a", 33)}))
			return err
		}, connect.CodeInvalidArgument, "username_prefix"},
		{"set roles unspecified", func() error {
			_, err := h.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: userID, Roles: []userv1.Role{userv1.Role_ROLE_ARTIST, userv1.Role_ROLE_UNSPECIFIED}}))
			return err
		}, connect.CodeInvalidArgument, "roles[1]"},
		{"set roles unknown number", func() error {
			_, err := h.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: userID, Roles: []userv1.Role{9}}))
			return err
		}, connect.CodeInvalidArgument, "roles[0]"},
		{"change password short new", func() error {
			_, err := h.ChangePassword(ctx, connect.NewRequest(&userv1.ChangePasswordRequest{CurrentPassword: "old one", NewPassword: "1234567"}))
			return err
		}, connect.CodeInvalidArgument, "new_password"},
		{"change password long new", func() error {
			_, err := h.ChangePassword(ctx, connect.NewRequest(&userv1.ChangePasswordRequest{CurrentPassword: "old one", NewPassword: strings.Repeat("p", 257)}))
			return err
		}, connect.CodeInvalidArgument, "new_password"},
		{"change password empty current", func() error {
			_, err := h.ChangePassword(ctx, connect.NewRequest(&userv1.ChangePasswordRequest{NewPassword: "correct horse"}))
			return err
		}, connect.CodeInvalidArgument, "current_password"},
		{"disable user bad id", func() error {
			_, err := h.DisableUser(ctx, connect.NewRequest(&userv1.DisableUserRequest{UserId: "bob"}))
			return err
		}, connect.CodeInvalidArgument, "user_id"},
		{"enable user missing id", func() error {
			_, err := h.EnableUser(ctx, connect.NewRequest(&userv1.EnableUserRequest{}))
			return err
		}, connect.CodeInvalidArgument, "user_id"},
		{"end user sessions bad id", func() error {
			_, err := h.EndUserSessions(ctx, connect.NewRequest(&userv1.EndUserSessionsRequest{UserId: "x y"}))
			return err
		}, connect.CodeInvalidArgument, "user_id"},
		{"set roles repeated", func() error {
			_, err := h.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: userID, Roles: []userv1.Role{userv1.Role_ROLE_ADMIN, userv1.Role_ROLE_ADMIN}}))
			return err
		}, connect.CodeInvalidArgument, "roles[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apitest.WantError(t, apitest.NoStore(t, tt.call), tt.code, tt.field)
		})
	}
}

func TestSignedInMethodsNeedACaller(t *testing.T) {
	h := New(domain.NewUsers(domain.Stores{}, nil, domain.UsersConfig{}), apitest.Anonymous)
	ctx := context.Background()
	calls := map[string]func() error{
		"GetMe": func() error { _, err := h.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{})); return err },
		"DeleteMe": func() error {
			_, err := h.DeleteMe(ctx, connect.NewRequest(&userv1.DeleteMeRequest{}))
			return err
		},
		"ListUsers": func() error {
			_, err := h.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{}))
			return err
		},
		"ChangePassword": func() error {
			_, err := h.ChangePassword(ctx, connect.NewRequest(&userv1.ChangePasswordRequest{CurrentPassword: "old one", NewPassword: "correct horse"}))
			return err
		},
		"LogoutEverywhere": func() error {
			_, err := h.LogoutEverywhere(ctx, connect.NewRequest(&userv1.LogoutEverywhereRequest{}))
			return err
		},
		"DisableUser": func() error {
			_, err := h.DisableUser(ctx, connect.NewRequest(&userv1.DisableUserRequest{UserId: userID}))
			return err
		},
		"EnableUser": func() error {
			_, err := h.EnableUser(ctx, connect.NewRequest(&userv1.EnableUserRequest{UserId: userID}))
			return err
		},
		"EndUserSessions": func() error {
			_, err := h.EndUserSessions(ctx, connect.NewRequest(&userv1.EndUserSessionsRequest{UserId: userID}))
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			apitest.WantError(t, apitest.NoStore(t, call), connect.CodeUnauthenticated, "")
		})
	}
}

// fakeUsers and fakeCreds implement what registration reaches.
type fakeUsers struct {
	domain.UserStore
	created *domain.User
}

func (f *fakeUsers) CreateUser(_ context.Context, u *domain.User) error {
	f.created = u
	return nil
}

func (f *fakeUsers) CreateSession(context.Context, *domain.Session) error { return nil }

type fakeCreds struct{ domain.Credentials }

func (fakeCreds) HashPassword(string) (string, error)        { return "hash", nil }
func (fakeCreds) NewRefreshToken() (token, hash string)      { return "refresh", "refresh-hash" }
func (fakeCreds) HashRefreshToken(token string) string       { return token + "-hash" }
func (fakeCreds) CheckPassword(string, string) (bool, error) { return true, nil }
func (fakeCreds) MintAccessToken(string, []domain.Role, int64) (string, time.Time, error) {
	return "access", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), nil
}

func TestRegisterLowercasesUsername(t *testing.T) {
	store := &fakeUsers{}
	h := New(domain.NewUsers(domain.Stores{Users: store}, fakeCreds{}, domain.UsersConfig{}), apitest.Anonymous)
	r := validRegister()
	r.Username = "Alice"
	resp, err := h.Register(context.Background(), connect.NewRequest(r))
	if err != nil {
		t.Fatal(err)
	}
	if store.created.Username != "alice" {
		t.Fatalf("stored username %q", store.created.Username)
	}
	u, toks := resp.Msg.GetUser(), resp.Msg.GetTokens()
	if u.GetUsername() != "alice" || u.GetDisplayName() != "alice" || len(u.GetRoles()) != 1 ||
		u.GetRoles()[0] != userv1.Role_ROLE_LISTENER || u.GetCreateTime() == nil {
		t.Fatalf("user %v", u)
	}
	if toks.GetTokenType() != "Bearer" || toks.GetAccessToken() != "access" || toks.GetRefreshToken() != "refresh" ||
		toks.GetAccessTokenExpireTime().AsTime().Year() != 2030 || toks.GetRefreshTokenExpireTime() == nil {
		t.Fatalf("tokens %v", toks)
	}
}
