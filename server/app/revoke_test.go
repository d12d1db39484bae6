package app_test

import (
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// revokeBound is how long a change made outside this server (another
// replica, the operator's command) may take to apply: the account cache's
// lifetime, and a margin for a loaded machine.
const revokeBound = app.AccountCacheTTL + 5*time.Second

// operatorSetAdmin changes username's admin role the way `backbeat admin`
// does: through the store, outside the running server, so the server learns
// of it only through its account cache, as another replica would.
func operatorSetAdmin(t *testing.T, s *apptest.Server, username string, admin bool) {
	t.Helper()
	cfg := app.Defaults()
	cfg.DataDir = s.DataDir
	users, closeStore, err := app.OpenUsers(apptest.Context(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	if _, _, err := users.OperatorSetAdmin(apptest.Context(t), username, admin); err != nil {
		t.Fatal(err)
	}
}

// TestRevokedRolesAndAccounts: what a token may do follows the account, not
// the token. Each case fails on a server that reads roles from the token or
// lets a token outlive its account's sessions.
func TestRevokedRolesAndAccounts(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	ctx := apptest.Context(t)
	rootTok, rootUser := s.RegisterAdmin(t, "root")
	root := s.As(rootTok)
	listUsers := func(c apptest.API) func() error {
		return func() error {
			_, err := c.Users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{}))
			return err
		}
	}

	t.Run("an admin demoted by another admin loses the role at once, old token included", func(t *testing.T) {
		bossTok, boss := s.RegisterAdmin(t, "boss")
		old := s.As(bossTok)
		_, err := root.Users.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: boss.Id}))
		apptest.MustOK(t, "demote boss", err)
		apptest.WantCode(t, listUsers(old)(), connect.CodePermissionDenied)
		// The attack of issue 12: the old token makes its holder admin again.
		_, err = old.Users.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: boss.Id, Roles: []userv1.Role{userv1.Role_ROLE_ADMIN}}))
		apptest.WantCode(t, err, connect.CodePermissionDenied)
		got, err := root.Users.GetUser(ctx, connect.NewRequest(&userv1.GetUserRequest{UserId: boss.Id}))
		apptest.MustOK(t, "GetUser", err)
		if len(got.Msg.User.Roles) != 1 {
			t.Fatalf("boss's roles after the old token's attempt: %v, want listener only", got.Msg.User.Roles)
		}
	})

	t.Run("an admin demoted outside this server loses the role within the cache bound", func(t *testing.T) {
		opsTok, _ := s.RegisterAdmin(t, "ops")
		old := s.As(opsTok)
		operatorSetAdmin(t, s, "ops", false)
		apptest.WaitCode(t, "ListUsers with a demoted admin's old token", connect.CodePermissionDenied, revokeBound, listUsers(old))
	})

	t.Run("a deleted account's token stops working", func(t *testing.T) {
		tok, _ := s.Register(t, "leaver")
		c := s.As(tok)
		art, err := root.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Band"}}))
		apptest.MustOK(t, "CreateArtist", err)
		_, err = c.Users.DeleteMe(ctx, connect.NewRequest(&userv1.DeleteMeRequest{}))
		apptest.MustOK(t, "DeleteMe", err)
		_, err = c.Catalog.GetArtist(ctx, connect.NewRequest(&catalogv1.GetArtistRequest{ArtistId: art.Msg.Artist.Id}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
		_, err = c.Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
	})

	t.Run("a disabled account cannot sign in, refresh or use its token; enabled, it signs in again", func(t *testing.T) {
		_, u := s.Register(t, "mallory")
		lr := s.Login(t, "mallory", apptest.Password)
		c := s.As(lr.Tokens.AccessToken)
		res, err := root.Users.DisableUser(ctx, connect.NewRequest(&userv1.DisableUserRequest{UserId: u.Id}))
		apptest.MustOK(t, "DisableUser", err)
		if !res.Msg.User.Disabled {
			t.Fatal("DisableUser answered the user enabled")
		}
		_, err = c.Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
		_, err = s.Anon().Users.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Login: "mallory", Password: apptest.Password}))
		apptest.WantCode(t, err, connect.CodePermissionDenied)
		if !strings.Contains(err.Error(), "account disabled") {
			t.Fatalf("Login of a disabled account: %v, want it to say the account is disabled", err)
		}
		_, err = s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: lr.Tokens.RefreshToken}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
		listed, err := root.Users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{UsernamePrefix: "mallory"}))
		apptest.MustOK(t, "ListUsers", err)
		if len(listed.Msg.Users) != 1 || !listed.Msg.Users[0].Disabled {
			t.Fatalf("ListUsers shows %v, want mallory disabled", listed.Msg.Users)
		}

		_, err = root.Users.EnableUser(ctx, connect.NewRequest(&userv1.EnableUserRequest{UserId: u.Id}))
		apptest.MustOK(t, "EnableUser", err)
		again := s.Login(t, "mallory", apptest.Password)
		_, err = s.As(again.Tokens.AccessToken).Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
		apptest.MustOK(t, "GetMe after EnableUser", err)
		// The sessions DisableUser ended stay ended.
		_, err = c.Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
		_, err = s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: lr.Tokens.RefreshToken}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
	})

	t.Run("ChangePassword ends the other sessions and returns working tokens", func(t *testing.T) {
		s.Register(t, "walter")
		here, there := s.Login(t, "walter", apptest.Password), s.Login(t, "walter", apptest.Password)
		_, err := s.As(here.Tokens.AccessToken).Users.ChangePassword(ctx, connect.NewRequest(&userv1.ChangePasswordRequest{CurrentPassword: "wrong password", NewPassword: "a brand new passphrase"}))
		apptest.WantCode(t, err, connect.CodePermissionDenied)
		res, err := s.As(here.Tokens.AccessToken).Users.ChangePassword(ctx, connect.NewRequest(&userv1.ChangePasswordRequest{CurrentPassword: apptest.Password, NewPassword: "a brand new passphrase"}))
		apptest.MustOK(t, "ChangePassword", err)
		for name, tok := range map[string]string{"other session": there.Tokens.AccessToken, "caller's old token": here.Tokens.AccessToken} {
			_, err := s.As(tok).Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
			if connect.CodeOf(err) != connect.CodeUnauthenticated {
				t.Fatalf("GetMe with the %s after ChangePassword: %v, want unauthenticated", name, outcome(err))
			}
		}
		for _, rt := range []string{there.Tokens.RefreshToken, here.Tokens.RefreshToken} {
			_, err := s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: rt}))
			apptest.WantCode(t, err, connect.CodeUnauthenticated)
		}
		_, err = s.As(res.Msg.Tokens.AccessToken).Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
		apptest.MustOK(t, "GetMe with the new token", err)
		_, err = s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: res.Msg.Tokens.RefreshToken}))
		apptest.MustOK(t, "RefreshToken with the new refresh token", err)
		s.Login(t, "walter", "a brand new passphrase")
	})

	t.Run("LogoutEverywhere kills every refresh and access token", func(t *testing.T) {
		s.Register(t, "lou")
		a, b := s.Login(t, "lou", apptest.Password), s.Login(t, "lou", apptest.Password)
		_, err := s.As(a.Tokens.AccessToken).Users.LogoutEverywhere(ctx, connect.NewRequest(&userv1.LogoutEverywhereRequest{}))
		apptest.MustOK(t, "LogoutEverywhere", err)
		for _, lr := range []*userv1.LoginResponse{a, b} {
			_, err := s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: lr.Tokens.RefreshToken}))
			apptest.WantCode(t, err, connect.CodeUnauthenticated)
			_, err = s.As(lr.Tokens.AccessToken).Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
			apptest.WantCode(t, err, connect.CodeUnauthenticated)
		}
		c := s.Login(t, "lou", apptest.Password)
		_, err = s.As(c.Tokens.AccessToken).Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
		apptest.MustOK(t, "GetMe after signing in again", err)
	})

	t.Run("EndUserSessions ends another user's sessions", func(t *testing.T) {
		_, u := s.Register(t, "nora")
		lr := s.Login(t, "nora", apptest.Password)
		_, err := root.Users.EndUserSessions(ctx, connect.NewRequest(&userv1.EndUserSessionsRequest{UserId: u.Id}))
		apptest.MustOK(t, "EndUserSessions", err)
		_, err = s.As(lr.Tokens.AccessToken).Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
		_, err = s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: lr.Tokens.RefreshToken}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
		// The admin's own sessions are untouched.
		_, err = root.Users.GetUser(ctx, connect.NewRequest(&userv1.GetUserRequest{UserId: rootUser.Id}))
		apptest.MustOK(t, "admin's GetUser", err)
	})
}
