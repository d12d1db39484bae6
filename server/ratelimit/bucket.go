package ratelimit

import (
	"slices"
	"sync"
	"time"
)

// Rate is a token bucket's shape: Limit tokens per Per, at most Burst saved.
// A zero Limit means unlimited.
type Rate struct {
	Limit int
	Per   time.Duration
	Burst int
}

// every is the time one token takes to come back.
func (r Rate) every() time.Duration { return r.Per / time.Duration(r.Limit) }

// DefaultMaxKeys bounds each keyed table. An entry costs about 150 bytes
// (key, map slot, state), so a full table holds a few MB.
const DefaultMaxKeys = 20_000

// Buckets is a token bucket per key (a client address, a user id), written
// by hand rather than taken from golang.org/x/time/rate: the table, its
// eviction and the "when is the next token" answer RetryInfo needs are
// most of the work, and a bucket is a few lines. Memory is bounded by
// maxKeys entries: a bucket that has refilled is the same as no bucket and
// is dropped first; when the table is full of active keys the least
// recently used quarter goes, which can only make the limit more lenient
// for them, never lock anyone out.
type Buckets struct {
	rate    Rate
	maxKeys int
	now     func() time.Time

	mu sync.Mutex
	m  map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewBuckets makes a table of buckets of rate r holding at most maxKeys
// keys (DefaultMaxKeys when 0); now is the clock (time.Now when nil).
func NewBuckets(r Rate, maxKeys int, now func() time.Time) *Buckets {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	if now == nil {
		now = time.Now
	}
	if r.Burst < 1 {
		r.Burst = max(1, r.Limit)
	}
	return &Buckets{rate: r, maxKeys: maxKeys, now: now, m: map[string]*bucket{}}
}

// Take spends one of key's tokens. When none is left it spends nothing
// and says how long until one is back.
func (b *Buckets) Take(key string) (ok bool, wait time.Duration) {
	if b == nil || b.rate.Limit <= 0 {
		return true, 0
	}
	now := b.now()
	every := b.rate.every()
	burst := float64(b.rate.Burst)
	b.mu.Lock()
	defer b.mu.Unlock()
	bk, found := b.m[key]
	if !found {
		if len(b.m) >= b.maxKeys {
			b.evict(now)
		}
		bk = &bucket{tokens: burst, last: now}
		b.m[key] = bk
	} else if elapsed := now.Sub(bk.last); elapsed > 0 {
		bk.tokens = min(burst, bk.tokens+float64(elapsed)/float64(every))
		bk.last = now
	}
	if bk.tokens >= 1 {
		bk.tokens--
		return true, 0
	}
	return false, time.Duration((1 - bk.tokens) * float64(every))
}

// Len is how many keys the table holds.
func (b *Buckets) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.m)
}

// evict makes room: refilled buckets first, then the least recently used
// quarter. Called with mu held, once per maxKeys/4 new keys at most, so its
// cost spreads thin.
func (b *Buckets) evict(now time.Time) {
	full := time.Duration(b.rate.Burst) * b.rate.every()
	for k, bk := range b.m {
		if now.Sub(bk.last) >= full {
			delete(b.m, k)
		}
	}
	if len(b.m) < b.maxKeys {
		return
	}
	evictOldest(b.m, b.maxKeys/4, func(bk *bucket) time.Time { return bk.last })
}

// evictOldest deletes the n entries of m last used longest ago.
func evictOldest[V any](m map[string]V, n int, last func(V) time.Time) {
	type entry struct {
		key  string
		last time.Time
	}
	all := make([]entry, 0, len(m))
	for k, v := range m {
		all = append(all, entry{k, last(v)})
	}
	slices.SortFunc(all, func(a, b entry) int { return a.last.Compare(b.last) })
	for _, e := range all[:min(max(n, 1), len(all))] {
		delete(m, e.key)
	}
}
