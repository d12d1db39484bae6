package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/auth"
)

// TestRevocation attacks sessions and roles against the real binary, as
// issue 12 found them: an access token used to carry roles the server
// trusted until it expired (a demoted admin made themself admin again with
// an old one), a deleted account's token kept reading and playing, Logout
// needed a live access token, a reused rotated refresh token left its
// successor alive, and there was no way to change a password, sign out
// everywhere or disable an account. Every subtest fails on that server.
// revokeBound is how long a change made outside the server (the operator's
// command) may take to apply: the account cache's lifetime, and a margin for
// a loaded machine.
const revokeBound = app.AccountCacheTTL + 5*time.Second

func TestRevocation(t *testing.T) {
	s := startServer(t, t.TempDir())
	ctx := apptest.Context(t)
	root := as(s, registerAdmin(t, s, "root"))
	art, err := root.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "House Band"}}))
	apptest.MustOK(t, "CreateArtist", err)
	trk, err := root.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: "House Song", ArtistIds: []string{art.Msg.Artist.Id}}}))
	apptest.MustOK(t, "CreateTrack", err)
	trackID := trk.Msg.Track.Id
	login := func(t *testing.T, name, password string) *userv1.LoginResponse {
		t.Helper()
		return apptest.Login(t, anon(s), name, password)
	}
	refresh := func(token string) error {
		_, err := anon(s).Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: token}))
		return err
	}
	getMe := func(token string) error {
		_, err := as(s, token).Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
		return err
	}
	isAdmin := func(token string) error {
		_, err := as(s, token).Users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{PageSize: 1}))
		return err
	}

	t.Run("a demoted admin's old token loses admin rights within seconds", func(t *testing.T) {
		old := registerAdmin(t, s, "boss")
		boss := mustUser(t, root, "boss")
		_, err := root.Users.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: boss}))
		apptest.MustOK(t, "demote boss", err)
		took := apptest.WaitCode(t, "ListUsers with the demoted admin's old token", connect.CodePermissionDenied, revokeBound, func() error { return isAdmin(old) })
		t.Logf("demotion by another admin applied after %v", took)
		_, err = as(s, old).Users.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: boss, Roles: []userv1.Role{userv1.Role_ROLE_ADMIN}}))
		apptest.WantCode(t, err, connect.CodePermissionDenied)
	})

	t.Run("an admin revoked by the operator loses admin rights within seconds", func(t *testing.T) {
		old := registerAdmin(t, s, "ops")
		args := append([]string{"admin", "revoke", "ops", "--data-dir", s.dataDir}, s.storeArgs...)
		if out, err := exec.Command(binary, args...).CombinedOutput(); err != nil || !strings.Contains(string(out), "no longer admin") {
			t.Fatalf("backbeat admin revoke: %v\n%s", err, out)
		}
		took := apptest.WaitCode(t, "ListUsers with the revoked admin's old token", connect.CodePermissionDenied, revokeBound, func() error { return isAdmin(old) })
		t.Logf("operator revocation (another process) applied after %v", took)
	})

	t.Run("a deleted account's token stops reading and playing", func(t *testing.T) {
		tok, _ := apptest.Register(t, anon(s), "leaver")
		c := as(s, tok)
		_, err := c.Catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: trackID}))
		apptest.MustOK(t, "GetTrack before deleting", err)
		_, err = c.Users.DeleteMe(ctx, connect.NewRequest(&userv1.DeleteMeRequest{}))
		apptest.MustOK(t, "DeleteMe", err)
		_, err = c.Catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: trackID}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
		_, err = c.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: trackID}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
	})

	t.Run("a disabled account is locked out and comes back when enabled", func(t *testing.T) {
		_, u := apptest.Register(t, anon(s), "mallory")
		lr := login(t, "mallory", apptest.Password)
		_, err := root.Users.DisableUser(ctx, connect.NewRequest(&userv1.DisableUserRequest{UserId: u.Id}))
		apptest.MustOK(t, "DisableUser", err)
		apptest.WantCode(t, getMe(lr.Tokens.AccessToken), connect.CodeUnauthenticated)
		apptest.WantCode(t, refresh(lr.Tokens.RefreshToken), connect.CodeUnauthenticated)
		_, err = anon(s).Users.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Login: "mallory", Password: apptest.Password}))
		apptest.WantCode(t, err, connect.CodePermissionDenied)
		if !strings.Contains(err.Error(), "account disabled") {
			t.Errorf("Login of a disabled account says %q, want it to say so", err)
		}
		got, err := root.Users.GetUser(ctx, connect.NewRequest(&userv1.GetUserRequest{UserId: u.Id}))
		apptest.MustOK(t, "GetUser", err)
		if !got.Msg.User.Disabled {
			t.Error("GetUser as admin does not show the account disabled")
		}
		_, err = root.Users.DisableUser(ctx, connect.NewRequest(&userv1.DisableUserRequest{UserId: mustUser(t, root, "root")}))
		apptest.WantCode(t, err, connect.CodeFailedPrecondition)

		_, err = root.Users.EnableUser(ctx, connect.NewRequest(&userv1.EnableUserRequest{UserId: u.Id}))
		apptest.MustOK(t, "EnableUser", err)
		again := login(t, "mallory", apptest.Password)
		apptest.MustOK(t, "GetMe after EnableUser", getMe(again.Tokens.AccessToken))
		apptest.WantCode(t, getMe(lr.Tokens.AccessToken), connect.CodeUnauthenticated)
		apptest.WantCode(t, refresh(lr.Tokens.RefreshToken), connect.CodeUnauthenticated)
	})

	t.Run("LogoutEverywhere kills old refresh and access tokens", func(t *testing.T) {
		apptest.Register(t, anon(s), "lou")
		a, b := login(t, "lou", apptest.Password), login(t, "lou", apptest.Password)
		_, err := as(s, a.Tokens.AccessToken).Users.LogoutEverywhere(ctx, connect.NewRequest(&userv1.LogoutEverywhereRequest{}))
		apptest.MustOK(t, "LogoutEverywhere", err)
		for _, lr := range []*userv1.LoginResponse{a, b} {
			apptest.WantCode(t, refresh(lr.Tokens.RefreshToken), connect.CodeUnauthenticated)
			apptest.WantCode(t, getMe(lr.Tokens.AccessToken), connect.CodeUnauthenticated)
		}
	})

	t.Run("ChangePassword kills the other sessions", func(t *testing.T) {
		apptest.Register(t, anon(s), "walter")
		here, there := login(t, "walter", apptest.Password), login(t, "walter", apptest.Password)
		res, err := as(s, here.Tokens.AccessToken).Users.ChangePassword(ctx, connect.NewRequest(&userv1.ChangePasswordRequest{
			CurrentPassword: apptest.Password, NewPassword: "a brand new passphrase"}))
		apptest.MustOK(t, "ChangePassword", err)
		apptest.WantCode(t, refresh(there.Tokens.RefreshToken), connect.CodeUnauthenticated)
		apptest.WantCode(t, refresh(here.Tokens.RefreshToken), connect.CodeUnauthenticated)
		apptest.WantCode(t, getMe(there.Tokens.AccessToken), connect.CodeUnauthenticated)
		apptest.MustOK(t, "GetMe with ChangePassword's tokens", getMe(res.Msg.Tokens.AccessToken))
		apptest.MustOK(t, "RefreshToken with ChangePassword's tokens", refresh(res.Msg.Tokens.RefreshToken))
		_, err = anon(s).Users.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Login: "walter", Password: apptest.Password}))
		apptest.WantCode(t, err, connect.CodeUnauthenticated)
		login(t, "walter", "a brand new passphrase")
	})

	t.Run("Logout with only a refresh token", func(t *testing.T) {
		apptest.Register(t, anon(s), "leo")
		lr := login(t, "leo", apptest.Password)
		// No access token at all: the refresh token is the authority.
		_, err := anon(s).Users.Logout(ctx, connect.NewRequest(&userv1.LogoutRequest{RefreshToken: lr.Tokens.RefreshToken}))
		apptest.MustOK(t, "Logout without an access token", err)
		apptest.WantCode(t, refresh(lr.Tokens.RefreshToken), connect.CodeUnauthenticated)
	})

	t.Run("a reused rotated refresh token kills its family", func(t *testing.T) {
		apptest.Register(t, anon(s), "rita")
		first := login(t, "rita", apptest.Password)
		elsewhere := login(t, "rita", apptest.Password)
		rotated, err := anon(s).Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: first.Tokens.RefreshToken}))
		apptest.MustOK(t, "RefreshToken", err)
		// The thief (or the owner) presents the rotated token again.
		apptest.WantCode(t, refresh(first.Tokens.RefreshToken), connect.CodeUnauthenticated)
		apptest.WantCode(t, refresh(rotated.Msg.Tokens.RefreshToken), connect.CodeUnauthenticated)
		apptest.MustOK(t, "another sign-in's refresh", refresh(elsewhere.Tokens.RefreshToken))
	})
}

