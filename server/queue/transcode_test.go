package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/backbeat/backbeat/server/domain"
)

const testAckWait = time.Second

func TestEnqueueConsume(t *testing.T) {
	t.Parallel()
	log := testLogger(t)
	b := openEmbedded(t, log, t.TempDir(), "")

	var rec recorder
	consume(t, b, ConsumeConfig{AckWait: testAckWait}, rec.handler("a", nil))
	want := job(1)
	enqueue(t, b, want)
	eventually(t, 10*time.Second, "the job to be handled", func() bool { return rec.len() == 1 })
	// Past the ack wait: an acked job must not come back.
	time.Sleep(testAckWait + 500*time.Millisecond)
	calls := rec.snapshot()
	if len(calls) != 1 {
		t.Fatalf("handler called %d times, want 1: %+v", len(calls), calls)
	}
	if c := calls[0]; c.job != want || c.attempt != 1 || c.last {
		t.Fatalf("call = %+v, want job %+v attempt 1 last false", c, want)
	}
	if n := jobsPending(t, b); n != 0 {
		t.Fatalf("%d jobs left in the stream after ack, want 0", n)
	}
}

func TestEnqueueDedupesUploadID(t *testing.T) {
	t.Parallel()
	log := testLogger(t)
	b := openEmbedded(t, log, t.TempDir(), "")

	j := job(1)
	enqueue(t, b, j)
	enqueue(t, b, j) // a retried enqueue
	other := j
	other.TrackID = "changed" // same upload: still the same job
	enqueue(t, b, other)
	if n := jobsPending(t, b); n != 1 {
		t.Fatalf("%d jobs stored for one upload id, want 1", n)
	}

	var rec recorder
	consume(t, b, ConsumeConfig{AckWait: testAckWait}, rec.handler("a", nil))
	eventually(t, 10*time.Second, "the job to be handled", func() bool { return rec.len() == 1 })
	// Enqueued again after it ran, within the dedupe window: no new job.
	enqueue(t, b, j)
	time.Sleep(testAckWait + 500*time.Millisecond)
	if calls := rec.snapshot(); len(calls) != 1 || calls[0].job != j {
		t.Fatalf("calls = %+v, want one call with %+v", calls, j)
	}
	if n := jobsPending(t, b); n != 0 {
		t.Fatalf("%d jobs left, want 0", n)
	}
}

func TestRetryWithBackoffUntilMaxDeliver(t *testing.T) {
	waitsOutTimers(t)
	t.Parallel()
	log := testLogger(t)
	b := openEmbedded(t, log, t.TempDir(), "")

	backoff := []time.Duration{300 * time.Millisecond, 700 * time.Millisecond}
	var rec recorder
	consume(t, b, ConsumeConfig{AckWait: testAckWait, MaxDeliver: 3, Backoff: backoff},
		rec.handler("a", func(context.Context, call) error { return errors.New("ffmpeg exploded") }))
	enqueue(t, b, job(1))
	eventually(t, 10*time.Second, "three attempts", func() bool { return rec.len() >= 3 })
	// Longer than the ack wait and any backoff: no fourth attempt may come.
	time.Sleep(testAckWait + time.Second)

	calls := rec.snapshot()
	if len(calls) != 3 {
		t.Fatalf("handler called %d times, want 3 (MaxDeliver): %+v", len(calls), calls)
	}
	for i, c := range calls {
		if c.attempt != i+1 {
			t.Errorf("call %d: attempt %d, want %d", i, c.attempt, i+1)
		}
		if wantLast := i == 2; c.last != wantLast {
			t.Errorf("call %d: last = %v, want %v", i, c.last, wantLast)
		}
	}
	const slack = 50 * time.Millisecond
	if gap := calls[1].at.Sub(calls[0].at); gap < backoff[0]-slack || gap >= testAckWait {
		t.Errorf("attempt 2 came %s after attempt 1, want about the backoff %s", gap, backoff[0])
	}
	if gap := calls[2].at.Sub(calls[1].at); gap < backoff[1]-slack || gap >= testAckWait {
		t.Errorf("attempt 3 came %s after attempt 2, want about the backoff %s", gap, backoff[1])
	}
	if n := jobsPending(t, b); n != 0 {
		t.Fatalf("%d jobs left after the final attempt, want 0 (terminated)", n)
	}
}

