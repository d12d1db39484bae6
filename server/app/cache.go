package app

import (
	"context"
	"time"

	"github.com/backbeat/backbeat/server/cache"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/queue"
)

// cacheStatsEvery is how often the cache's counters are logged while they
// move.
const cacheStatsEvery = time.Minute

// cacheStores puts the metadata cache (--cache-size, --cache-ttl) in front
// of stores: this replica's writes invalidate it at once and are published
// on the broker, and the other replicas' arrive from it.
func (s *Server) cacheStores(bg context.Context, stores domain.Stores, broker *queue.Broker) (domain.Stores, error) {
	if s.cfg.CacheSize == 0 {
		return stores, nil
	}
	c, err := cache.New(cache.Config{MaxBytes: s.cfg.CacheSize, TTL: s.cfg.CacheTTL, Publish: broker.PublishCacheInvalidation, Logger: s.log})
	if err != nil {
		return domain.Stores{}, err
	}
	if _, err := broker.SubscribeCacheInvalidations(c.Receive); err != nil {
		c.Close()
		return domain.Stores{}, err
	}
	s.cache = c
	s.background(func() {
		defer c.Close()
		t := time.NewTicker(cacheStatsEvery)
		defer t.Stop()
		var last cache.Stats
		for {
			select {
			case <-bg.Done():
				s.logCacheStats("cache stats at shutdown", c.Stats())
				return
			case <-t.C:
				if st := c.Stats(); st.Hits+st.Misses != last.Hits+last.Misses {
					s.logCacheStats("cache stats", st)
					last = st
				}
			}
		}
	})
	return cache.Wrap(stores, c), nil
}

func (s *Server) logCacheStats(msg string, st cache.Stats) {
	s.log.Info(msg, "hits", st.Hits, "misses", st.Misses, "hit_ratio", st.HitRatio(), "evictions", st.Evictions,
		"invalidations", st.Invalidations, "received", st.Received, "entries", st.Entries, "bytes", st.Bytes)
}

// CacheStats reports the metadata cache's counters; false when it is off.
func (s *Server) CacheStats() (cache.Stats, bool) {
	if s.cache == nil {
		return cache.Stats{}, false
	}
	return s.cache.Stats(), true
}
