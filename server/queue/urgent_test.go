package queue

import (
	"context"
	"testing"
	"time"
)

// An urgent job enqueued behind 20 bulk ones is the next one a busy worker
// (concurrency 1) takes, and both priorities' depths are counted.
func TestUrgentJobsGoFirst(t *testing.T) {
	t.Parallel()
	log := testLogger(t)
	b := openEmbedded(t, log, t.TempDir(), "")

	const bulk = 20
	for i := range bulk {
		enqueue(t, b, job(i))
	}
	urgent := job(100)
	if err := b.EnqueueUrgentTranscode(testCtx(t), urgent); err != nil {
		t.Fatal(err)
	}
	// A second play of the same track makes no second job.
	if err := b.EnqueueUrgentTranscode(testCtx(t), urgent); err != nil {
		t.Fatal(err)
	}
	d, err := b.TranscodeDepth(testCtx(t))
	if err != nil || d != (Depth{Urgent: 1, Bulk: bulk}) {
		t.Fatalf("TranscodeDepth = %+v, %v; want 1 urgent, %d bulk", d, err, bulk)
	}
	if n, err := b.TranscodeBacklog(testCtx(t)); err != nil || n != bulk {
		t.Fatalf("TranscodeBacklog = %d, %v; want the %d bulk jobs", n, err, bulk)
	}

	var rec recorder
	consume(t, b, ConsumeConfig{AckWait: testAckWait, Concurrency: 1}, rec.handler("a", func(context.Context, call) error {
		return nil
	}))
	eventually(t, 30*time.Second, "every job to be handled", func() bool { return rec.len() == bulk+1 })
	calls := rec.snapshot()
	// The worker may have pulled the first bulk job before the urgent
	// consumer existed; never later than that.
	if calls[0].job != urgent && calls[1].job != urgent {
		t.Fatalf("urgent job handled at %v; want first (or second)", calls)
	}
	if d, err := b.TranscodeDepth(testCtx(t)); err != nil || d != (Depth{}) {
		t.Fatalf("TranscodeDepth after = %+v, %v", d, err)
	}
}
