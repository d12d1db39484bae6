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
func (c credentials) MintAccessToken(userID string, roles []domain.Role) (string, time.Time, error) {
	if c.issuer == nil {
		return "", time.Time{}, errors.New("no embedded issuer: tokens come from the external provider")
	}
	return c.issuer.Mint(userID, roles)
}

// resolver turns verified identities into principals. Tokens of the
// embedded issuer carry the user id and roles; external identities are
// mapped to Backbeat users, cached briefly so each request does not cost a
// store read.
type resolver struct {
	embeddedIssuer string
	users          *domain.Users
	ttl            time.Duration

	mu    sync.Mutex
	cache map[string]cachedPrincipal
}

type cachedPrincipal struct {
	p       domain.Principal
	expires time.Time
}

func newResolver(publicURL, externalIssuer string, users *domain.Users) *resolver {
	r := &resolver{users: users, ttl: 30 * time.Second, cache: map[string]cachedPrincipal{}}
	if externalIssuer == "" {
		r.embeddedIssuer = publicURL
	}
	return r
}

func (r *resolver) Principal(ctx context.Context, id auth.Identity) (domain.Principal, error) {
	if r.embeddedIssuer != "" && id.Issuer == r.embeddedIssuer {
		return domain.Principal{UserID: id.Subject, Roles: id.Roles}, nil
	}
	key := id.Issuer + "\x00" + id.Subject
	now := time.Now()
	r.mu.Lock()
	c, ok := r.cache[key]
	r.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.p, nil
	}
	u, err := r.users.ResolveExternal(ctx, domain.ExternalIdentity{
		Issuer: id.Issuer, Subject: id.Subject, Email: id.Email, Username: id.Username, Name: id.Name,
	})
	if err != nil {
		return domain.Principal{}, err
	}
	p := domain.Principal{UserID: u.ID, Roles: u.Roles}
	r.mu.Lock()
	if len(r.cache) > 100_000 {
		// Bounded memory under a flood of distinct subjects.
		clear(r.cache)
	}
	r.cache[key] = cachedPrincipal{p: p, expires: now.Add(r.ttl)}
	r.mu.Unlock()
	return p, nil
}
