package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// EnqueueTranscode publishes job and waits until JetStream has stored it. The
// job's UploadID is its message id: enqueueing one upload again within
// JobsDedupeWindow (a retried request, a client retry after a lost answer)
// stores nothing new, so there is one job per upload.
func (b *Broker) EnqueueTranscode(ctx context.Context, job domain.TranscodeJob) error {
	if job.UploadID == "" {
		return errors.New("queue: transcode job without upload id")
	}
	ack, err := b.publishJob(ctx, "transcode", TranscodeSubject, job.UploadID, job)
	if err != nil {
		return err
	}
	b.log.Debug("transcode job enqueued", "upload_id", job.UploadID, "track_id", job.TrackID,
		"seq", ack.Sequence, "duplicate", ack.Duplicate)
	return nil
}

// EnqueueUrgentTranscode publishes job on the urgent subject, which every
// worker drains before the bulk one: a play is waiting for this ladder. The
// bulk job of the same upload stays queued and finds nothing left to do
// when its turn comes. Enqueueing one upload urgently again within
// JobsDedupeWindow stores nothing new, so repeated plays make one job.
func (b *Broker) EnqueueUrgentTranscode(ctx context.Context, job domain.TranscodeJob) error {
	if job.UploadID == "" {
		return errors.New("queue: transcode job without upload id")
	}
	ack, err := b.publishJob(ctx, "urgent transcode", UrgentTranscodeSubject, "urgent-"+job.UploadID, job)
	if err != nil {
		return err
	}
	b.log.Debug("urgent transcode job enqueued", "upload_id", job.UploadID, "track_id", job.TrackID,
		"seq", ack.Sequence, "duplicate", ack.Duplicate)
	return nil
}

// ConsumeConfig tunes one replica's transcode workers. AckWait, MaxDeliver
// and Backoff describe the shared consumer: give every replica the same.
type ConsumeConfig struct {
	// Concurrency is how many jobs this replica handles at once (default 1).
	// Each worker pulls one job only when it is free, so no job waits in a
	// busy replica's buffer while another replica idles.
	Concurrency int
	// AckWait is how long a job may go without news from its worker before
	// JetStream hands it to another one (default 30s). Workers send a
	// heartbeat every AckWait/3 while their handler runs, so AckWait bounds
	// how long a dead worker's job waits, not how long a transcode may take.
	AckWait time.Duration
	// MaxDeliver is how many attempts a job gets, counting redeliveries after
	// a dead worker (default 5).
	MaxDeliver int
	// Backoff[i] is the delay before attempt i+2 after attempt i+1 failed; the
	// last entry repeats (default 10s, 1m, 5m).
	Backoff []time.Duration
}

// Defaults of ConsumeConfig.
const (
	DefaultAckWait    = 30 * time.Second
	DefaultMaxDeliver = 5
)

// DefaultBackoff is ConsumeConfig.Backoff's default.
var DefaultBackoff = []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute}

func (c ConsumeConfig) withDefaults() (ConsumeConfig, error) {
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if len(c.Backoff) == 0 {
		c.Backoff = DefaultBackoff
	}
	switch {
	case c.Concurrency < 0:
		return c, fmt.Errorf("queue: negative concurrency %d", c.Concurrency)
	case c.AckWait < 100*time.Millisecond:
		return c, fmt.Errorf("queue: ack wait %s is below 100ms", c.AckWait)
	case c.MaxDeliver < 1:
		return c, fmt.Errorf("queue: max deliver must be positive, got %d", c.MaxDeliver)
	}
	for _, d := range c.Backoff {
		if d < 0 {
			return c, fmt.Errorf("queue: negative backoff %s", d)
		}
	}
	return c, nil
}

// backoff is the delay after a failed attempt (1-based).
func (c ConsumeConfig) backoff(attempt int) time.Duration {
	i := min(max(attempt-1, 0), len(c.Backoff)-1)
	return c.Backoff[i]
}

// TranscodeHandler handles one job. attempt starts at 1; last reports that
// this is the final allowed attempt: if it fails, the job is dropped, so the
// handler records the failure (e.g. marks the track failed) itself, as it
// does for an error it wraps with Permanent. The handler's ctx is cancelled
// when the consumer stops; a job it then abandons with an error is handed to
// another worker at once. Jobs are delivered at least once (a worker whose
// acknowledgement is lost, or who stalls past AckWait, sees its job done
// again): handlers must be idempotent. attempt exceeds MaxDeliver (once)
// only when the worker of the last attempt died without settling the job:
// the handler should then record the failure rather than try again.
type TranscodeHandler func(ctx context.Context, job domain.TranscodeJob, attempt int, last bool) error

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks a handler error as not worth retrying: the job is dropped
// after this attempt. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var pe *permanentError
	return errors.As(err, &pe)
}

// pullWait is how long one pull request waits for a job: it also bounds how
// long a stopping worker waits for its open request to expire. The server
// cannot be told to drop a pull request, and one abandoned early could still
// be handed a job that would then sit, unseen, until its ack wait ran out; so
// workers keep short pulls and let the last one expire.
func pullWait(ackWait time.Duration) time.Duration {
	return min(max(ackWait, time.Second), 5*time.Second)
}

// ConsumeTranscodes runs cfg.Concurrency transcode workers on the shared
// consumer TranscodeConsumer and blocks until ctx is done or the Broker is
// closed; see consume for how it stops and what it returns.
func (b *Broker) ConsumeTranscodes(ctx context.Context, cfg ConsumeConfig, h TranscodeHandler) error {
	if h == nil {
		return errors.New("queue: nil transcode handler")
	}
	return b.consume(ctx, cfg, jobKind{
		name:     "transcode",
		subject:  TranscodeSubject,
		consumer: TranscodeConsumer,
		desc:     "Backbeat transcode workers of every replica",
		urgent: &jobQueue{
			subject:  UrgentTranscodeSubject,
			consumer: UrgentTranscodeConsumer,
			desc:     "Backbeat transcode workers of every replica: jobs a play waits for",
		},
		decode: func(data []byte) (decodedJob, error) {
			var tj domain.TranscodeJob
			if err := json.Unmarshal(data, &tj); err != nil {
				return decodedJob{}, err
			}
			if tj.UploadID == "" {
				return decodedJob{}, errors.New("no upload id")
			}
			return decodedJob{
				attrs: []any{"upload_id", tj.UploadID, "track_id", tj.TrackID},
				run:   func(ctx context.Context, attempt int, last bool) error { return h(ctx, tj, attempt, last) },
			}, nil
		},
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
