package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// TestAdminsFlagRefused: --admins made admin whoever registered first with
// a listed email, unverified. It is refused at start, from the command line
// or the environment, and the message says what to do instead.
func TestAdminsFlagRefused(t *testing.T) {
	for _, in := range []*invocation{
		invoke(t, nil, "serve", "--admins", "boss@example.com"),
		invoke(t, map[string]string{"BACKBEAT_ADMINS": "boss@example.com"}, "serve"),
	} {
		if in.err == nil || in.served != nil {
			t.Fatalf("serve with --admins: served %v, err %v; want refused before serving", in.served != nil, in.err)
		}
		if msg := in.err.Error(); !strings.Contains(msg, "--admins") || !strings.Contains(msg, "backbeat admin grant") {
			t.Errorf("error %q does not name --admins and point to 'backbeat admin grant'", msg)
		}
	}
	if in := invoke(t, map[string]string{"BACKBEAT_ADMINS": ""}, "serve"); in.err != nil {
		t.Errorf("an empty BACKBEAT_ADMINS: %v; want ignored", in.err)
	}
}

// TestAdminGrant runs backbeat admin in-process against the embedded data
// directory of a running server: a stranger who registers with the email an
// operator might have listed gets nothing, the operator grants admin to an
// existing username, and an unknown username is refused.
func TestAdminGrant(t *testing.T) {
	s := apptest.Start(t)
	ctx := apptest.Context(t)
	// The old attack: register first with the boss's address.
	res, err := s.Anon().Users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{
		Username: "mallory", Email: "BOSS@example.com", Password: apptest.Password,
	}))
	apptest.MustOK(t, "register mallory as BOSS@example.com", err)
	if roles := res.Msg.User.Roles; len(roles) != 1 || roles[0] != userv1.Role_ROLE_LISTENER {
		t.Fatalf("mallory registered with roles %v; want listener only", roles)
	}
	_, err = s.As(res.Msg.Tokens.AccessToken).Users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{}))
	apptest.WantCode(t, err, connect.CodePermissionDenied)

	s.Register(t, "chief")
	data := []string{"--data-dir", s.DataDir}
	if in := invoke(t, nil, "admin", "list", "--data-dir", s.DataDir); in.err != nil || !strings.Contains(in.stdout.String(), "no admins") {
		t.Fatalf("admin list before any grant: err %v, stdout %q", in.err, in.stdout.String())
	}
	in := invoke(t, nil, append([]string{"admin", "grant", "chief"}, data...)...)
	if in.err != nil || !strings.Contains(in.stdout.String(), "chief") || !strings.Contains(in.stdout.String(), "is now admin") {
		t.Fatalf("admin grant chief: err %v, stdout %q", in.err, in.stdout.String())
	}
	// Flags before the username work too, and the environment names the store.
	in = invoke(t, map[string]string{"BACKBEAT_DATA_DIR": s.DataDir}, "admin", "grant", "--store", "embedded", "chief")
	if in.err != nil || !strings.Contains(in.stdout.String(), "already admin") {
		t.Fatalf("admin grant chief again: err %v, stdout %q", in.err, in.stdout.String())
	}
	// The running server reads roles from the store, through its account
	// cache: the grant applies within its lifetime.
	chief := s.As(s.Login(t, "chief", apptest.Password).Tokens.AccessToken)
	apptest.WaitAdmin(t, chief)
	in = invoke(t, nil, append([]string{"admin", "list"}, data...)...)
	if in.err != nil || !strings.HasPrefix(in.stdout.String(), "chief\t") || strings.Contains(in.stdout.String(), "mallory") {
		t.Fatalf("admin list: err %v, stdout %q; want chief alone", in.err, in.stdout.String())
	}

	for _, name := range []string{"nobody", "CHIEF", "boss@example.com"} {
		in = invoke(t, nil, append([]string{"admin", "grant", name}, data...)...)
		if in.err == nil || exitCode(in.err) == 0 || !strings.Contains(in.err.Error(), "no account named") {
			t.Errorf("admin grant %s: err %v, stdout %q; want refused naming the unknown account", name, in.err, in.stdout.String())
		}
	}
	// A mistyped data directory is refused, not created empty.
	missing := s.DataDir + "-typo"
	if in := invoke(t, nil, "admin", "grant", "chief", "--data-dir", missing); in.err == nil || !strings.Contains(in.err.Error(), "no embedded store") {
		t.Errorf("admin grant on a missing data dir: err %v; want refused", in.err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("admin grant created %s (%v)", missing, err)
	}
	for _, args := range [][]string{{"admin"}, {"admin", "grant"}, {"admin", "promote", "chief"}, {"admin", "grant", "chief", "mallory"}, {"admin", "list", "chief"}} {
		if in := invoke(t, nil, append(args, data...)...); in.err == nil || exitCode(in.err) == 0 {
			t.Errorf("%v: err %v; want a usage error", args, in.err)
		}
	}

	in = invoke(t, nil, append([]string{"admin", "revoke", "chief"}, data...)...)
	if in.err != nil || !strings.Contains(in.stdout.String(), "no longer admin") {
		t.Fatalf("admin revoke chief: err %v, stdout %q", in.err, in.stdout.String())
	}
	// The token chief already holds loses the role too, within the account
	// cache's lifetime.
	apptest.WaitCode(t, "chief's token after admin revoke", connect.CodePermissionDenied, app.AccountCacheTTL+5*time.Second, func() error {
		_, err := chief.Users.ListUsers(ctx, connect.NewRequest(&userv1.ListUsersRequest{}))
		return err
	})
}
