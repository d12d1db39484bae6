package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/backbeat/backbeat/server/auth"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/httpserver"
	"github.com/backbeat/backbeat/server/media/transcode"
	"github.com/backbeat/backbeat/server/obs"
	"github.com/backbeat/backbeat/server/queue"
)

// Readiness probes: each dependency gets readyTimeout to answer, and a
// result is reused for readyTTL, so a probe every second costs the store
// one read a second at most.
const (
	readyTimeout = 2 * time.Second
	readyTTL     = time.Second
	// queueDepthEvery is how often the transcode backlog gauge is read.
	queueDepthEvery = 15 * time.Second
)

// telemetry is a server's metrics, tracer and readiness.
type telemetry struct {
	metrics  *obs.Metrics // nil with --metrics=false
	tp       trace.TracerProvider
	tracer   trace.Tracer
	shutdown func(context.Context) error
	// on: something observes (metrics or tracing); off, the stores and
	// RPCs are served undecorated, as before either existed.
	on    bool
	ready *obs.Readiness
}

// newTelemetry builds what cfg asks for: metrics unless --metrics=false,
// tracing with --otlp-endpoint (or cfg.TracerProvider, a test's).
func newTelemetry(ctx context.Context, cfg Config) (*telemetry, error) {
	t := &telemetry{tp: cfg.TracerProvider, shutdown: func(context.Context) error { return nil }}
	if cfg.Metrics {
		t.metrics = obs.NewMetrics()
	}
	if t.tp == nil {
		var err error
		t.tp, t.shutdown, err = obs.NewTracerProvider(ctx, cfg.OTLPEndpoint, cfg.TraceSampleRatio)
		if err != nil {
			return nil, err
		}
	}
	t.tracer = t.tp.Tracer(obs.TracerName)
	t.on = cfg.Metrics || cfg.OTLPEndpoint != "" || cfg.TracerProvider != nil
	t.ready = &obs.Readiness{Timeout: readyTimeout, TTL: readyTTL, Metrics: t.metrics}
	return t, nil
}

// stores decorates the store with metrics, spans and, for Cassandra, a
// circuit breaker.
func (t *telemetry) stores(s domain.Stores, cfg Config) domain.Stores {
	var br *obs.Breaker
	if cfg.Store == "cassandra" {
		br = obs.NewBreaker("cassandra", cfg.Breaker, t.metrics)
	}
	if !t.on && br == nil {
		return s
	}
	return obs.Stores(s, cfg.Store, t.metrics, t.tracer, br)
}

// queueConfig adds the job hooks to qc.
func (t *telemetry) queueConfig(qc queue.Config) queue.Config {
	qc.TracerProvider = t.tp
	if m := t.metrics; m != nil {
		qc.JobDone = func(kind, outcome string, took time.Duration) {
			m.JobDuration.WithLabelValues(kind, outcome).Observe(took.Seconds())
		}
	}
	return qc
}

// watchQueue keeps backbeat_queue_depth current until ctx ends, one series
// per transcode priority: kind="transcode" for bulk work (uploads, imports)
// and kind="transcode_urgent" for ladders a listener is waiting for.
func (t *telemetry) watchQueue(ctx context.Context, b *queue.Broker) {
	if t.metrics == nil {
		return
	}
	bulk := t.metrics.QueueDepth.WithLabelValues("transcode")
	urgent := t.metrics.QueueDepth.WithLabelValues("transcode_urgent")
	tick := time.NewTicker(queueDepthEvery)
	defer tick.Stop()
	for {
		if d, err := b.TranscodeDepth(ctx); err == nil {
			bulk.Set(float64(d.Bulk))
			urgent.Set(float64(d.Urgent))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// healthChecker answers gRPC health for every service from readiness: a
// replica that is not ready is NOT_SERVING for all of them.
type healthChecker struct {
	ready    *obs.Readiness
	services map[string]bool
}

func newHealthChecker(r *obs.Readiness, services []string) *healthChecker {
	h := &healthChecker{ready: r, services: map[string]bool{"": true}}
	for _, s := range services {
		h.services[s] = true
	}
	return h
}

func (h *healthChecker) Check(ctx context.Context, req *grpchealth.CheckRequest) (*grpchealth.CheckResponse, error) {
	if !h.services[req.Service] {
		return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("unknown service %s", req.Service))
	}
	if h.ready.Ready(ctx) != "" {
		return &grpchealth.CheckResponse{Status: grpchealth.StatusNotServing}, nil
	}
	return &grpchealth.CheckResponse{Status: grpchealth.StatusServing}, nil
}

// adminHandler is the admin listener's surface: metrics, health and pprof.
// pprof lives only here: profiles reveal the program's internals and cost
// CPU, so they stay off the public port.
func (t *telemetry) adminHandler() http.Handler {
	mux := http.NewServeMux()
	health := t.ready.Handler()
	mux.Handle("GET /healthz", health)
	mux.Handle("GET /readyz", health)
	if t.metrics != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(t.metrics.Registry, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// listenAdmin binds the admin listener (cfg.AdminListener, or AdminAddr;
// nil when AdminAddr is empty).
func listenAdmin(cfg Config, h http.Handler) (*httpserver.Server, error) {
	hc := httpserver.Config{Addr: cfg.AdminAddr, Logger: cfg.Logger, ShutdownTimeout: 5 * time.Second}
	if cfg.AdminListener != nil {
		s, err := httpserver.New(hc, cfg.AdminListener, h)
		if err != nil {
			cfg.AdminListener.Close()
		}
		return s, err
	}
	if cfg.AdminAddr == "" {
		return nil, nil
	}
	s, err := httpserver.Listen(hc, h)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flagRef("admin-addr"), err)
	}
	return s, nil
}

// tracedLogger adds the trace and request ids to every line logged in a request.
func tracedLogger(l *slog.Logger) *slog.Logger { return slog.New(obs.LogHandler(l.Handler())) }

// trace wraps h in the request span when tracing is on.
func (t *telemetry) trace(h http.Handler) http.Handler {
	if _, off := t.tp.(noop.TracerProvider); off {
		return h
	}
	return obs.Trace(t.tracer, h)
}

// searchEngine decorates a search engine with its metrics, spans and
// breaker.
func (t *telemetry) searchEngine(e domain.SearchEngine, engine string, cfg Config) domain.SearchEngine {
	return obs.SearchEngine(e, engine, t.metrics, t.tracer, obs.NewBreaker("search", cfg.Breaker, t.metrics))
}

// transcoded records a ladder's x-realtime speed.
func (t *telemetry) transcoded(res transcode.Result) {
	if t.metrics != nil && res.Took > 0 {
		t.metrics.TranscodeRealtime.Observe(res.Duration.Seconds() / res.Took.Seconds())
	}
}

// userID is the authenticated caller's id, "" for none.
func userID(ctx context.Context) string {
	p, _ := auth.PrincipalFrom(ctx)
	return p.UserID
}
