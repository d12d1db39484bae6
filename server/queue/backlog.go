package queue

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// TranscodeBacklog counts the transcode jobs in JobsStream: waiting and
// running ones (a job leaves the work queue when its worker acks it). The
// API refuses new upload URLs while it is over a bound, so uploads cannot
// pile up work faster than the workers drain it.
func (b *Broker) TranscodeBacklog(ctx context.Context) (int, error) {
	s, err := b.js.Stream(ctx, JobsStream)
	if err != nil {
		return 0, fmt.Errorf("queue: transcode backlog: %w", err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(TranscodeSubject))
	if err != nil {
		return 0, fmt.Errorf("queue: transcode backlog: %w", err)
	}
	return int(info.State.Subjects[TranscodeSubject]), nil
}
