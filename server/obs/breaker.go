package obs

import (
	"context"
	"errors"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/backbeat/backbeat/server/domain"
)

// BreakerConfig tunes a circuit breaker.
type BreakerConfig struct {
	// Failures in a row that open the breaker.
	Failures uint32
	// Open is how long it stays open before letting one call try again
	// (half-open); it is also the retry hint given to refused callers.
	Open time.Duration
}

// isAnswer tells an error that is the dependency's answer (a missing blob),
// not its failure; nil: only domain kinds tell.
type isAnswer func(err error) bool

// DefaultBreaker opens after 5 failures in a row and tries again after 5 s.
var DefaultBreaker = BreakerConfig{Failures: 5, Open: 5 * time.Second}

// Breaker fails calls to one dependency fast while it is down: after
// Failures consecutive failures (unavailable or internal errors, deadlines
// included; a "not found" is an answer, not a failure) it refuses calls
// for Open with an unavailable error carrying a retry hint, then lets one
// through to see whether the dependency is back. A nil *Breaker just calls.
type Breaker struct {
	dep  string
	open time.Duration
	cb   *gobreaker.CircuitBreaker[struct{}]
	m    *Metrics
}

// NewBreaker makes the breaker of dependency dep, reporting its state on m
// (backbeat_breaker_state) and its refusals (breaker_open).
func NewBreaker(dep string, cfg BreakerConfig, m *Metrics) *Breaker {
	return newBreaker(dep, cfg, m, nil)
}

// newBreaker is NewBreaker for a dependency whose errors are not domain
// errors: answered tells those that are answers.
func newBreaker(dep string, cfg BreakerConfig, m *Metrics, answered isAnswer) *Breaker {
	b := &Breaker{dep: dep, open: cfg.Open}
	st := gobreaker.Settings{
		Name:    dep,
		Timeout: cfg.Open,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= cfg.Failures
		},
		IsSuccessful: func(err error) bool {
			if err == nil || answered != nil && answered(err) {
				return true
			}
			k := domain.KindOf(err)
			return k != domain.KindUnavailable && k != domain.KindInternal
		},
		// A caller that gave up says nothing about the dependency.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
	}
	if m != nil {
		gauge := m.BreakerState.WithLabelValues(dep)
		gauge.Set(0)
		st.OnStateChange = func(_ string, _, to gobreaker.State) { gauge.Set(stateValue(to)) }
	}
	b.cb = gobreaker.NewCircuitBreaker[struct{}](st)
	b.m = m
	return b
}

// stateValue is the gauge's encoding: 0 closed, 1 half-open, 2 open.
func stateValue(s gobreaker.State) float64 {
	switch s {
	case gobreaker.StateHalfOpen:
		return 1
	case gobreaker.StateOpen:
		return 2
	default:
		return 0
	}
}

// Open reports whether the breaker refuses calls now.
func (b *Breaker) Open() bool { return b != nil && b.cb.State() == gobreaker.StateOpen }

// Do runs f unless the breaker is open; then it returns an unavailable
// error with a retry hint at once.
func (b *Breaker) Do(f func() error) error {
	if b == nil {
		return f()
	}
	_, err := b.cb.Execute(func() (struct{}, error) { return struct{}{}, f() })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		b.m.Refused("breaker_open")
		return &domain.Error{Kind: domain.KindUnavailable, Msg: b.dep + " is unavailable", RetryAfter: b.open, Err: err}
	}
	return err
}