func TestRetrySucceeds(t *testing.T) {
	t.Parallel()
	log := testLogger(t)
	b := openEmbedded(t, log, t.TempDir(), "")

	var rec recorder
	consume(t, b, ConsumeConfig{AckWait: testAckWait, MaxDeliver: 5, Backoff: []time.Duration{100 * time.Millisecond}},
		rec.handler("a", func(_ context.Context, c call) error {
			switch c.attempt {
			case 1:
				return errors.New("storage hiccup")
			case 2:
				panic("decoder bug") // a panic counts as a failed attempt
			}
			return nil
		}))
	enqueue(t, b, job(1))
	eventually(t, 10*time.Second, "three attempts", func() bool { return rec.len() >= 3 })
	time.Sleep(testAckWait + 500*time.Millisecond)
	calls := rec.snapshot()
	if len(calls) != 3 || calls[2].attempt != 3 || calls[2].last {
		t.Fatalf("calls = %+v, want 3, the third attempt 3 and not last", calls)
	}
	if n := jobsPending(t, b); n != 0 {
		t.Fatalf("%d jobs left, want 0", n)
	}
}

func TestPermanentErrorIsNotRetried(t *testing.T) {
	t.Parallel()
	log := testLogger(t)
	b := openEmbedded(t, log, t.TempDir(), "")

	var rec recorder
	consume(t, b, ConsumeConfig{AckWait: testAckWait, MaxDeliver: 5, Backoff: []time.Duration{100 * time.Millisecond}},
		rec.handler("a", func(context.Context, call) error {
			return fmt.Errorf("handle: %w", Permanent(errors.New("not an audio file")))
		}))
	enqueue(t, b, job(1))
	eventually(t, 10*time.Second, "the first attempt", func() bool { return rec.len() >= 1 })
	time.Sleep(testAckWait + 500*time.Millisecond)
	if calls := rec.snapshot(); len(calls) != 1 || calls[0].last {
		t.Fatalf("calls = %+v, want exactly one (not last)", calls)
	}
	if n := jobsPending(t, b); n != 0 {
		t.Fatalf("%d jobs left after a permanent failure, want 0", n)
	}
}

func TestPermanent(t *testing.T) {
	if Permanent(nil) != nil {
		t.Fatal("Permanent(nil) != nil")
	}
	base := errors.New("boom")
	err := fmt.Errorf("wrapped: %w", Permanent(base))
	if !IsPermanent(err) || !errors.Is(err, base) {
		t.Fatalf("IsPermanent = %v, errors.Is(base) = %v; want both true", IsPermanent(err), errors.Is(err, base))
	}
	if IsPermanent(base) || IsPermanent(nil) {
		t.Fatal("plain error reported permanent")
	}
}

