package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// TestAuthentication covers every way a bearer token can be wrong, in
// every protocol.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	good, user := s.Register(t, "alice")

	cases := []struct {
		name  string
		token string
	}{
		{"no token", ""},
		{"garbage", "not-a-jwt"},
		{"expired", apptest.Mint(t, s.DataDir, s.URL(), "backbeat", time.Now().Add(-time.Hour), user.Id)},
		{"forged signature", apptest.Mint(t, t.TempDir(), s.URL(), "backbeat", time.Now(), user.Id)},
		{"wrong audience", apptest.Mint(t, s.DataDir, s.URL(), "someone-else", time.Now(), user.Id)},
		{"wrong issuer", apptest.Mint(t, s.DataDir, "http://evil.example", "backbeat", time.Now(), user.Id)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range apptest.Protocols {
				c := apptest.NewAPI(p.HTTP(), s.URL(), tc.token, p.Opts...)
				_, err := c.Users.GetMe(apptest.Context(t), connect.NewRequest(&userv1.GetMeRequest{}))
				apptest.WantCode(t, err, connect.CodeUnauthenticated)
				_, err = c.Catalog.Search(apptest.Context(t), connect.NewRequest(&catalogv1.SearchRequest{Query: "x"}))
				apptest.WantCode(t, err, connect.CodeUnauthenticated)
			}
		})
	}

	t.Run("valid token", func(t *testing.T) {
		me, err := s.As(good).Users.GetMe(apptest.Context(t), connect.NewRequest(&userv1.GetMeRequest{}))
		apptest.MustOK(t, "GetMe", err)
		if me.Msg.User.Id != user.Id {
			t.Fatalf("GetMe id %q, want %q", me.Msg.User.Id, user.Id)
		}
	})

	t.Run("WWW-Authenticate", func(t *testing.T) {
		req, _ := http.NewRequest("POST", s.URL()+"/backbeat.user.v1.UserService/GetMe", strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		res, err := apptest.HTTP1Client().Do(req)
		apptest.MustOK(t, "POST", err)
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("status %d, WWW-Authenticate %q; want 401 and a Bearer challenge", res.StatusCode, res.Header.Get("WWW-Authenticate"))
		}
	})

	t.Run("refresh rotates and logout revokes", func(t *testing.T) {
		ctx := apptest.Context(t)
		lr := s.Login(t, "alice", apptest.Password)
		rr, err := s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: lr.Tokens.RefreshToken}))
		apptest.MustOK(t, "RefreshToken", err)
		_, err = s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: lr.Tokens.RefreshToken}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated) // a used refresh token is spent
		_, err = s.As(rr.Msg.Tokens.AccessToken).Users.Logout(ctx, connect.NewRequest(&userv1.LogoutRequest{RefreshToken: rr.Msg.Tokens.RefreshToken}))
		apptest.MustOK(t, "Logout", err)
		_, err = s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: rr.Msg.Tokens.RefreshToken}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
	})

	// The refresh token alone is Logout's authority: a client whose access
	// token has lapsed, or that never kept it, can still sign out.
	t.Run("logout with the refresh token alone", func(t *testing.T) {
		ctx := apptest.Context(t)
		expired := apptest.Mint(t, s.DataDir, s.URL(), "backbeat", time.Now().Add(-time.Hour), user.Id)
		for name, c := range map[string]apptest.API{"no access token": s.Anon(), "expired access token": s.As(expired)} {
			lr := s.Login(t, "alice", apptest.Password)
			_, err := c.Users.Logout(ctx, connect.NewRequest(&userv1.LogoutRequest{RefreshToken: lr.Tokens.RefreshToken}))
			apptest.MustOK(t, "Logout with "+name, err)
			_, err = s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: lr.Tokens.RefreshToken}))
			apptest.WantCode(t, err, connect.CodeUnauthenticated)
		}
		// An unknown token is already signed out: still success.
		_, err := s.Anon().Users.Logout(ctx, connect.NewRequest(&userv1.LogoutRequest{RefreshToken: "not-a-refresh-token"}))
		apptest.MustOK(t, "Logout with an unknown token", err)
	})

	// A rotated token presented again means it leaked: the whole family
	// goes, its successor too, so neither the thief nor the victim keeps a
	// session from it.
	t.Run("reusing a rotated refresh token revokes its family", func(t *testing.T) {
		ctx := apptest.Context(t)
		lr := s.Login(t, "alice", apptest.Password)
		other := s.Login(t, "alice", apptest.Password)
		a := lr.Tokens.RefreshToken
		rr, err := s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: a}))
		apptest.MustOK(t, "RefreshToken(A)", err)
		b := rr.Msg.Tokens.RefreshToken
		_, err = s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: a}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
		_, err = s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: b}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
		_, err = s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: other.Tokens.RefreshToken}))
		apptest.MustOK(t, "another sign-in's RefreshToken", err)
	})

	t.Run("wrong password", func(t *testing.T) {
		ctx := apptest.Context(t)
		_, err := s.Anon().Users.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Login: "alice", Password: "wrong password"}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
		_, err = s.Anon().Users.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Login: "nobody", Password: "wrong password"}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
	})
}
