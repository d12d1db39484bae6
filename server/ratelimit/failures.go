package ratelimit

import (
	"sync"
	"time"
)

// Backoff shapes the growing delay after failed sign-ins: the first Free
// failures cost nothing; each one from then on blocks further attempts for
// Base, doubling per failure up to Max. Attempts refused while blocked do not
// count, so hammering does not lengthen the block. A key whose last failure
// is older than Forget starts again from zero.
type Backoff struct {
	Free   int
	Base   time.Duration
	Max    time.Duration
	Forget time.Duration
}

// delay is the block after the n-th failure.
func (b Backoff) delay(n int) time.Duration {
	if n < b.Free {
		return 0
	}
	d := b.Base
	for i := b.Free; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Failures counts failed sign-ins per key (a login name, a client
// address) and says how long a key stays blocked. Memory is bounded like
// Buckets': forgotten keys go first, then the least recently failed
// quarter.
type Failures struct {
	cfg     Backoff
	maxKeys int
	now     func() time.Time

	mu sync.Mutex
	m  map[string]*failure
}

type failure struct {
	n     int
	last  time.Time
	until time.Time
}

// NewFailures makes a tracker; maxKeys 0 means DefaultMaxKeys, now nil
// means time.Now.
func NewFailures(cfg Backoff, maxKeys int, now func() time.Time) *Failures {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	if now == nil {
		now = time.Now
	}
	return &Failures{cfg: cfg, maxKeys: maxKeys, now: now, m: map[string]*failure{}}
}

// Blocked is how long key must still wait before its next attempt (0: it
// may try now).
func (f *Failures) Blocked(key string) time.Duration {
	if f == nil {
		return 0
	}
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.m[key]
	if !ok || !now.Before(e.until) {
		return 0
	}
	return e.until.Sub(now)
}

// Fail records a failed attempt of key and returns the block it starts.
func (f *Failures) Fail(key string) time.Duration {
	if f == nil {
		return 0
	}
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.m[key]
	if !ok {
		if len(f.m) >= f.maxKeys {
			f.evict(now)
		}
		e = &failure{}
		f.m[key] = e
	} else if now.Sub(e.last) > f.cfg.Forget {
		*e = failure{}
	}
	e.n++
	e.last = now
	d := f.cfg.delay(e.n)
	e.until = now.Add(d)
	return d
}

// Reset forgets key's failures (a successful sign-in).
func (f *Failures) Reset(key string) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, key)
}

func (f *Failures) evict(now time.Time) {
	for k, e := range f.m {
		if now.Sub(e.last) > f.cfg.Forget && !now.Before(e.until) {
			delete(f.m, k)
		}
	}
	if len(f.m) < f.maxKeys {
		return
	}
	evictOldest(f.m, f.maxKeys/4, func(e *failure) time.Time { return e.last })
}
