package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// testLogger logs to t.Log (level from QUEUE_TEST_LOG: debug, info, warn;
// default warn) and goes quiet once the test and its cleanups are over, so a
// straggling goroutine cannot log into a finished test.
func testLogger(t *testing.T) *slog.Logger {
	level := slog.LevelWarn
	switch strings.ToLower(os.Getenv("QUEUE_TEST_LOG")) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	}
	w := &tWriter{t: t}
	t.Cleanup(w.stop) // registered first: runs after every other cleanup
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type tWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *tWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *tWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// The credentials of the test brokers that listen, which openURL presents.
const (
	testUser     = "replica"
	testPassword = "s3cret-test-password"
)

// openEmbedded opens a Broker running the embedded server in dir; listen as
// in Config, with testUser and testPassword. It is closed at cleanup.
func openEmbedded(t *testing.T, log *slog.Logger, dir, listen string) *Broker {
	t.Helper()
	b, err := Open(testCtx(t), Config{StoreDir: dir, Listen: listen, User: testUser, Password: testPassword, Logger: log})
	if err != nil {
		t.Fatalf("Open embedded: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// openURL opens a Broker on a running server, as another replica would.
func openURL(t *testing.T, log *slog.Logger, url string) *Broker {
	t.Helper()
	b, err := Open(testCtx(t), Config{URL: url, User: testUser, Password: testPassword, Logger: log})
	if err != nil {
		t.Fatalf("Open %s: %v", url, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// consume runs b.ConsumeTranscodes until the returned stop is called (or the
// test ends); stop waits for it to return and reports its error.
func consume(t *testing.T, b *Broker, cfg ConsumeConfig, h TranscodeHandler) (stop func() error) {
	t.Helper()
	return runConsumer(t, "ConsumeTranscodes", func(ctx context.Context) error { return b.ConsumeTranscodes(ctx, cfg, h) })
}

// runConsumer runs consume (one of the Broker's Consume methods, named name)
// until the returned stop is called (or the test ends); stop waits for it to
// return and reports its error.
func runConsumer(t *testing.T, name string, consume func(ctx context.Context) error) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- consume(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(20 * time.Second):
				err = errors.New(name + " did not return")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// call is one handler invocation.
type call struct {
	job     domain.TranscodeJob
	attempt int
	last    bool
	at      time.Time
	by      string
}

// recorder collects handler calls.
type recorder struct {
	mu    sync.Mutex
	calls []call
}

func (r *recorder) add(c call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c.at = time.Now()
	r.calls = append(r.calls, c)
}

func (r *recorder) snapshot() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// handler records each call and answers with result(call).
func (r *recorder) handler(by string, result func(ctx context.Context, c call) error) TranscodeHandler {
	return func(ctx context.Context, job domain.TranscodeJob, attempt int, last bool) error {
		c := call{job: job, attempt: attempt, last: last, by: by}
		r.add(c)
		if result == nil {
			return nil
		}
		return result(ctx, c)
	}
}

// eventually waits up to d for cond.
// waitsOutTimers skips, in -short mode, a test that spends seconds waiting
// for JetStream's ack waits, backoffs or a due time to pass: the quick tier
// keeps the tests of the paths that run without waiting.
func waitsOutTimers(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("waits out ack waits, backoffs or due times: skipped in -short mode")
	}
}

func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// jobsPending is the number of jobs stored in the jobs stream (work-queue
// retention: acked and terminated jobs are gone).
func jobsPending(t *testing.T, b *Broker) uint64 {
	t.Helper()
	s, err := b.js.Stream(testCtx(t), JobsStream)
	if err != nil {
		t.Fatalf("jobs stream: %v", err)
	}
	info, err := s.Info(testCtx(t))
	if err != nil {
		t.Fatalf("jobs stream info: %v", err)
	}
	return info.State.Msgs
}

func job(i int) domain.TranscodeJob {
	return domain.TranscodeJob{
		TrackID:  fmt.Sprintf("track-%d", i),
		UploadID: fmt.Sprintf("upload-%d", i),
		UserID:   "user-1",
	}
}

func enqueue(t *testing.T, b *Broker, j domain.TranscodeJob) {
	t.Helper()
	if err := b.EnqueueTranscode(testCtx(t), j); err != nil {
		t.Fatalf("EnqueueTranscode(%s): %v", j.UploadID, err)
	}
}
