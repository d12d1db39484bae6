package domain

import (
	"context"
	"slices"
	"time"

	"github.com/backbeat/backbeat/server/derrors"
)

// Revocation. An access token is a signed statement that cannot be taken
// back, so what it says is not trusted beyond who it names and when it was
// issued: on every request the caller's roles, disabled flag and existence
// come from the account (through a short cache the server keeps, see
// server/app), and a token issued under an older session epoch than the
// account's is refused. Ending an account's sessions (ChangePassword,
// LogoutEverywhere, DisableUser, EndUserSessions) moves the epoch forward:
// every refresh session and access token issued before it dies at once in
// the store and within the cache's lifetime on every replica.

// errDisabled is what a disabled account's sign-in gets.
func errDisabled() error { return PermissionDenied("account disabled") }

// Account is what the request path needs to know about a user to admit a
// token: small, so a cache of them is cheap.
type Account struct {
	UserID       string
	Roles        []Role
	Disabled     bool
	SessionEpoch int64
}

// AccountOf returns u's Account.
func AccountOf(u *User) Account {
	return Account{UserID: u.ID, Roles: slices.Clone(u.Roles), Disabled: u.Disabled, SessionEpoch: u.SessionEpoch}
}

// Admit checks a token of the embedded issuer, issued under tokenEpoch,
// against the account, and returns the principal it may act as: the
// account's current roles, whatever the token says.
func (a Account) Admit(tokenEpoch int64) (Principal, error) {
	if a.Disabled {
		return Principal{}, Unauthenticated("account disabled")
	}
	if tokenEpoch < a.SessionEpoch {
		return Principal{}, Unauthenticated("session ended: sign in again")
	}
	return Principal{UserID: a.UserID, Roles: slices.Clone(a.Roles)}, nil
}

// AdmitIssuedAt checks a token of an external issuer, which carries no
// Backbeat epoch: a token issued (iat, whole seconds) no later than the
// second the sessions were ended is refused. Refusing a token issued in that
// same second but after the end errs on the safe side; the user signs in at
// the provider again.
func (a Account) AdmitIssuedAt(issuedAt time.Time) (Principal, error) {
	if a.SessionEpoch != 0 && (issuedAt.IsZero() || issuedAt.UnixMicro() <= a.SessionEpoch) {
		return Principal{}, Unauthenticated("session ended: sign in again")
	}
	return a.Admit(a.SessionEpoch)
}

// Account returns the account of userID for admitting its tokens;
// KindUnauthenticated if it no longer exists.
func (s *Users) Account(ctx context.Context, userID string) (_ Account, err error) {
	defer derrors.Wrap(&err, "Users.Account(%q)", userID)
	u, err := s.stores.Users.GetUser(ctx, userID)
	if IsKind(err, KindNotFound) {
		return Account{}, Unauthenticated("account no longer exists")
	}
	if err != nil {
		return Account{}, err
	}
	return AccountOf(u), nil
}

// nextEpoch is the epoch that ends the sessions of an account now at cur:
// the current time in microseconds (which external tokens' issue times are
// compared with), and always above cur, whatever the clock did.
func (s *Users) nextEpoch(cur int64) int64 {
	return max(s.cfg.Now().UnixMicro(), cur+1)
}

// endSessions moves u's epoch forward in the store and in u.
func (s *Users) endSessions(ctx context.Context, u *User) error {
	epoch := s.nextEpoch(u.SessionEpoch)
	if err := s.stores.Users.EndUserSessions(ctx, u.ID, epoch); err != nil {
		return err
	}
	u.SessionEpoch = epoch
	s.changed(u.ID)
	return nil
}

func (s *Users) changed(userID string) {
	if s.cfg.AccountChanged != nil {
		s.cfg.AccountChanged(userID)
	}
}

// ChangePassword replaces the caller's password after checking the current
// one, ends every session of the account (a password change is what one does
// after a leak, so the old sessions must not survive it) and signs the
// caller in afresh.
func (s *Users) ChangePassword(ctx context.Context, p Principal, current, next string) (_ Tokens, err error) {
	defer derrors.Wrap(&err, "Users.ChangePassword(%q)", p.UserID)
	if err := s.refuseExternal(); err != nil {
		return Tokens{}, err
	}
	u, err := s.stores.Users.GetUser(ctx, p.UserID)
	if err != nil {
		return Tokens{}, err
	}
	if u.PasswordHash == "" {
		return Tokens{}, FailedPrecondition("the account has no password: it signs in through %s", u.ExternalIssuer)
	}
	ok, err := s.creds.CheckPassword(u.PasswordHash, current)
	if err != nil {
		return Tokens{}, err
	}
	if !ok {
		return Tokens{}, PermissionDenied("current password is wrong")
	}
	if u.PasswordHash, err = s.creds.HashPassword(next); err != nil {
		return Tokens{}, err
	}
	// Sessions end first: should the update then fail, the account is
	// signed out with its old password, never left with old sessions and a
	// new password.
	if err := s.endSessions(ctx, u); err != nil {
		return Tokens{}, err
	}
	u.UpdateTime = s.cfg.Now().UTC()
	if err := s.stores.Users.UpdateUser(ctx, u); err != nil {
		return Tokens{}, err
	}
	return s.issue(ctx, u, "")
}

// LogoutEverywhere ends every session of the caller.
func (s *Users) LogoutEverywhere(ctx context.Context, p Principal) (err error) {
	defer derrors.Wrap(&err, "Users.LogoutEverywhere(%q)", p.UserID)
	u, err := s.stores.Users.GetUser(ctx, p.UserID)
	if err != nil {
		return err
	}
	return s.endSessions(ctx, u)
}

// DisableUser is for admins: the account can no longer sign in, refresh or
// use a token, and its sessions end, so enabling it again does not bring
// back tokens that may have leaked meanwhile. An admin cannot disable
// themself, for the reason SetUserRoles keeps their admin role.
func (s *Users) DisableUser(ctx context.Context, p Principal, userID string) (_ *User, err error) {
	defer derrors.Wrap(&err, "Users.DisableUser(%q)", userID)
	if !p.IsAdmin() {
		return nil, PermissionDenied("disabling accounts needs the admin role")
	}
	if userID == p.UserID {
		return nil, FailedPrecondition("admins cannot disable their own account")
	}
	return s.setDisabled(ctx, userID, true)
}

// EnableUser is for admins: the account may sign in again.
func (s *Users) EnableUser(ctx context.Context, p Principal, userID string) (_ *User, err error) {
	defer derrors.Wrap(&err, "Users.EnableUser(%q)", userID)
	if !p.IsAdmin() {
		return nil, PermissionDenied("enabling accounts needs the admin role")
	}
	return s.setDisabled(ctx, userID, false)
}

func (s *Users) setDisabled(ctx context.Context, userID string, disabled bool) (*User, error) {
	u, err := s.stores.Users.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	if err := s.stores.Users.SetUserDisabled(ctx, userID, disabled); err != nil {
		return nil, err
	}
	u.Disabled = disabled
	s.changed(userID)
	if disabled {
		if err := s.endSessions(ctx, u); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// EndUserSessions is for admins: every session of the user ends.
func (s *Users) EndUserSessions(ctx context.Context, p Principal, userID string) (err error) {
	defer derrors.Wrap(&err, "Users.EndUserSessions(%q)", userID)
	if !p.IsAdmin() {
		return PermissionDenied("ending another user's sessions needs the admin role")
	}
	u, err := s.stores.Users.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	return s.endSessions(ctx, u)
}
