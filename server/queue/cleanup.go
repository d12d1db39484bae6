package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/backbeat/backbeat/server/domain"
)

const (
	// CleanupSubject is the subject media cleanup jobs are published on.
	CleanupSubject = "backbeat.jobs.cleanup"
	// CleanupConsumer is the durable pull consumer every replica's cleanup
	// workers share.
	CleanupConsumer = "cleaners"
)

// CleanupHandler removes what one due cleanup job names. Like a
// TranscodeHandler it may run more than once for one job.
type CleanupHandler func(ctx context.Context, job domain.CleanupJob) error

// EnqueueCleanup stores job in the jobs stream; a cleanup worker runs it once
// job.NotBefore has passed. Its message id is the job's content, so a
// retried publish stores it once.
func (b *Broker) EnqueueCleanup(ctx context.Context, job domain.CleanupJob) error {
	if job.TrackID == "" {
		return errors.New("queue: cleanup job without track id")
	}
	if b.isClosing() {
		return ErrClosed
	}
	data, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("queue: encode cleanup job: %w", err)
	}
	id := "cleanup/" + job.TrackID + "/" + job.MediaID + "/" + strconv.FormatInt(job.NotBefore.UnixNano(), 36)
	ack, err := b.js.Publish(ctx, CleanupSubject, data,
		jetstream.WithMsgID(id), jetstream.WithExpectStream(JobsStream))
	if err != nil {
		return unavailable("queue: enqueue cleanup job", err)
	}
	b.log.Debug("cleanup job enqueued", "track_id", job.TrackID, "media_id", job.MediaID,
		"not_before", job.NotBefore, "seq", ack.Sequence, "duplicate", ack.Duplicate)
	return nil
}

// ConsumeCleanups runs cfg.Concurrency cleanup workers on the shared
// consumer CleanupConsumer until ctx is done or the Broker is closed. A job
// taken before its NotBefore goes back to the stream until then (each such
// return counts as a delivery towards cfg.MaxDeliver, once per job as a
// rule). now is the clock jobs are due by (time.Now when nil).
func (b *Broker) ConsumeCleanups(ctx context.Context, cfg ConsumeConfig, now func() time.Time, h CleanupHandler) error {
	if h == nil {
		return errors.New("queue: nil cleanup handler")
	}
	if now == nil {
		now = time.Now
	}
	return b.consume(ctx, cfg, jobKind{
		name:     "cleanup",
		subject:  CleanupSubject,
		consumer: CleanupConsumer,
		desc:     "Backbeat media cleanup workers of every replica",
		run: func(ctx context.Context, data []byte, _ int, _ bool, log *slog.Logger) error {
			var job domain.CleanupJob
			if err := json.Unmarshal(data, &job); err != nil {
				return &malformedError{err}
			}
			if job.TrackID == "" {
				return &malformedError{errors.New("no track id")}
			}
			if wait := job.NotBefore.Sub(now()); wait > 0 {
				return &notYetError{wait}
			}
			log.Debug("cleanup job started", "track_id", job.TrackID, "media_id", job.MediaID)
			return h(ctx, job)
		},
	})
}
