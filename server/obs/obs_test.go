package obs

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/backbeat/backbeat/server/domain"
)

// A breaker opens on failures of the dependency, not on answers a caller
// gets wrong (not found, invalid), nor on callers that gave up.
func TestBreakerCountsOnlyDependencyFailures(t *testing.T) {
	m := NewMetrics()
	b := NewBreaker("dep", BreakerConfig{Failures: 2, Open: time.Hour}, m)
	calls := 0
	fail := func(err error) func() error { return func() error { calls++; return err } }
	for range 5 {
		_ = b.Do(fail(domain.NotFound("track", "x")))
		_ = b.Do(fail(domain.Invalid("id", "bad")))
		_ = b.Do(fail(context.Canceled))
	}
	if b.Open() {
		t.Fatal("opened on answers, not failures")
	}
	_ = b.Do(fail(domain.Unavailable("down")))
	_ = b.Do(fail(context.DeadlineExceeded))
	if !b.Open() {
		t.Fatal("still closed after 2 failures in a row")
	}
	before := calls
	err := b.Do(fail(nil))
	if calls != before {
		t.Error("an open breaker called the dependency")
	}
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindUnavailable || de.RetryAfter != time.Hour {
		t.Errorf("open breaker answered %v; want unavailable with a retry hint of 1h", err)
	}
	if got := testutil.ToFloat64(m.BreakerState.WithLabelValues("dep")); got != 2 {
		t.Errorf("backbeat_breaker_state = %v, want 2 (open)", got)
	}
	if got := testutil.ToFloat64(m.Refusals.WithLabelValues("breaker_open")); got != 1 {
		t.Errorf("breaker_open refusals = %v, want 1", got)
	}
}

type downBroker struct{ published int }

func (d *downBroker) EnqueueTranscode(context.Context, domain.TranscodeJob) error {
	return domain.Unavailable("queue: enqueue transcode job: no responders")
}

func (d *downBroker) PublishPlayEvents(context.Context, string, []domain.PlayEvent) error {
	d.published++
	return domain.Unavailable("queue: publish: no responders")
}

// With the broker down an upload is refused as unavailable, with a retry
// hint once the breaker is open, while play reports go on: their events
// are dropped and counted.
func TestBrokerDown(t *testing.T) {
	m := NewMetrics()
	d := &downBroker{}
	var logs bytes.Buffer
	jobs, events := Broker(d, d, m, NewBreaker("nats", BreakerConfig{Failures: 1, Open: time.Minute}, m), slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()
	if err := events.PublishPlayEvents(ctx, "u1", make([]domain.PlayEvent, 3)); err != nil {
		t.Fatalf("play events with the broker down: %v; want them dropped, the report accepted", err)
	}
	if err := events.PublishPlayEvents(ctx, "u1", make([]domain.PlayEvent, 2)); err != nil {
		t.Fatalf("play events with the breaker open: %v", err)
	}
	if got := testutil.ToFloat64(m.PlayEventsDropped); got != 5 {
		t.Errorf("dropped play events = %v, want 5", got)
	}
	if d.published != 1 {
		t.Errorf("the broker was tried %d times, want once before the breaker opened", d.published)
	}
	err := jobs.EnqueueTranscode(ctx, domain.TranscodeJob{TrackID: "t"})
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindUnavailable || de.RetryAfter != time.Minute {
		t.Errorf("upload with the broker down: %v; want unavailable with a retry hint", err)
	}
	if !strings.Contains(logs.String(), "play events dropped") {
		t.Errorf("no warning of the dropped events in %q", logs.String())
	}
}

// Every line logged inside a traced request carries its trace id.
func TestLogHandlerAddsTraceID(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(LogHandler(slog.NewTextHandler(&out, nil)))
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("test").Start(context.Background(), "op")
	defer span.End()
	log.With("component", "x").InfoContext(ctx, "inside")
	if want := "trace_id=" + span.SpanContext().TraceID().String(); !strings.Contains(out.String(), want) {
		t.Errorf("log %q lacks %s", out.String(), want)
	}
	out.Reset()
	log.Info("outside")
	if strings.Contains(out.String(), "trace_id") {
		t.Errorf("a line outside any trace got a trace id: %q", out.String())
	}
}
