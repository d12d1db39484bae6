package queue

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// TranscodeBacklog counts the bulk transcode jobs in JobsStream: waiting
// and running ones (a job leaves the work queue when its worker acks it).
// The API refuses new upload URLs while it is over a bound, so uploads
// cannot pile up work faster than the workers drain it. Urgent jobs are left
// out: each repeats a bulk job a play is waiting for.
func (b *Broker) TranscodeBacklog(ctx context.Context) (int, error) {
	d, err := b.TranscodeDepth(ctx)
	return d.Bulk, err
}

// Depth is how many transcode jobs wait or run, per priority.
type Depth struct {
	Urgent, Bulk int
}

// TranscodeDepth counts the transcode jobs in JobsStream per priority.
func (b *Broker) TranscodeDepth(ctx context.Context) (Depth, error) {
	s, err := b.js.Stream(ctx, JobsStream)
	if err != nil {
		return Depth{}, fmt.Errorf("queue: transcode backlog: %w", err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter("backbeat.jobs.>"))
	if err != nil {
		return Depth{}, fmt.Errorf("queue: transcode backlog: %w", err)
	}
	return Depth{
		Urgent: int(info.State.Subjects[UrgentTranscodeSubject]),
		Bulk:   int(info.State.Subjects[TranscodeSubject]),
	}, nil
}
