package queue

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// cleanups runs b.ConsumeCleanups for the test and records what it handles.
type cleanups struct {
	mu   sync.Mutex
	jobs []domain.CleanupJob
	at   []time.Time
}

func (c *cleanups) consume(t *testing.T, b *Broker, cfg ConsumeConfig, fail func(n int) error) {
	t.Helper()
	h := func(_ context.Context, j domain.CleanupJob) error {
		c.mu.Lock()
		c.jobs = append(c.jobs, j)
		c.at = append(c.at, time.Now())
		n := len(c.jobs)
		c.mu.Unlock()
		if fail != nil {
			return fail(n)
		}
		return nil
	}
	stop := runConsumer(t, "ConsumeCleanups", func(ctx context.Context) error { return b.ConsumeCleanups(ctx, cfg, h) })
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("ConsumeCleanups: %v", err)
		}
	})
}

func (c *cleanups) snapshot() ([]domain.CleanupJob, []time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]domain.CleanupJob(nil), c.jobs...), append([]time.Time(nil), c.at...)
}

func (c *cleanups) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.jobs)
}

// A replaced media set must outlive the URLs handed out for it: its job
// runs once it is due, not before, and once; a due job does not wait
// behind it.
func TestCleanupRunsWhenDue(t *testing.T) {
	waitsOutTimers(t)
	t.Parallel()
	log := testLogger(t)
	b := openEmbedded(t, log, t.TempDir(), "")
	var rec cleanups
	rec.consume(t, b, ConsumeConfig{AckWait: testAckWait}, nil)

	due := time.Now().Add(2 * time.Second).UTC()
	later := domain.CleanupJob{TrackID: "t1", MediaID: "m1", NotBefore: due}
	now := domain.CleanupJob{TrackID: "t2", NotBefore: time.Now().UTC()}
	for _, j := range []domain.CleanupJob{later, now, later} { // the repeat is a retried publish
		if err := b.EnqueueCleanup(testCtx(t), j); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "both jobs", func() bool { return rec.len() == 2 })
	time.Sleep(testAckWait + 500*time.Millisecond) // nothing more may come
	jobs, at := rec.snapshot()
	if len(jobs) != 2 {
		t.Fatalf("handled %d jobs, want 2: %+v", len(jobs), jobs)
	}
	if !jobs[0].NotBefore.Equal(now.NotBefore) || jobs[0].TrackID != "t2" {
		t.Fatalf("first handled %+v, want the due job first", jobs[0])
	}
	if jobs[1].TrackID != "t1" || jobs[1].MediaID != "m1" || !jobs[1].NotBefore.Equal(due) {
		t.Fatalf("second handled %+v, want %+v", jobs[1], later)
	}
	if at[1].Before(due) {
		t.Fatalf("job due at %s ran early, at %s", due.Format(time.StampMilli), at[1].Format(time.StampMilli))
	}
	if late := at[1].Sub(due); late > 2*time.Second {
		t.Fatalf("job ran %s after it was due", late)
	}
	if n := jobsPending(t, b); n != 0 {
		t.Fatalf("%d jobs left, want 0", n)
	}
}

// A failing cleanup (blob storage down) is retried; transcode jobs on the
// same stream are not held up by it.
func TestCleanupRetriesAndLeavesTranscodesAlone(t *testing.T) {
	t.Parallel()
	log := testLogger(t)
	b := openEmbedded(t, log, t.TempDir(), "")
	var rec cleanups
	rec.consume(t, b, ConsumeConfig{AckWait: testAckWait, Backoff: []time.Duration{200 * time.Millisecond}}, func(n int) error {
		if n < 3 {
			return errors.New("blob storage unavailable")
		}
		return nil
	})
	var tr recorder
	consume(t, b, ConsumeConfig{AckWait: testAckWait}, tr.handler("a", nil))

	if err := b.EnqueueCleanup(testCtx(t), domain.CleanupJob{TrackID: "t1", MediaID: "m1", NotBefore: time.Now()}); err != nil {
		t.Fatal(err)
	}
	enqueue(t, b, job(1))
	eventually(t, 10*time.Second, "the cleanup to succeed on its third try", func() bool { return rec.len() == 3 })
	eventually(t, 10*time.Second, "the transcode job", func() bool { return tr.len() == 1 })
	if calls := tr.snapshot(); calls[0].job != job(1) {
		t.Fatalf("transcode handler got %+v, want %+v", calls[0].job, job(1))
	}
	eventually(t, 5*time.Second, "an empty stream", func() bool { return jobsPending(t, b) == 0 })
}

func TestEnqueueCleanupValidation(t *testing.T) {
	t.Parallel()
	b := openEmbedded(t, testLogger(t), t.TempDir(), "")
	if err := b.EnqueueCleanup(testCtx(t), domain.CleanupJob{MediaID: "m"}); err == nil {
		t.Fatal("a cleanup job without a track was accepted")
	}
	if err := b.ConsumeCleanups(testCtx(t), ConsumeConfig{}, nil); err == nil {
		t.Fatal("ConsumeCleanups accepted a nil handler")
	}
}
