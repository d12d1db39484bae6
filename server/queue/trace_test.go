package queue

import (
	"context"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/backbeat/backbeat/server/domain"
)

// A job runs in the trace of the request that queued it: the trace context
// travels in the message's headers to whichever replica takes the job, and
// the run is reported to JobDone with its outcome.
func TestJobContinuesTheTrace(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	var (
		mu   sync.Mutex
		done []string
	)
	b, err := Open(testCtx(t), Config{StoreDir: t.TempDir(), Logger: testLogger(t), TracerProvider: tp,
		JobDone: func(kind, outcome string, _ time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			done = append(done, kind+":"+outcome)
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })

	ctx, request := tp.Tracer("test").Start(testCtx(t), "request")
	if err := b.EnqueueTranscode(ctx, job(1)); err != nil {
		t.Fatal(err)
	}
	request.End()

	got := make(chan trace.SpanContext, 1)
	consume(t, b, ConsumeConfig{AckWait: testAckWait}, func(ctx context.Context, _ domain.TranscodeJob, _ int, _ bool) error {
		select {
		case got <- trace.SpanContextFromContext(ctx):
		default:
		}
		return nil
	})
	var sc trace.SpanContext
	select {
	case sc = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("the job was not handled")
	}
	if sc.TraceID() != request.SpanContext().TraceID() {
		t.Errorf("the job ran in trace %v, want the request's %v", sc.TraceID(), request.SpanContext().TraceID())
	}
	eventually(t, 10*time.Second, "JobDone to be told", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(done) == 1 && done[0] == "transcode:ok"
	})
}
