package cache

import (
	"crypto/rand"
	"encoding/hex"
	"hash/maphash"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
)

// Defaults of the --cache-size and --cache-ttl flags.
const (
	DefaultMaxBytes = 64 << 20
	DefaultTTL      = 5 * time.Second
)

// Config configures a Cache.
type Config struct {
	// MaxBytes bounds the approximate memory the entries take (their
	// strings, slices and bookkeeping); the least valuable entries are
	// evicted beyond it. Zero: DefaultMaxBytes.
	MaxBytes int64
	// TTL is how long an entry is served after it was read from the store:
	// the staleness bound when an invalidation from another replica is
	// missed. Zero: DefaultTTL.
	TTL time.Duration
	// Publish sends an invalidation message to the other replicas (the
	// wiring hands it the broker's); their Receive gets it. Nil: this
	// replica is alone.
	Publish func(msg []byte) error
	Logger  *slog.Logger
}

// stripes spreads the invalidation generations over this many counters;
// a load is refused only when a key in its stripe was invalidated meanwhile.
const stripes = 4096

// allKeys in an invalidation drops every entry.
const allKeys = "*"

// Cache holds the entities; Wrap puts it in front of a store. It is safe
// for concurrent use.
type Cache struct {
	c       *otter.Cache[string, any]
	publish func([]byte) error
	log     *slog.Logger
	// origin names this replica in its messages, so it skips its own
	// (already applied) invalidations when the broker echoes them.
	origin string
	seed   maphash.Seed

	// gens moves a stripe on every invalidation of one of its keys, all on
	// every invalidation of everything; see ticket.
	gens [stripes]atomic.Uint64
	all  atomic.Uint64

	hits, misses, evictions, invalidations, received atomic.Uint64
}

// Stats are the cache's counters since it was made: plain numbers, for a
// log line or a metrics exporter.
type Stats struct {
	Hits, Misses uint64
	// Evictions counts entries dropped to stay within MaxBytes.
	Evictions uint64
	// Invalidations counts keys dropped because of writes, this replica's
	// and (Received of them) other replicas'.
	Invalidations, Received uint64
	// Entries and Bytes are what the cache holds now (Bytes approximate).
	Entries int
	Bytes   uint64
}

// HitRatio is Hits / (Hits + Misses), 0 before any read.
func (s Stats) HitRatio() float64 {
	if s.Hits+s.Misses == 0 {
		return 0
	}
	return float64(s.Hits) / float64(s.Hits+s.Misses)
}

// New makes an empty cache.
func New(cfg Config) (*Cache, error) {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	var id [8]byte
	rand.Read(id[:])
	c := &Cache{publish: cfg.Publish, log: cfg.Logger, origin: hex.EncodeToString(id[:]), seed: maphash.MakeSeed()}
	oc, err := otter.New(&otter.Options[string, any]{
		MaximumWeight:    uint64(cfg.MaxBytes),
		Weigher:          func(k string, v any) uint32 { return uint32(len(k)) + weigh(v) },
		ExpiryCalculator: otter.ExpiryWriting[string, any](cfg.TTL),
		OnDeletion: func(e otter.DeletionEvent[string, any]) {
			if e.Cause == otter.CauseOverflow {
				c.evictions.Add(1)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	c.c = oc
	return c, nil
}

// Stats reports the counters.
func (c *Cache) Stats() Stats {
	return Stats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load(),
		Invalidations: c.invalidations.Load(), Received: c.received.Load(),
		Entries: c.c.EstimatedSize(), Bytes: c.c.WeightedSize(),
	}
}

// get returns the cached value of key, counting a hit or a miss.
func (c *Cache) get(key string) (any, bool) {
	v, ok := c.c.GetIfPresent(key)
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return v, ok
}

// ticket is taken before a load from the store; offer stores the loaded
// value only if no invalidation of its key (or of everything) ran since.
type ticket struct {
	stripe   int
	gen, all uint64
}

func (c *Cache) stripe(key string) int {
	return int(maphash.String(c.seed, key) % stripes)
}

func (c *Cache) ticket(key string) ticket {
	s := c.stripe(key)
	// all before the stripe: drop moves them in the opposite order.
	a := c.all.Load()
	return ticket{stripe: s, gen: c.gens[s].Load(), all: a}
}

// offer caches v under key unless t is stale. The check runs under the
// entry's lock, which invalidation also takes after moving the generation,
// so a value read before a write can never outlive the write's invalidation.
func (c *Cache) offer(t ticket, key string, v any) {
	c.c.Compute(key, func(old any, found bool) (any, otter.ComputeOp) {
		if c.gens[t.stripe].Load() != t.gen || c.all.Load() != t.all {
			return old, otter.CancelOp
		}
		return v, otter.WriteOp
	})
}

// invalidate drops keys here at once, then tells the other replicas. A
// failed publish is logged, not returned: the write it follows has
// happened, and the other replicas forget within the TTL anyway.
func (c *Cache) invalidate(keys ...string) {
	c.drop(keys)
	if c.publish == nil {
		return
	}
	if err := c.publish(c.encode(keys)); err != nil {
		c.log.Warn("cache invalidation not published: other replicas serve the old value until their cache TTL", "keys", len(keys), "err", err)
	}
}

func (c *Cache) drop(keys []string) {
	for _, k := range keys {
		c.invalidations.Add(1)
		if k == allKeys {
			c.all.Add(1)
			c.c.InvalidateAll()
			continue
		}
		c.gens[c.stripe(k)].Add(1)
		c.c.Invalidate(k)
	}
}

// A message is the origin, then the keys, one a line.
func (c *Cache) encode(keys []string) []byte {
	return []byte(c.origin + "\n" + strings.Join(keys, "\n"))
}

// Receive applies an invalidation message another replica published; the
// wiring subscribes it to the broker's subject. Malformed messages and this
// replica's own are ignored.
func (c *Cache) Receive(msg []byte) {
	origin, rest, ok := strings.Cut(string(msg), "\n")
	if !ok || origin == c.origin || rest == "" {
		return
	}
	keys := strings.Split(rest, "\n")
	c.received.Add(uint64(len(keys)))
	c.drop(keys)
}

// Close stops the cache's maintenance goroutines.
func (c *Cache) Close() { c.c.StopAllGoroutines() }