// TestRevocationAcrossReplicas: two server processes on one Cassandra, one
// issuer (the same --public-url and signing key) and one broker. A change
// made through replica A reaches tokens presented to replica B within B's
// account cache lifetime; refresh tokens die at once, being read from the
// store.
func TestRevocationAcrossReplicas(t *testing.T) {
	requireE2E(t)
	if os.Getenv("BACKBEAT_E2E_STORE") != "cassandra" {
		t.Skip("replicas share a Cassandra store: runs in the BACKBEAT_E2E_STORE=cassandra pass")
	}
	dirA, dirB := t.TempDir(), t.TempDir()
	natsAddr := freeAddr(t)
	keyspace := storeFlags(t, dirA)
	shared := append([]string{"--public-url", "http://backbeat.replicas.test"}, keyspace...)
	a := startServer(t, dirA, append(shared, brokerFlags(natsAddr)...)...)
	// One issuer: B signs and verifies with A's key.
	key, err := os.ReadFile(filepath.Join(dirA, auth.SigningKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirB, auth.SigningKeyFile), key, 0o600); err != nil {
		t.Fatal(err)
	}
	b := startServer(t, dirB, append(shared, "--nats-url", "nats://"+natsAddr, "--nats-user", brokerUser, "--nats-password", brokerPassword)...)
	ctx := apptest.Context(t)
	root := as(a, registerAdmin(t, a, "root"))

	bossTok := registerAdmin(t, a, "boss")
	onB := as(b, bossTok)
	_, err = onB.Users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{}))
	apptest.MustOK(t, "boss's token on replica B", err)
	_, err = root.Users.SetUserRoles(ctx, connect.NewRequest(&userv1.SetUserRolesRequest{UserId: mustUser(t, root, "boss")}))
	apptest.MustOK(t, "demote boss through A", err)
	took := apptest.WaitCode(t, "ListUsers on B with the demoted admin's token", connect.CodePermissionDenied, revokeBound, func() error {
		_, err := onB.Users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{}))
		return err
	})
	t.Logf("demotion through A applied on B after %v", took)

	_, victim := apptest.Register(t, anon(a), "victim")
	lr := apptest.Login(t, anon(b), "victim", apptest.Password)
	getMe := func() error {
		_, err := as(b, lr.Tokens.AccessToken).Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
		return err
	}
	apptest.MustOK(t, "victim's GetMe on B", getMe())
	_, err = root.Users.DisableUser(ctx, connect.NewRequest(&userv1.DisableUserRequest{UserId: victim.Id}))
	apptest.MustOK(t, "disable victim through A", err)
	_, err = anon(b).Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: lr.Tokens.RefreshToken}))
	apptest.WantCode(t, err, connect.CodeUnauthenticated)
	took = apptest.WaitCode(t, "GetMe on B with the disabled account's token", connect.CodeUnauthenticated, revokeBound, getMe)
	t.Logf("disabling through A applied on B after %v", took)
}

// mustUser returns the id of the account named username, as an admin sees it.
func mustUser(t *testing.T, admin apptest.API, username string) string {
	t.Helper()
	res, err := admin.Users.ListUsers(apptest.Context(t), connect.NewRequest(&userv1.ListUsersRequest{UsernamePrefix: username}))
	apptest.MustOK(t, "ListUsers", err)
	for _, u := range res.Msg.Users {
		if u.Username == username {
			return u.Id
		}
	}
	t.Fatalf("no user %q", username)
	return ""
}
