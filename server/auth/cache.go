package auth

import (
	"slices"
	"sync"
	"time"
)

// maxCachedTokens bounds the verified-token cache: at ~200 bytes an entry
// it stays within a few MiB whatever the traffic.
const maxCachedTokens = 20_000

// tokenCache remembers tokens that verified, until they expire. A client
// sends the same access token with every call for its whole lifetime, and
// checking an ES256 or RS256 signature costs far more than serving a cached
// read, so this keeps signature checks off the hot path. Nothing is lost: a
// signature stays valid until the token expires, which is checked on every
// hit, and whether the account behind a valid token may still use it is the
// resolver's question, asked on every call. Keys are SHA-256 digests so the
// cache holds no usable tokens.
type tokenCache struct {
	mu  sync.RWMutex
	max int
	m   map[[32]byte]cachedToken
}

type cachedToken struct {
	id      Identity
	expires time.Time
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{max: max, m: make(map[[32]byte]cachedToken)}
}

func (c *tokenCache) get(key [32]byte, now time.Time) (Identity, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return Identity{}, false
	}
	id := e.id
	id.Roles = slices.Clone(id.Roles)
	return id, true
}

func (c *tokenCache) put(key [32]byte, id Identity, expires time.Time) {
	if expires.IsZero() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		// Dropping everything is crude but bounded and cheap; the next call
		// of each client re-verifies once.
		clear(c.m)
	}
	id.Roles = slices.Clone(id.Roles)
	c.m[key] = cachedToken{id: id, expires: expires}
}
