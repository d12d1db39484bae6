package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/backbeat/backbeat/server/auth"
	"github.com/backbeat/backbeat/server/domain"
)

// credentials adapts the auth package to what the domain needs.
type credentials struct{ issuer *auth.Issuer }

func (credentials) HashPassword(pw string) (string, error)     { return auth.HashPassword(pw) }
func (credentials) CheckPassword(enc, pw string) (bool, error) { return auth.CheckPassword(enc, pw) }
func (credentials) NewRefreshToken() (string, string)          { return auth.NewRefreshToken() }
func (credentials) HashRefreshToken(token string) string       { return auth.HashRefreshToken(token) }
func (c credentials) MintAccessToken(userID string, roles []domain.Role, epoch int64) (string, time.Time, error) {
	if c.issuer == nil {
		return "", time.Time{}, errors.New("no embedded issuer: tokens come from the external provider")
	}
	return c.issuer.Mint(userID, roles, epoch)
}

// resolver turns verified identities into principals. A token says who the
// caller is and when it was issued; what the caller may do (roles), and
// whether the account still exists, is enabled and has not ended the
// token's session, comes from the account, read through a short cache (see
// AccountCacheTTL). External identities are first mapped to Backbeat users,
// a mapping cached longer since it only changes when an account is created.
type resolver struct {
	embeddedIssuer string
	users          *domain.Users
	accounts       *accountCache
	ttl            time.Duration

	mu    sync.Mutex
	cache map[string]cachedUserID
}

type cachedUserID struct {
	id      string
	expires time.Time
}

func newResolver(publicURL, externalIssuer string, users *domain.Users, accounts *accountCache) *resolver {
	r := &resolver{users: users, accounts: accounts, ttl: 30 * time.Second, cache: map[string]cachedUserID{}}
	if externalIssuer == "" {
		r.embeddedIssuer = publicURL
	}
	return r
}

func (r *resolver) Principal(ctx context.Context, id auth.Identity) (domain.Principal, error) {
	if r.embeddedIssuer != "" && id.Issuer == r.embeddedIssuer {
		if !domain.ValidID(id.Subject) {
			return domain.Principal{}, domain.Unauthenticated("token subject is not a Backbeat user id")
		}
		a, err := r.accounts.get(ctx, id.Subject, r.users.Account)
		if err != nil {
			return domain.Principal{}, err
		}
		return a.Admit(id.SessionEpoch)
	}
	userID, err := r.externalUser(ctx, id)
	if err != nil {
		return domain.Principal{}, err
	}
	a, err := r.accounts.get(ctx, userID, r.users.Account)
	if domain.IsKind(err, domain.KindUnauthenticated) {
		// The account was deleted: the provider still vouches for the
		// identity, so it gets a new account, as on first sight.
		r.forgetExternal(id)
		if userID, err = r.externalUser(ctx, id); err != nil {
			return domain.Principal{}, err
		}
		r.accounts.forget(userID)
		a, err = r.accounts.get(ctx, userID, r.users.Account)
	}
	if err != nil {
		return domain.Principal{}, err
	}
	return a.AdmitIssuedAt(id.IssuedAt)
}

func externalKey(id auth.Identity) string { return id.Issuer + "\x00" + id.Subject }

// externalUser maps an external identity to its user id, creating the user
// on first sight.
func (r *resolver) externalUser(ctx context.Context, id auth.Identity) (string, error) {
	key := externalKey(id)
	now := time.Now()
	r.mu.Lock()
	c, ok := r.cache[key]
	r.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.id, nil
	}
	u, err := r.users.ResolveExternal(ctx, domain.ExternalIdentity{
		Issuer: id.Issuer, Subject: id.Subject, Email: id.Email, Username: id.Username, Name: id.Name,
	})
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	if len(r.cache) > 100_000 {
		// Bounded memory under a flood of distinct subjects.
		clear(r.cache)
	}
	r.cache[key] = cachedUserID{id: u.ID, expires: now.Add(r.ttl)}
	r.mu.Unlock()
	return u.ID, nil
}

func (r *resolver) forgetExternal(id auth.Identity) {
	r.mu.Lock()
	delete(r.cache, externalKey(id))
	r.mu.Unlock()
}
