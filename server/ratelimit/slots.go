package ratelimit

import (
	"context"
	"time"
)

// Slots bounds how many of an expensive kind of work run at once. A caller
// waits at most the configured short time for a slot, then is turned away:
// under overload a quick "busy, retry later" beats a queue that grows
// without end while every caller times out.
type Slots struct {
	ch   chan struct{}
	wait time.Duration
}

// NewSlots allows n at once (n <= 0: no bound, a nil *Slots), each
// newcomer waiting up to wait for a free slot.
func NewSlots(n int, wait time.Duration) *Slots {
	if n <= 0 {
		return nil
	}
	return &Slots{ch: make(chan struct{}, n), wait: wait}
}

// Acquire takes a slot; ok false means none came free in time (or ctx
// ended). release gives the slot back; call it exactly once when ok.
func (s *Slots) Acquire(ctx context.Context) (release func(), ok bool) {
	if s == nil {
		return func() {}, true
	}
	select {
	case s.ch <- struct{}{}:
		return s.release, true
	default:
	}
	if s.wait <= 0 {
		return nil, false
	}
	t := time.NewTimer(s.wait)
	defer t.Stop()
	select {
	case s.ch <- struct{}{}:
		return s.release, true
	case <-t.C:
		return nil, false
	case <-ctx.Done():
		return nil, false
	}
}

func (s *Slots) release() { <-s.ch }

// RetryAfter is the delay a turned-away caller is told to wait: long enough
// for the slots to turn over, short enough not to lose the user.
const RetryAfter = time.Second
