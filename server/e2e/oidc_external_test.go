package e2e

import (
	"testing"
	"time"

	"connectrpc.com/connect"

	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/testenv/keycloaktest"
)

// TestExternalOIDC points the server at a real Keycloak: its tokens are
// verified through discovery and JWKS, their subjects become Backbeat users
// on first sight, and local sign-up is refused.
func TestExternalOIDC(t *testing.T) {
	requireE2E(t)
	kc := keycloaktest.Shared(t)
	s := startServer(t, t.TempDir(), "--oidc-issuer", kc.Issuer(), "--oidc-audience", kc.ClientID())
	ctx := apptest.Context(t)

	aliceTok, err := kc.Password(ctx, keycloaktest.AliceUsername, keycloaktest.AlicePassword)
	apptest.MustOK(t, "alice password grant", err)
	alice := as(s, aliceTok)
	me, err := alice.Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
	apptest.MustOK(t, "GetMe with a Keycloak token", err)
	if me.Msg.User.Username != keycloaktest.AliceUsername || me.Msg.User.Email != keycloaktest.AliceEmail {
		t.Fatalf("first-sight user = %v, want alice with her email", me.Msg.User)
	}
	again, err := alice.Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
	apptest.MustOK(t, "GetMe again", err)
	if again.Msg.User.Id != me.Msg.User.Id {
		t.Fatalf("the same subject mapped to two users: %s and %s", me.Msg.User.Id, again.Msg.User.Id)
	}
	pl, err := alice.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "From Keycloak"}}))
	apptest.MustOK(t, "CreatePlaylist", err)
	if pl.Msg.Playlist.OwnerId != me.Msg.User.Id {
		t.Fatalf("playlist owner %s, want %s", pl.Msg.Playlist.OwnerId, me.Msg.User.Id)
	}

	// The operator's admin bootstrap applies to external users too, once
	// their account exists (first sight). Their roles are read from the
	// store through the account cache, so bob's grant shows within its
	// lifetime.
	bobTok, err := kc.Password(ctx, keycloaktest.BobUsername, keycloaktest.BobPassword)
	apptest.MustOK(t, "bob password grant", err)
	bob := as(s, bobTok)
	_, err = bob.Users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{}))
	apptest.WantCode(t, err, connect.CodePermissionDenied)
	grantAdmin(t, s, keycloaktest.BobUsername)
	for deadline := time.Now().Add(revokeBound); ; time.Sleep(100 * time.Millisecond) {
		_, err = bob.Users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{}))
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	apptest.MustOK(t, "bob (granted admin) lists users", err)
	_, err = alice.Users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{}))
	apptest.WantCode(t, err, connect.CodePermissionDenied)

	// Revocation reaches provider tokens too. They carry no Backbeat epoch:
	// one issued no later than the second the sessions ended is refused, and
	// a token issued afterwards works.
	_, err = bob.Users.DisableUser(ctx, connect.NewRequest(&userv1.DisableUserRequest{UserId: me.Msg.User.Id}))
	apptest.MustOK(t, "bob disables alice", err)
	_, err = alice.Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
	apptest.WantCode(t, err, connect.CodeUnauthenticated)
	_, err = bob.Users.EnableUser(ctx, connect.NewRequest(&userv1.EnableUserRequest{UserId: me.Msg.User.Id}))
	apptest.MustOK(t, "bob enables alice", err)
	_, err = alice.Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
	apptest.WantCode(t, err, connect.CodeUnauthenticated)
	time.Sleep(1100 * time.Millisecond) // iat is whole seconds
	aliceTok, err = kc.Password(ctx, keycloaktest.AliceUsername, keycloaktest.AlicePassword)
	apptest.MustOK(t, "alice signs in at the provider again", err)
	alice = as(s, aliceTok)
	_, err = alice.Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
	apptest.MustOK(t, "GetMe with a token issued after the sessions ended", err)
	// The password is the provider's.
	_, err = alice.Users.ChangePassword(ctx, connect.NewRequest(&userv1.ChangePasswordRequest{CurrentPassword: keycloaktest.AlicePassword, NewPassword: "long enough pw"}))
	apptest.WantCode(t, err, connect.CodeFailedPrecondition)
	_, err = alice.Users.LogoutEverywhere(ctx, connect.NewRequest(&userv1.LogoutEverywhereRequest{}))
	apptest.MustOK(t, "alice signs out everywhere", err)
	_, err = alice.Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
	apptest.WantCode(t, err, connect.CodeUnauthenticated)

	// Accounts belong to the provider: local sign-up and sign-in are refused,
	// and the message names where to go instead.
	_, err = anon(s).Users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{Username: "mallory", Email: "m@example.com", Password: "long enough pw"}))
	apptest.WantCode(t, err, connect.CodeFailedPrecondition)
	if !contains(err.Error(), kc.Issuer()) {
		t.Fatalf("Register error %q does not name the provider %s", err, kc.Issuer())
	}
	_, err = anon(s).Users.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Login: "alice", Password: keycloaktest.AlicePassword}))
	apptest.WantCode(t, err, connect.CodeFailedPrecondition)

	// A token from the server's own (now unused) issuer key is not trusted,
	// nor is a tampered Keycloak token.
	_, err = as(s, apptest.Mint(t, s.dataDir, s.URL(), kc.ClientID(), time.Now(), me.Msg.User.Id)).Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
	apptest.WantCode(t, err, connect.CodeUnauthenticated)
	tampered := aliceTok[:len(aliceTok)-4] + "AAAA"
	_, err = as(s, tampered).Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
	apptest.WantCode(t, err, connect.CodeUnauthenticated)
}
