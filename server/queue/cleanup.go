package queue

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

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
	id := "cleanup/" + job.TrackID + "/" + job.MediaID + "/" + strconv.FormatInt(job.NotBefore.UnixNano(), 36)
	ack, err := b.publishJob(ctx, "cleanup", CleanupSubject, id, job)
	if err != nil {
		return err
	}
	b.log.Debug("cleanup job enqueued", "track_id", job.TrackID, "media_id", job.MediaID,
		"not_before", job.NotBefore, "seq", ack.Sequence, "duplicate", ack.Duplicate)
	return nil
}

// ConsumeCleanups runs cfg.Concurrency cleanup workers on the shared
// consumer CleanupConsumer until ctx is done or the Broker is closed. A job
// taken before its NotBefore goes back to the stream until then (each such
// return counts as a delivery towards cfg.MaxDeliver, once per job as a
// rule).
func (b *Broker) ConsumeCleanups(ctx context.Context, cfg ConsumeConfig, h CleanupHandler) error {
	if h == nil {
		return errors.New("queue: nil cleanup handler")
	}
	return b.consume(ctx, cfg, jobKind{
		name:     "cleanup",
		subject:  CleanupSubject,
		consumer: CleanupConsumer,
		desc:     "Backbeat media cleanup workers of every replica",
		decode: func(data []byte) (decodedJob, error) {
			var cj domain.CleanupJob
			if err := json.Unmarshal(data, &cj); err != nil {
				return decodedJob{}, err
			}
			if cj.TrackID == "" {
				return decodedJob{}, errors.New("no track id")
			}
			return decodedJob{
				attrs: []any{"track_id", cj.TrackID, "media_id", cj.MediaID},
				due:   cj.NotBefore,
				run:   func(ctx context.Context, _ int, _ bool) error { return h(ctx, cj) },
			}, nil
		},
	})
}
