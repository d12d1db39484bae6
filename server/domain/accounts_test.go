package domain_test

import (
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/embedded"
)

const pw = "correct horse battery"

func newAccounts(t *testing.T) (*domain.Users, *domain.User, *[]string) {
	t.Helper()
	ctx := t.Context()
	s, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var changed []string
	users := domain.NewUsers(s.Stores(), plainCreds{}, domain.UsersConfig{AccountChanged: func(id string) { changed = append(changed, id) }})
	u, _, err := users.Register(ctx, domain.RegisterInput{Username: "alice", Email: "alice@example.com", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	return users, u, &changed
}

func wantRefreshRefused(t *testing.T, users *domain.Users, refresh, why string) {
	t.Helper()
	if _, err := users.Refresh(t.Context(), refresh); !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Fatalf("Refresh %s: %v, want unauthenticated", why, err)
	}
}

// TestChangePassword: the current password is required; a change ends every
// session (the caller's other sign-ins included) and returns working tokens.
func TestChangePassword(t *testing.T) {
	ctx := t.Context()
	users, u, _ := newAccounts(t)
	me := domain.Principal{UserID: u.ID, Roles: u.Roles}
	_, here, err := users.Login(ctx, "alice", pw)
	if err != nil {
		t.Fatal(err)
	}
	_, elsewhere, err := users.Login(ctx, "alice", pw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := users.ChangePassword(ctx, me, "wrong password", "a new passphrase"); !domain.IsKind(err, domain.KindPermissionDenied) {
		t.Fatalf("ChangePassword with a wrong current password: %v, want permission denied", err)
	}
	// Refused: nothing changed, the sessions live.
	here, err = users.Refresh(ctx, here.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh after a refused change: %v", err)
	}
	fresh, err := users.ChangePassword(ctx, me, pw, "a new passphrase")
	if err != nil {
		t.Fatal(err)
	}
	wantRefreshRefused(t, users, here.RefreshToken, "of the caller's session from before the change")
	wantRefreshRefused(t, users, elsewhere.RefreshToken, "of another sign-in from before the change")
	if _, err := users.Refresh(ctx, fresh.RefreshToken); err != nil {
		t.Fatalf("Refresh of the tokens ChangePassword returned: %v", err)
	}
	if _, _, err := users.Login(ctx, "alice", pw); !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Fatalf("Login with the old password: %v, want unauthenticated", err)
	}
	if _, _, err := users.Login(ctx, "alice", "a new passphrase"); err != nil {
		t.Fatalf("Login with the new password: %v", err)
	}
	a, err := users.Account(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Admit(u.SessionEpoch); !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Fatalf("an access token from before the change: %v, want unauthenticated", err)
	}
}

// TestLogoutEverywhere ends every refresh session and every access token of
// the account, and a new sign-in works.
func TestLogoutEverywhere(t *testing.T) {
	ctx := t.Context()
	users, u, changed := newAccounts(t)
	_, a, _ := users.Login(ctx, "alice", pw)
	_, b, _ := users.Login(ctx, "alice", pw)
	before, err := users.Account(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := users.LogoutEverywhere(ctx, domain.Principal{UserID: u.ID}); err != nil {
		t.Fatal(err)
	}
	wantRefreshRefused(t, users, a.RefreshToken, "of a session from before LogoutEverywhere")
	wantRefreshRefused(t, users, b.RefreshToken, "of another session from before LogoutEverywhere")
	after, err := users.Account(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := after.Admit(before.SessionEpoch); !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Fatalf("an access token from before LogoutEverywhere: %v, want unauthenticated", err)
	}
	if len(*changed) == 0 || (*changed)[len(*changed)-1] != u.ID {
		t.Fatalf("AccountChanged calls %v, want the account named", *changed)
	}
	_, c, err := users.Login(ctx, "alice", pw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := users.Refresh(ctx, c.RefreshToken); err != nil {
		t.Fatalf("Refresh of a new sign-in: %v", err)
	}
}

// TestDisabledAccount: a disabled account cannot sign in (permission denied,
// told only to whoever knows the password), refresh, or use its tokens; once
// enabled it signs in again but its old sessions stay dead.
func TestDisabledAccount(t *testing.T) {
	ctx := t.Context()
	users, u, _ := newAccounts(t)
	root := domain.Principal{UserID: domain.NewID(), Roles: []domain.Role{domain.RoleListener, domain.RoleAdmin}}
	_, old, _ := users.Login(ctx, "alice", pw)
	epoch := u.SessionEpoch
	if _, err := users.DisableUser(ctx, root, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := users.Login(ctx, "alice", pw); !domain.IsKind(err, domain.KindPermissionDenied) {
		t.Fatalf("Login of a disabled account: %v, want permission denied", err)
	}
	if _, _, err := users.Login(ctx, "alice", "wrong password"); !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Fatalf("Login of a disabled account with a wrong password: %v, want unauthenticated (nothing told)", err)
	}
	wantRefreshRefused(t, users, old.RefreshToken, "of a disabled account")
	a, err := users.Account(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Admit(a.SessionEpoch); !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Fatalf("a current token of a disabled account: %v, want unauthenticated", err)
	}
	got, err := users.GetUser(ctx, root, u.ID)
	if err != nil || !got.Disabled {
		t.Fatalf("admin's GetUser: %+v, %v; want it shown disabled", got, err)
	}
	got, err = users.GetUser(ctx, domain.Principal{UserID: domain.NewID(), Roles: []domain.Role{domain.RoleListener}}, u.ID)
	if err != nil || got.Disabled {
		t.Fatalf("another listener's GetUser: %+v, %v; want the flag hidden", got, err)
	}

	if _, err := users.EnableUser(ctx, root, u.ID); err != nil {
		t.Fatal(err)
	}
	_, fresh, err := users.Login(ctx, "alice", pw)
	if err != nil {
		t.Fatalf("Login after EnableUser: %v", err)
	}
	if _, err := users.Refresh(ctx, fresh.RefreshToken); err != nil {
		t.Fatalf("Refresh of a sign-in after EnableUser: %v", err)
	}
	a, err = users.Account(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Admit(epoch); !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Fatalf("an access token from before DisableUser, after EnableUser: %v, want unauthenticated", err)
	}
}

// TestAccountAdmit: the principal's roles are the account's, not the
// token's; an external token is refused when issued no later than the
// moment the sessions ended.
func TestAccountAdmit(t *testing.T) {
	a := domain.Account{UserID: domain.NewID(), Roles: []domain.Role{domain.RoleListener}, SessionEpoch: 0}
	p, err := a.Admit(0)
	if err != nil || p.IsAdmin() || p.UserID != a.UserID {
		t.Fatalf("Admit = %+v, %v; want the account's listener principal", p, err)
	}
	ended := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	a.SessionEpoch = ended.UnixMicro()
	for _, tc := range []struct {
		iat  time.Time
		want bool
	}{
		{time.Time{}, false},
		{ended.Add(-time.Hour), false},
		{ended.Truncate(time.Second), false}, // same second: may be older
		{ended.Truncate(time.Second).Add(time.Second), true},
	} {
		_, err := a.AdmitIssuedAt(tc.iat)
		if (err == nil) != tc.want {
			t.Errorf("AdmitIssuedAt(%v) = %v, want admitted %t", tc.iat, err, tc.want)
		}
	}
	if _, err := a.Admit(a.SessionEpoch - 1); !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Fatalf("Admit(older epoch) = %v, want unauthenticated", err)
	}
	if _, err := a.Admit(a.SessionEpoch); err != nil {
		t.Fatalf("Admit(current epoch) = %v", err)
	}
}
