package domain

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/backbeat/backbeat/server/derrors"
)

// Credentials is what the user service needs from the auth layer: password
// hashing, refresh token material and access token minting. Declared here so
// the domain does not depend on how tokens are made.
type Credentials interface {
	HashPassword(password string) (string, error)
	CheckPassword(encoded, password string) (bool, error)
	NewRefreshToken() (token, hash string)
	HashRefreshToken(token string) string
	// MintAccessToken signs an access token carrying the session epoch it
	// was issued under (see User.SessionEpoch).
	MintAccessToken(userID string, roles []Role, epoch int64) (token string, expires time.Time, err error)
}

// Tokens are what a sign-in returns.
type Tokens struct {
	AccessToken        string
	AccessTokenExpire  time.Time
	RefreshToken       string
	RefreshTokenExpire time.Time
}

// UsersConfig configures the user service.
type UsersConfig struct {
	// ExternalIssuer, when set, names the identity provider that owns
	// accounts: local registration and password sign-in are refused.
	ExternalIssuer string
	RefreshTTL     time.Duration
	Now            func() time.Time
	// Janitor removes the media of tracks that go with a deleted account.
	Janitor *Janitor
	// AccountChanged, when set, is told the id of every account whose roles,
	// disabled flag or session epoch changed, or that was deleted, right
	// after the store took the change: a cache of accounts in front of the
	// request path forgets it, so this replica applies it at once (others
	// within their cache's lifetime).
	AccountChanged func(userID string)
}

// Users holds the rules for accounts, sessions and follows.
type Users struct {
	stores Stores
	creds  Credentials
	cfg    UsersConfig

	dummyOnce sync.Once
	dummyHash string
}

func NewUsers(stores Stores, creds Credentials, cfg UsersConfig) *Users {
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = 30 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Users{stores: stores, creds: creds, cfg: cfg}
}

