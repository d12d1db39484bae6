package cache

import (
	"context"

	"github.com/backbeat/backbeat/server/domain"
)

// Wrap puts c in front of s: the returned Stores read the cached entities
// through c and invalidate what each write changes. Methods the decorators
// do not name go straight to s (embedding), so a new read is uncached until
// it is added here; a new write that changes a cached entity must be added
// here with its invalidation, and the store conformance suite run through
// Wrap (server/cache's tests) is where that shows.
func Wrap(s domain.Stores, c *Cache) domain.Stores {
	return domain.Stores{
		Users:     users{UserStore: s.Users, c: c},
		Catalog:   catalog{CatalogStore: s.Catalog, c: c},
		Playlists: playlists{PlaylistStore: s.Playlists, c: c},
		Plays:     plays{PlayStore: s.Plays, c: c},
		// The library is per user and read once per page: nothing to cache.
		Library: s.Library,
	}
}

// users caches nothing (see the package comment), but deleting a user
// cascades into playlists.
type users struct {
	domain.UserStore
	c *Cache
}

func (u users) DeleteUser(ctx context.Context, id string) error {
	defer u.c.invalidate(allKeys)
	return u.UserStore.DeleteUser(ctx, id)
}

// plays: a counted play changes the track's PlayCount. A store that rolls
// counts up later (Cassandra) changes it off this path; the cached track then
// shows the new count within the TTL, well inside the rollup's own lag.
type plays struct {
	domain.PlayStore
	c *Cache
}

func (p plays) CountPlay(ctx context.Context, userID, playbackID, trackID string) error {
	defer p.c.invalidate(trackKey(trackID))
	return p.PlayStore.CountPlay(ctx, userID, playbackID, trackID)
}
