package app

import (
	"context"
	"time"

	"github.com/backbeat/backbeat/server/cache"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/queue"
	"github.com/prometheus/client_golang/prometheus"
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

// exportCacheStats publishes the cache's counters as Prometheus metrics,
// read from Stats at each scrape (the cache keeps its own counters, so
// nothing is counted twice).
func exportCacheStats(r *prometheus.Registry, c *cache.Cache) {
	counter := func(name, help string, f func(cache.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(c.Stats())) })
	}
	gauge := func(name, help string, f func(cache.Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(c.Stats()) })
	}
	r.MustRegister(
		counter("backbeat_cache_hits_total", "Metadata cache reads answered from the cache.", func(s cache.Stats) uint64 { return s.Hits }),
		counter("backbeat_cache_misses_total", "Metadata cache reads that went to the store.", func(s cache.Stats) uint64 { return s.Misses }),
		counter("backbeat_cache_evictions_total", "Entries dropped to keep the cache within --cache-size.", func(s cache.Stats) uint64 { return s.Evictions }),
		counter("backbeat_cache_invalidations_total", "Keys dropped because of writes, this replica's and others'.", func(s cache.Stats) uint64 { return s.Invalidations }),
		gauge("backbeat_cache_bytes", "Approximate bytes the metadata cache holds.", func(s cache.Stats) float64 { return float64(s.Bytes) }),
		gauge("backbeat_cache_entries", "Entries the metadata cache holds.", func(s cache.Stats) float64 { return float64(s.Entries) }),
	)
}