// UsernamePattern is what a username looks like.
var UsernamePattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{2,31}$`)

// RegisterInput is a validated registration request.
type RegisterInput struct {
	Username    string
	Email       string
	Password    string
	DisplayName string
}

func (s *Users) refuseExternal() error {
	if s.cfg.ExternalIssuer != "" {
		return FailedPrecondition("accounts are managed by the identity provider %s: sign in there", s.cfg.ExternalIssuer)
	}
	return nil
}

// initialRoles are every new account's: listener, nothing more, whatever
// its username or email. Admins come from an operator (OperatorSetAdmin) or
// another admin (SetUserRoles), never from what a stranger can type at
// sign-up: an email is not verified, and a username is first come, first
// served.
func initialRoles() []Role { return []Role{RoleListener} }

// Register creates a listener account and signs it in.
func (s *Users) Register(ctx context.Context, in RegisterInput) (_ *User, _ Tokens, err error) {
	defer derrors.Wrap(&err, "Users.Register(%q)", in.Username)
	if err := s.refuseExternal(); err != nil {
		return nil, Tokens{}, err
	}
	hash, err := s.creds.HashPassword(in.Password)
	if err != nil {
		return nil, Tokens{}, err
	}
	now := s.cfg.Now().UTC()
	u := &User{
		ID:           NewID(),
		Username:     strings.ToLower(in.Username),
		Email:        in.Email,
		DisplayName:  in.DisplayName,
		Roles:        initialRoles(),
		PasswordHash: hash,
		CreateTime:   now,
		UpdateTime:   now,
	}
	if u.DisplayName == "" {
		u.DisplayName = in.Username
	}
	if err := s.stores.Users.CreateUser(ctx, u); err != nil {
		return nil, Tokens{}, err
	}
	toks, err := s.issue(ctx, u, "")
	if err != nil {
		return nil, Tokens{}, err
	}
	return u, toks, nil
}

// errBadLogin is one message for unknown users and wrong passwords alike, so
// sign-in does not tell which accounts exist.
func errBadLogin() error { return Unauthenticated("invalid login or password") }

// Login signs a user in with a username or email and a password.
func (s *Users) Login(ctx context.Context, login, password string) (_ *User, _ Tokens, err error) {
	defer derrors.Wrap(&err, "Users.Login(%q)", login)
	if err := s.refuseExternal(); err != nil {
		return nil, Tokens{}, err
	}
	var u *User
	if strings.Contains(login, "@") {
		u, err = s.stores.Users.GetUserByEmail(ctx, login)
	} else {
		u, err = s.stores.Users.GetUserByUsername(ctx, login)
	}
	if IsKind(err, KindNotFound) || (err == nil && u.PasswordHash == "") {
		s.burnPasswordCheck(password)
		return nil, Tokens{}, errBadLogin()
	}
	if err != nil {
		return nil, Tokens{}, err
	}
	ok, err := s.creds.CheckPassword(u.PasswordHash, password)
	if err != nil {
		return nil, Tokens{}, err
	}
	if !ok {
		return nil, Tokens{}, errBadLogin()
	}
	// Only after the password: whether an account is disabled is told to
	// whoever knows its password, not to anyone guessing usernames.
	if u.Disabled {
		return nil, Tokens{}, errDisabled()
	}
	toks, err := s.issue(ctx, u, "")
	if err != nil {
		return nil, Tokens{}, err
	}
	return u, toks, nil
}

// burnPasswordCheck spends the time a real password check takes, so
// response times do not tell which logins exist.
func (s *Users) burnPasswordCheck(password string) {
	s.dummyOnce.Do(func() { s.dummyHash, _ = s.creds.HashPassword("backbeat-no-such-user") })
	if s.dummyHash != "" {
		_, _ = s.creds.CheckPassword(s.dummyHash, password)
	}
}

// issue mints tokens for u. The refresh token's session joins family, or
// starts its own (a sign-in) when family is "".
func (s *Users) issue(ctx context.Context, u *User, family string) (Tokens, error) {
	access, exp, err := s.creds.MintAccessToken(u.ID, u.Roles, u.SessionEpoch)
	if err != nil {
		return Tokens{}, err
	}
	refresh, hash := s.creds.NewRefreshToken()
	if family == "" {
		family = hash
	}
	now := s.cfg.Now().UTC()
	sess := &Session{TokenHash: hash, UserID: u.ID, FamilyID: family, Epoch: u.SessionEpoch, CreateTime: now, ExpireTime: now.Add(s.cfg.RefreshTTL)}
	if err := s.stores.Users.CreateSession(ctx, sess); err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: access, AccessTokenExpire: exp, RefreshToken: refresh, RefreshTokenExpire: sess.ExpireTime}, nil
}

// Refresh rotates a refresh token: the old one is consumed, new tokens carry
// the user's current roles and the old session's family. A consumed token
// presented again means two parties hold the family's tokens (a thief and
// its owner): every live session of the family is revoked, so neither keeps
// one, and the answer is unauthenticated like any spent token's.
func (s *Users) Refresh(ctx context.Context, refreshToken string) (_ Tokens, err error) {
	defer derrors.Wrap(&err, "Users.Refresh")
	if err := s.refuseExternal(); err != nil {
		return Tokens{}, err
	}
	hash := s.creds.HashRefreshToken(refreshToken)
	spent := Unauthenticated("refresh token invalid, expired or already used")
	sess, err := s.stores.Users.ConsumeSession(ctx, hash)
	if IsKind(err, KindNotFound) {
		if err := s.revokeReused(ctx, hash); err != nil {
			return Tokens{}, err
		}
		return Tokens{}, spent
	}
	if err != nil {
		return Tokens{}, err
	}
	family := sess.FamilyID
	if family == "" {
		family = sess.TokenHash // a session from before families: its own
	}
	// Recorded before the successor exists. A reuse arriving between this
	// and the successor's creation revokes the family without it, so the
	// successor survives: the window is this request's remaining duration.
	now := s.cfg.Now().UTC()
	if err := s.stores.Users.RecordConsumedSession(ctx, &ConsumedSession{TokenHash: hash, FamilyID: family, ExpireTime: now.Add(s.cfg.RefreshTTL)}); err != nil {
		return Tokens{}, err
	}
	u, err := s.stores.Users.GetUser(ctx, sess.UserID)
	if IsKind(err, KindNotFound) {
		return Tokens{}, spent
	}
	if err != nil {
		return Tokens{}, err
	}
	// A session from before the account's sessions were ended (a password
	// change, sign-out everywhere, an admin) is as dead as a spent one.
	if sess.Epoch < u.SessionEpoch {
		return Tokens{}, spent
	}
	if u.Disabled {
		return Tokens{}, Unauthenticated("account disabled")
	}
	return s.issue(ctx, u, family)
}

// revokeReused revokes the family of hash if hash is a consumed token's.
func (s *Users) revokeReused(ctx context.Context, hash string) error {
	c, err := s.stores.Users.GetConsumedSession(ctx, hash)
	if IsKind(err, KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.stores.Users.RevokeSessionFamily(ctx, c.FamilyID)
}

// Logout revokes a refresh token; the token is its only authority (there is
// no signed-in caller: an expired access token must not stop a sign-out).
// Revoking an unknown token succeeds: the caller's intent, that the token not
// work, holds either way.
func (s *Users) Logout(ctx context.Context, refreshToken string) (err error) {
	defer derrors.Wrap(&err, "Users.Logout")
	if err := s.stores.Users.DeleteSession(ctx, s.creds.HashRefreshToken(refreshToken)); err != nil {
		return err
	}
	return nil
}

// GetMe returns the caller's own account.
func (s *Users) GetMe(ctx context.Context, p Principal) (_ *User, err error) {
	defer derrors.Wrap(&err, "Users.GetMe")
	u, err := s.stores.Users.GetUser(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	return u, nil
}

// UpdateMe applies the named fields ("display_name", "email") of patch.
func (s *Users) UpdateMe(ctx context.Context, p Principal, patch *User, fields []string) (_ *User, err error) {
	defer derrors.Wrap(&err, "Users.UpdateMe(%q)", patch.ID)
	u, err := s.stores.Users.GetUser(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		switch f {
		case "display_name":
			u.DisplayName = patch.DisplayName
		case "email":
			if u.ExternalIssuer != "" {
				return nil, FailedPrecondition("email is managed by the identity provider %s", u.ExternalIssuer)
			}
			u.Email = patch.Email
		default:
			return nil, Invalid("update_mask", "field %q cannot be updated", f)
		}
	}
	u.UpdateTime = s.cfg.Now().UTC()
	if err := s.stores.Users.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// DeleteMe removes the caller's account and everything it owns. Artists the
// caller manages alone go with it (with their albums and tracks); artists
// managed with others just lose the caller as a manager.
func (s *Users) DeleteMe(ctx context.Context, p Principal) (err error) {
	defer derrors.Wrap(&err, "Users.DeleteMe")
	artists, err := s.stores.Catalog.ListArtistsByOwner(ctx, p.UserID)
	if err != nil {
		return err
	}
	for _, a := range artists {
		rest := slices.DeleteFunc(slices.Clone(a.OwnerIDs), func(id string) bool { return id == p.UserID })
		if len(rest) == 0 {
			var tracks []string
			tracks, err = s.stores.Catalog.DeleteArtist(ctx, a.ID)
			s.cfg.Janitor.tracksDeleted(ctx, tracks...)
		} else {
			a.OwnerIDs = rest
			a.UpdateTime = s.cfg.Now().UTC()
			err = s.stores.Catalog.UpdateArtist(ctx, a)
		}
		if err != nil && !IsKind(err, KindNotFound) {
			return err
		}
	}
	if err := s.stores.Users.DeleteUser(ctx, p.UserID); err != nil {
		return err
	}
	s.changed(p.UserID)
	return nil
}

// GetUser returns a user's public profile; the email is kept for the user
// themself and admins.
func (s *Users) GetUser(ctx context.Context, p Principal, id string) (_ *User, err error) {
	defer derrors.Wrap(&err, "Users.GetUser(%q)", id)
	u, err := s.stores.Users.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.ID != p.UserID && !p.IsAdmin() {
		u.Email = ""
	}
	if !p.IsAdmin() {
		u.Disabled = false
	}
	return u, nil
}

func (s *Users) FollowArtist(ctx context.Context, p Principal, artistID string) (err error) {
	defer derrors.Wrap(&err, "Users.FollowArtist(%q)", artistID)
	if _, err := s.stores.Catalog.GetArtist(ctx, artistID); err != nil {
		return err
	}
	if err := s.stores.Users.FollowArtist(ctx, p.UserID, artistID); err != nil {
		return err
	}
	return nil
}

func (s *Users) UnfollowArtist(ctx context.Context, p Principal, artistID string) (err error) {
	defer derrors.Wrap(&err, "Users.UnfollowArtist(%q)", artistID)
	if err := s.stores.Users.UnfollowArtist(ctx, p.UserID, artistID); err != nil {
		return err
	}
	return nil
}

func (s *Users) ListFollowedArtists(ctx context.Context, p Principal, pg Page) (_ []string, _ string, err error) {
	defer derrors.Wrap(&err, "Users.ListFollowedArtists")
	ids, next, err := s.stores.Users.ListFollowedArtists(ctx, p.UserID, pg)
	if err != nil {
		return nil, "", err
	}
	return ids, next, nil
}

// ListUsers is for admins.
func (s *Users) ListUsers(ctx context.Context, p Principal, prefix string, pg Page) (_ []*User, _ string, err error) {
	defer derrors.Wrap(&err, "Users.ListUsers(%q)", prefix)
	if !p.IsAdmin() {
		return nil, "", PermissionDenied("listing users needs the admin role")
	}
	users, next, err := s.stores.Users.ListUsers(ctx, strings.ToLower(prefix), pg)
	if err != nil {
		return nil, "", err
	}
	return users, next, nil
}

// SetUserRoles is for admins. Every user stays a listener, and an admin
// cannot drop their own admin role, so a deployment never locks itself out.
func (s *Users) SetUserRoles(ctx context.Context, p Principal, userID string, roles []Role) (_ *User, err error) {
	defer derrors.Wrap(&err, "Users.SetUserRoles(%q)", userID)
	if !p.IsAdmin() {
		return nil, PermissionDenied("setting roles needs the admin role")
	}
	if userID == p.UserID && !slices.Contains(roles, RoleAdmin) {
		return nil, FailedPrecondition("admins cannot remove their own admin role")
	}
	u, err := s.stores.Users.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	u.Roles = normalizeRoles(roles)
	u.UpdateTime = s.cfg.Now().UTC()
	if err := s.stores.Users.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	s.changed(u.ID)
	return u, nil
}

// OperatorSetAdmin grants (admin true) or revokes the admin role of the
// account named username, matched exactly, and reports whether its roles
// changed. It is the operator's action (backbeat admin grant and revoke),
// run against the store, and how the first admin of a deployment comes to
// be.
//
// It takes no principal on purpose. The operator's authority is access to
// the store and its configuration, which no account has; an "operator"
// principal would be an admin principal forged for the occasion, which any
// code path holding one could then use for everything SetUserRoles and the
// rest allow. Keeping the operator's action separate, and narrow (the admin
// role of one named account), keeps every principal a real account. For the
// same reason it may revoke the last admin or anyone's own: the operator can
// always grant again.
func (s *Users) OperatorSetAdmin(ctx context.Context, username string, admin bool) (_ *User, changed bool, err error) {
	defer derrors.Wrap(&err, "Users.OperatorSetAdmin(%q, %t)", username, admin)
	u, err := s.stores.Users.GetUserByUsername(ctx, username)
	if err == nil && u.Username != username {
		// The store matches case-insensitively; the operator names an
		// account exactly (usernames are lower case).
		err = NotFound("user", username)
	}
	if err != nil {
		return nil, false, err
	}
	roles := slices.DeleteFunc(slices.Clone(u.Roles), func(r Role) bool { return r == RoleAdmin })
	if admin {
		roles = append(roles, RoleAdmin)
	}
	roles = normalizeRoles(roles)
	if slices.Equal(roles, normalizeRoles(u.Roles)) {
		return u, false, nil
	}
	u.Roles = roles
	u.UpdateTime = s.cfg.Now().UTC()
	if err := s.stores.Users.UpdateUser(ctx, u); err != nil {
		return nil, false, err
	}
	s.changed(u.ID)
	return u, true, nil
}

// OperatorListAdmins returns every account holding the admin role, by
// username: the operator's view (backbeat admin list), with no principal
// for the reason OperatorSetAdmin gives.
func (s *Users) OperatorListAdmins(ctx context.Context) (_ []*User, err error) {
	defer derrors.Wrap(&err, "Users.OperatorListAdmins")
	var admins []*User
	pg := Page{Size: 500}
	for {
		users, next, err := s.stores.Users.ListUsers(ctx, "", pg)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if slices.Contains(u.Roles, RoleAdmin) {
				admins = append(admins, u)
			}
		}
		if next == "" {
			return admins, nil
		}
		pg.Token = next
	}
}

// normalizeRoles returns roles with listener added, deduplicated, in a
// stable order.
func normalizeRoles(roles []Role) []Role {
	out := []Role{RoleListener}
	for _, r := range []Role{RoleArtist, RoleAdmin} {
		if slices.Contains(roles, r) {
			out = append(out, r)
		}
	}
	return out
}

// ExternalIdentity is a verified identity from an external OIDC issuer.
type ExternalIdentity struct {
	Issuer, Subject, Email, Username, Name string
}

// ResolveExternal maps an external identity to a Backbeat user, creating one
// on first sight with a username derived from the provider's.
func (s *Users) ResolveExternal(ctx context.Context, id ExternalIdentity) (_ *User, err error) {
	defer derrors.Wrap(&err, "Users.ResolveExternal(%q, %q)", id.Issuer, id.Subject)
	u, err := s.stores.Users.GetUserByExternalID(ctx, id.Issuer, id.Subject)
	if err == nil {
		return u, nil
	}
	if !IsKind(err, KindNotFound) {
		return nil, err
	}
	base := usernameFrom(id.Username, id.Email)
	email := id.Email
	if email != "" {
		if _, err := s.stores.Users.GetUserByEmail(ctx, email); err == nil {
			// Someone local already has this email; the link is by subject, so
			// the new account simply goes without one rather than failing.
			email = ""
		}
	}
	now := s.cfg.Now().UTC()
	for attempt := 0; attempt < 8; attempt++ {
		name := base
		if attempt > 0 {
			name = fmt.Sprintf("%s-%s", trimTo(base, 24), NewID()[20:])
		}
		u = &User{
			ID: NewID(), Username: name, Email: email, DisplayName: id.Name,
			Roles:          initialRoles(),
			ExternalIssuer: id.Issuer, ExternalSubject: id.Subject,
			CreateTime: now, UpdateTime: now,
		}
		if u.DisplayName == "" {
			u.DisplayName = name
		}
		err = s.stores.Users.CreateUser(ctx, u)
		if err == nil {
			return u, nil
		}
		if !IsKind(err, KindAlreadyExists) {
			return nil, err
		}
		// A concurrent first request for the same subject may have won.
		if existing, gerr := s.stores.Users.GetUserByExternalID(ctx, id.Issuer, id.Subject); gerr == nil {
			return existing, nil
		}
	}
	return nil, err
}

func usernameFrom(preferred, email string) string {
	cand := preferred
	if cand == "" {
		cand, _, _ = strings.Cut(email, "@")
	}
	var b strings.Builder
	for _, r := range strings.ToLower(cand) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-' {
			b.WriteRune(r)
		}
	}
	name := b.String()
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		name = "user" + name
	}
	for len(name) < 3 {
		name += "0"
	}
	return trimTo(name, 32)
}

func trimTo(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
