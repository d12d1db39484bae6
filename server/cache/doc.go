// Package cache keeps the entities read most (tracks, albums, artists,
// playlists and the first page of their entries) in each replica's memory, in
// front of whichever store the replica runs. It is a decorator of the domain's
// store ports: Wrap returns a domain.Stores with the same interfaces, so the
// domain and its authorization rules run unchanged on every read. It caches
// entities, never decisions: a private playlist cached for its owner is still
// refused to anyone else by domain.Playlists, which sees the same entity.
//
// # Consistency
//
// A write goes to the store first, then invalidates the keys it changed in
// this replica before it returns, so a client reading its own write on one
// replica always sees it. The same keys are then published on a core NATS
// subject (through the Publish hook the wiring gives it) and every other
// replica drops them when the message arrives: a change is visible everywhere
// within the broker's latency. A replica that misses a message (the broker is
// down, the replica was disconnected) still forgets every entry TTL after it
// was read, so staleness stays bounded by TTL whatever happens to the broker.
//
// A read that misses loads from the store and then offers the value to the
// cache; a generation counter per key stripe, moved by every invalidation,
// makes the offer fail when an invalidation of that key ran during the load,
// so a slow read cannot put back a value a write has just replaced.
//
// Writes whose effect the cache cannot name key by key (deleting an artist,
// an album, a track or a user, which cascade into albums, tracks and
// playlists) drop everything: they are rare, and correctness is worth one
// refill.
//
// User accounts are not cached here: every request already reads its
// caller's account through the account cache in server/app, whose short
// lifetime is the bound for revocations made by the operator's command, a
// process with no broker connection.
package cache
