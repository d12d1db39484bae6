package app

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// AccountCacheTTL bounds how long a role change, a disabled or deleted
// account, or ended sessions take to reach the requests of a replica other
// than the one that made the change (that one forgets the account at once).
// Every authenticated request reads its caller's account through this cache,
// so the store sees at most one read per active account and TTL per replica.
const AccountCacheTTL = 2 * time.Second

// maxCachedAccounts bounds the cache; at ~150 bytes an entry it stays within
// a few MiB whatever the traffic.
const maxCachedAccounts = 50_000

// accountCache keeps domain.Accounts for a short time. A hit is a read lock
// and a map lookup, so the per-request cost of revocable roles is small next
// to serving the request.
type accountCache struct {
	ttl time.Duration
	now func() time.Time

	// gen moves on every forget; a load that started before a forget does
	// not store what it read, which may predate the change.
	gen atomic.Uint64

	mu sync.RWMutex
	m  map[string]cachedAccount
}

type cachedAccount struct {
	a       domain.Account
	err     error // a refusal (the account no longer exists), cached too
	expires time.Time
}

func newAccountCache(ttl time.Duration, now func() time.Time) *accountCache {
	if now == nil {
		now = time.Now
	}
	return &accountCache{ttl: ttl, now: now, m: make(map[string]cachedAccount)}
}

// get returns userID's account from the cache or from load. Refusals
// (kind unauthenticated: the account is gone) are cached like accounts, so a
// deleted user's client retrying in a loop does not reach the store each
// time; other errors (the store is down) are not.
func (c *accountCache) get(ctx context.Context, userID string, load func(context.Context, string) (domain.Account, error)) (domain.Account, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.m[userID]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.a, e.err
	}
	gen := c.gen.Load()
	a, err := load(ctx, userID)
	if err != nil && !domain.IsKind(err, domain.KindUnauthenticated) {
		return domain.Account{}, err
	}
	c.mu.Lock()
	if c.gen.Load() == gen {
		if len(c.m) >= maxCachedAccounts {
			// Crude but bounded; each active account is read again once.
			clear(c.m)
		}
		c.m[userID] = cachedAccount{a: a, err: err, expires: now.Add(c.ttl)}
	}
	c.mu.Unlock()
	return a, err
}

// forget drops userID, so the next request of this replica reads the
// account again.
func (c *accountCache) forget(userID string) {
	c.mu.Lock()
	c.gen.Add(1)
	delete(c.m, userID)
	c.mu.Unlock()
}