func TestMalformedJobIsDropped(t *testing.T) {
	t.Parallel()
	log := testLogger(t)
	b := openEmbedded(t, log, t.TempDir(), "")

	var rec recorder
	consume(t, b, ConsumeConfig{AckWait: testAckWait}, rec.handler("a", nil))
	if _, err := b.js.Publish(testCtx(t), TranscodeSubject, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	enqueue(t, b, job(1)) // queued behind the bad one: must still run
	eventually(t, 10*time.Second, "the good job", func() bool { return rec.len() == 1 })
	eventually(t, 5*time.Second, "the bad job to be dropped", func() bool { return jobsPending(t, b) == 0 })
	if calls := rec.snapshot(); len(calls) != 1 || calls[0].job != job(1) {
		t.Fatalf("calls = %+v, want only the good job", calls)
	}
}

// A worker that dies holding a job (no ack, no heartbeat) loses it to
// another replica once the ack wait has passed.
func TestCrashedWorkerJobGoesToAnotherReplica(t *testing.T) {
	waitsOutTimers(t)
	t.Parallel()
	log := testLogger(t)
	host := openEmbedded(t, log, t.TempDir(), "127.0.0.1:0")
	url := host.ClientURL()
	a := openURL(t, log, url)
	bb := openURL(t, log, url)

	var rec recorder
	consume(t, a, ConsumeConfig{AckWait: testAckWait}, rec.handler("a", func(ctx context.Context, _ call) error {
		<-ctx.Done() // hangs until the test ends; the process "dies" meanwhile
		return ctx.Err()
	}))
	enqueue(t, host, job(1))
	eventually(t, 10*time.Second, "worker a to take the job", func() bool { return rec.len() == 1 })
	a.nc.Close() // the process dies: no ack, no more heartbeats
	died := time.Now()

	consume(t, bb, ConsumeConfig{AckWait: testAckWait}, rec.handler("b", nil))
	eventually(t, 10*time.Second, "worker b to get the job", func() bool { return rec.len() == 2 })
	calls := rec.snapshot()
	c := calls[1]
	if c.by != "b" || c.job != job(1) || c.attempt != 2 {
		t.Fatalf("redelivery = %+v, want job 1 on worker b, attempt 2", c)
	}
	// Not before the ack wait counted from a's last heartbeat (at most
	// AckWait/3 before it died).
	if gap := c.at.Sub(died); gap < testAckWait-testAckWait/3-50*time.Millisecond {
		t.Fatalf("redelivered %s after the crash, before the ack wait %s", gap, testAckWait)
	}
	eventually(t, 5*time.Second, "the job to be acked", func() bool { return jobsPending(t, host) == 0 })
}

// A worker stopping (its ctx cancelled) hands its job back at once: another
// replica gets it well before the ack wait.
func TestStoppingWorkerReleasesJob(t *testing.T) {
	waitsOutTimers(t)
	t.Parallel()
	log := testLogger(t)
	host := openEmbedded(t, log, t.TempDir(), "127.0.0.1:0")
	other := openURL(t, log, host.ClientURL())

	const ackWait = 5 * time.Second
	var rec recorder
	stopA := consume(t, host, ConsumeConfig{AckWait: ackWait}, rec.handler("a", func(ctx context.Context, _ call) error {
		<-ctx.Done()
		return ctx.Err()
	}))
	enqueue(t, host, job(1))
	eventually(t, 10*time.Second, "worker a to take the job", func() bool { return rec.len() == 1 })
	consume(t, other, ConsumeConfig{AckWait: ackWait}, rec.handler("b", nil))
	stopped := time.Now()
	if err := stopA(); err != nil {
		t.Fatalf("ConsumeTranscodes after cancel = %v, want nil", err)
	}
	eventually(t, ackWait-time.Second, "worker b to get the released job", func() bool { return rec.len() == 2 })
	if c := rec.snapshot()[1]; c.by != "b" || c.attempt != 2 {
		t.Fatalf("second call = %+v, want worker b attempt 2", c)
	}
	if took := time.Since(stopped); took >= ackWait {
		t.Fatalf("released job took %s to come back, not less than the ack wait", took)
	}
}

// A handler running for 3 ack waits keeps its job thanks to heartbeats: the
// other replica, idle meanwhile, never sees it.
func TestHeartbeatKeepsLongJob(t *testing.T) {
	waitsOutTimers(t)
	t.Parallel()
	log := testLogger(t)
	host := openEmbedded(t, log, t.TempDir(), "127.0.0.1:0")
	other := openURL(t, log, host.ClientURL())

	var rec recorder
	slow := rec.handler("", func(ctx context.Context, _ call) error {
		select {
		case <-time.After(3 * testAckWait):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	cfg := ConsumeConfig{AckWait: testAckWait, Concurrency: 2}
	consume(t, host, cfg, slow)
	consume(t, other, cfg, slow)
	enqueue(t, host, job(1))
	eventually(t, 10*time.Second, "the job to start", func() bool { return rec.len() >= 1 })
	start := time.Now()
	eventually(t, 10*time.Second, "the job to be acked", func() bool { return jobsPending(t, host) == 0 })
	if took := time.Since(start); took < 3*testAckWait-200*time.Millisecond {
		t.Fatalf("job finished after %s, before the handler could", took)
	}
	time.Sleep(testAckWait / 2)
	if calls := rec.snapshot(); len(calls) != 1 {
		t.Fatalf("long job handled %d times, want 1 (redelivered despite heartbeats): %+v", len(calls), calls)
	}
}

// Each replica holds at most Concurrency jobs: the rest stay in the stream
// for other replicas, none prefetched.
func TestConcurrencyBound(t *testing.T) {
	t.Parallel()
	log := testLogger(t)
	b := openEmbedded(t, log, t.TempDir(), "")

	var running, maxRunning atomic.Int32
	release := make(chan struct{})
	var rec recorder
	consume(t, b, ConsumeConfig{AckWait: testAckWait, Concurrency: 2}, rec.handler("a", func(ctx context.Context, _ call) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := maxRunning.Load()
			if n <= m || maxRunning.CompareAndSwap(m, n) {
				break
			}
		}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}))
	for i := range 5 {
		enqueue(t, b, job(i))
	}
	eventually(t, 10*time.Second, "two jobs to start", func() bool { return rec.len() == 2 })
	time.Sleep(300 * time.Millisecond)
	if n := rec.len(); n != 2 {
		t.Fatalf("%d jobs started with concurrency 2", n)
	}
	cons, err := b.js.Consumer(testCtx(t), JobsStream, TranscodeConsumer)
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if info.NumAckPending != 2 || info.NumPending != 3 {
		t.Fatalf("consumer has %d jobs out and %d waiting, want 2 and 3", info.NumAckPending, info.NumPending)
	}
	close(release)
	eventually(t, 10*time.Second, "all jobs", func() bool { return rec.len() == 5 })
	eventually(t, 5*time.Second, "all acks", func() bool { return jobsPending(t, b) == 0 })
	if m := maxRunning.Load(); m != 2 {
		t.Fatalf("max concurrent handlers = %d, want 2", m)
	}
}

func TestExactlyOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	log := testLogger(t)
	host := openEmbedded(t, log, t.TempDir(), "127.0.0.1:0")
	other := openURL(t, log, host.ClientURL())

	const jobs = 50
	var mu sync.Mutex
	seen := map[string]int{}
	by := map[string]int{}
	inflight := map[string]int{}
	tooMany := ""
	h := func(name string) TranscodeHandler {
		return func(ctx context.Context, j domain.TranscodeJob, attempt int, last bool) error {
			mu.Lock()
			seen[j.UploadID]++
			by[name]++
			inflight[name]++
			if inflight[name] > 2 {
				tooMany = fmt.Sprintf("%s ran %d jobs at once", name, inflight[name])
			}
			mu.Unlock()
			time.Sleep(time.Duration(5+int(j.UploadID[len(j.UploadID)-1])%20) * time.Millisecond)
			mu.Lock()
			inflight[name]--
			mu.Unlock()
			return nil
		}
	}
	cfg := ConsumeConfig{AckWait: 2 * testAckWait, Concurrency: 2}
	consume(t, host, cfg, h("host"))
	consume(t, other, cfg, h("other"))
	for i := range jobs {
		from := host
		if i%2 == 1 {
			from = other
		}
		enqueue(t, from, job(i))
	}
	eventually(t, 20*time.Second, "all jobs", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == jobs
	})
	eventually(t, 5*time.Second, "all acks", func() bool { return jobsPending(t, host) == 0 })
	time.Sleep(cfg.AckWait + 500*time.Millisecond) // any redelivery would show now

	mu.Lock()
	defer mu.Unlock()
	for i := range jobs {
		if n := seen[job(i).UploadID]; n != 1 {
			t.Errorf("job %d handled %d times, want 1", i, n)
		}
	}
	if by["host"]+by["other"] != jobs || by["host"] == 0 || by["other"] == 0 {
		t.Errorf("handled per replica = %v, want %d in total and some on each", by, jobs)
	}
	if tooMany != "" {
		t.Error(tooMany)
	}
	t.Logf("handled per replica: %v", by)
}

