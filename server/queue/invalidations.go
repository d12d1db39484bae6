package queue

import (
	"fmt"

	"github.com/nats-io/nats.go"
)

// CacheInvalidateSubject carries the keys a replica's write changed to every
// other replica's cache (server/cache). It is core NATS, not JetStream: a
// message matters only to the replicas connected now, and one that misses
// it (disconnected, broker down) has its cache's TTL to fall back on.
const CacheInvalidateSubject = "backbeat.cache.invalidate"

// PublishCacheInvalidation sends msg to every replica subscribed with
// SubscribeCacheInvalidations. It does not wait for the broker; while the
// connection is down the client buffers it until it reconnects.
func (b *Broker) PublishCacheInvalidation(msg []byte) error {
	if err := b.nc.Publish(CacheInvalidateSubject, msg); err != nil {
		return fmt.Errorf("queue: publish cache invalidation: %w", err)
	}
	return nil
}

// SubscribeCacheInvalidations calls f with every message published on
// CacheInvalidateSubject, this replica's own included, one at a time, until
// the Broker closes or stop is called.
func (b *Broker) SubscribeCacheInvalidations(f func(msg []byte)) (stop func() error, err error) {
	sub, err := b.nc.Subscribe(CacheInvalidateSubject, func(m *nats.Msg) { f(m.Data) })
	if err != nil {
		return nil, fmt.Errorf("queue: subscribe to cache invalidations: %w", err)
	}
	return sub.Unsubscribe, nil
}
