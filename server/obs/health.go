package obs

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Check probes one dependency; nil means reachable.
type Check struct {
	Name  string
	Probe func(ctx context.Context) error
	// Optional: the replica serves without it (degraded: the search
	// engine), so its failure is reported but leaves the replica ready.
	// Taking every replica out of rotation because search is down would
	// turn a search outage into a full one.
	Optional bool
}

// Readiness answers whether this replica should get traffic: every check
// passes and it is not draining. A result is kept for TTL, so a load
// balancer probing often costs the dependencies one probe per TTL, and each
// probe is bounded by Timeout, so a hung dependency makes the replica
// not ready instead of hanging the probe.
type Readiness struct {
	Checks  []Check
	Timeout time.Duration
	TTL     time.Duration
	Metrics *Metrics

	draining atomic.Bool

	mu       sync.Mutex
	checked  time.Time
	reason   string // "" when ready
	degraded string // failed optional checks
}

// Drain makes the replica not ready from now on: the first step of a
// graceful shutdown, so load balancers stop sending before it stops serving.
func (r *Readiness) Drain() { r.draining.Store(true) }

// Ready runs the checks (or reuses a fresh result) and returns "" when
// ready, else the reason.
func (r *Readiness) Ready(ctx context.Context) string {
	reason, _ := r.status(ctx)
	return reason
}

// status is Ready's answer and the failed optional checks.
func (r *Readiness) status(ctx context.Context) (reason, degraded string) {
	if r.draining.Load() {
		r.set(0)
		return "draining", ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.checked.IsZero() || time.Since(r.checked) >= r.TTL {
		r.reason, r.degraded = r.probe(ctx)
		r.checked = time.Now()
	}
	if r.reason == "" {
		r.set(1)
	} else {
		r.set(0)
	}
	return r.reason, r.degraded
}

func (r *Readiness) set(v float64) {
	if r.Metrics != nil {
		r.Metrics.Ready.Set(v)
	}
}

// probe runs every check concurrently, each in its own goroutine with the
// timeout, so one that ignores its context still cannot hold the answer.
func (r *Readiness) probe(ctx context.Context) (reason, degraded string) {
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	errs := make([]error, len(r.Checks))
	var wg sync.WaitGroup
	for i, c := range r.Checks {
		wg.Add(1)
		done := make(chan error, 1)
		go func() { done <- c.Probe(ctx) }()
		go func() {
			defer wg.Done()
			select {
			case errs[i] = <-done:
			case <-ctx.Done():
				errs[i] = ctx.Err()
			}
		}()
	}
	wg.Wait()
	var failed, optional []string
	for i, err := range errs {
		if err == nil {
			continue
		}
		msg := fmt.Sprintf("%s: %v", r.Checks[i].Name, err)
		if r.Checks[i].Optional {
			optional = append(optional, msg)
		} else {
			failed = append(failed, msg)
		}
	}
	return strings.Join(failed, "; "), strings.Join(optional, "; ")
}

// Handler serves /healthz (the process answers) and /readyz (Ready): 200
// "ok", or 503 with the reason.
func (r *Readiness) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { answer(w, "") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, req *http.Request) {
		reason, degraded := r.status(req.Context())
		if reason == "" && degraded != "" {
			answerText(w, "ok (degraded: "+degraded+")")
			return
		}
		answer(w, reason)
	})
	return mux
}

func answer(w http.ResponseWriter, reason string) {
	if reason == "" {
		answerText(w, "ok")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintln(w, "not ready: "+reason)
}

func answerText(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, text)
}