// Pending jobs and the consumer's state survive a restart of the embedded
// server on the same store.
func TestPersistenceAcrossRestart(t *testing.T) {
	t.Parallel()
	log := testLogger(t)
	dir := t.TempDir()
	ctx := testCtx(t)

	b1, err := Open(ctx, Config{StoreDir: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	var rec recorder
	stop := consume(t, b1, ConsumeConfig{AckWait: testAckWait}, rec.handler("first", nil))
	enqueue(t, b1, job(1))
	eventually(t, 10*time.Second, "job 1", func() bool { return rec.len() == 1 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	enqueue(t, b1, job(2)) // nobody consumes it before the restart
	if err := b1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b1.EnqueueTranscode(ctx, job(3)); !errors.Is(err, ErrClosed) {
		t.Fatalf("EnqueueTranscode after Close = %v, want ErrClosed", err)
	}

	b2 := openEmbedded(t, log, dir, "")
	if n := jobsPending(t, b2); n != 1 {
		t.Fatalf("%d jobs after restart, want 1", n)
	}
	consume(t, b2, ConsumeConfig{AckWait: testAckWait}, rec.handler("second", nil))
	eventually(t, 10*time.Second, "job 2 after the restart", func() bool { return rec.len() == 2 })
	time.Sleep(testAckWait + 500*time.Millisecond)
	calls := rec.snapshot()
	if len(calls) != 2 || calls[1].by != "second" || calls[1].job != job(2) || calls[1].attempt != 1 {
		t.Fatalf("calls = %+v, want job 1 before the restart and only job 2 after it", calls)
	}
}

func TestConsumeAfterCloseAndClosing(t *testing.T) {
	t.Parallel()
	log := testLogger(t)
	b, err := Open(testCtx(t), Config{StoreDir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		errc <- b.ConsumeTranscodes(context.Background(), ConsumeConfig{AckWait: testAckWait}, func(context.Context, domain.TranscodeJob, int, bool) error { return nil })
	}()
	time.Sleep(200 * time.Millisecond)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("ConsumeTranscodes on Close = %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ConsumeTranscodes did not return on Close")
	}
	if err := b.ConsumeTranscodes(context.Background(), ConsumeConfig{}, func(context.Context, domain.TranscodeJob, int, bool) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("ConsumeTranscodes after Close = %v, want ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestConsumeConfigDefaults(t *testing.T) {
	c, err := ConsumeConfig{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.Concurrency != 1 || c.AckWait != DefaultAckWait || c.MaxDeliver != DefaultMaxDeliver || len(c.Backoff) != len(DefaultBackoff) {
		t.Fatalf("defaults = %+v", c)
	}
	c.Backoff = []time.Duration{time.Second, 2 * time.Second}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 7: 2 * time.Second} {
		if got := c.backoff(attempt); got != want {
			t.Errorf("backoff(%d) = %s, want %s", attempt, got, want)
		}
	}
	for _, bad := range []ConsumeConfig{{Concurrency: -1}, {AckWait: time.Millisecond}, {MaxDeliver: -2}, {Backoff: []time.Duration{-time.Second}}} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestStreamsAndConsumerSettings(t *testing.T) {
	t.Parallel()
	log := testLogger(t)
	host := openEmbedded(t, log, t.TempDir(), "127.0.0.1:0")
	// A second replica opening on the same server updates nothing and fails
	// nothing.
	other := openURL(t, log, host.ClientURL())
	ctx := testCtx(t)

	s, err := other.js.Stream(ctx, JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	jc := s.CachedInfo().Config
	if jc.Retention != jetstream.WorkQueuePolicy || jc.Storage != jetstream.FileStorage || jc.Duplicates != JobsDedupeWindow || jc.Replicas != 1 {
		t.Fatalf("jobs stream config = %+v", jc)
	}
	s, err = other.js.Stream(ctx, PlaysStream)
	if err != nil {
		t.Fatal(err)
	}
	pc := s.CachedInfo().Config
	if pc.Retention != jetstream.LimitsPolicy || pc.Storage != jetstream.FileStorage || pc.MaxAge != DefaultPlayRetention || pc.Duplicates != PlaysDedupeWindow {
		t.Fatalf("plays stream config = %+v", pc)
	}

	consume(t, other, ConsumeConfig{AckWait: 3 * time.Second, MaxDeliver: 4}, func(context.Context, domain.TranscodeJob, int, bool) error { return nil })
	eventually(t, 10*time.Second, "the consumer", func() bool {
		c, err := host.js.Consumer(ctx, JobsStream, TranscodeConsumer)
		if err != nil {
			return false
		}
		cc := c.CachedInfo().Config
		if cc.AckPolicy != jetstream.AckExplicitPolicy || cc.AckWait != 3*time.Second || cc.MaxDeliver != 5 || cc.Durable != TranscodeConsumer || len(cc.BackOff) != 0 {
			t.Fatalf("consumer config = %+v", cc)
		}
		return true
	})
}

func TestOpenValidation(t *testing.T) {
	ctx := testCtx(t)
	for name, cfg := range map[string]Config{
		"no store dir":                          {},
		"embedded with replicas":                {StoreDir: t.TempDir(), Replicas: 3},
		"url with store dir":                    {URL: "nats://127.0.0.1:1", StoreDir: t.TempDir()},
		"bad listen":                            {StoreDir: t.TempDir(), Listen: "nope", User: "u", Password: "p"},
		"listen without credentials":            {StoreDir: t.TempDir(), Listen: "127.0.0.1:0"},
		"listen on every interface by accident": {StoreDir: t.TempDir(), Listen: ":0", User: "u", Password: "p"},
		"user without password":                 {StoreDir: t.TempDir(), Listen: "127.0.0.1:0", User: "u"},
		"tls cert without key":                  {StoreDir: t.TempDir(), Listen: "127.0.0.1:0", User: "u", Password: "p", TLSCert: "c.pem"},
		"tls without listen":                    {StoreDir: t.TempDir(), TLSCert: "c.pem", TLSKey: "k.pem"},
		"ca with embedded":                      {StoreDir: t.TempDir(), TLSCA: "ca.pem"},
		"url with tls cert":                     {URL: "nats://127.0.0.1:1", TLSCert: "c.pem", TLSKey: "k.pem"},
	} {
		if b, err := Open(ctx, cfg); err == nil {
			b.Close()
			t.Errorf("%s: Open succeeded", name)
		}
	}
}
