package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

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
	if b.isClosing() {
		return ErrClosed
	}
	data, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("queue: encode transcode job: %w", err)
	}
	ack, err := b.js.Publish(ctx, TranscodeSubject, data,
		jetstream.WithMsgID(job.UploadID), jetstream.WithExpectStream(JobsStream))
	if err != nil {
		return unavailable("queue: enqueue transcode job", err)
	}
	b.log.Debug("transcode job enqueued", "upload_id", job.UploadID, "track_id", job.TrackID,
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

// ConsumeTranscodes runs cfg.Concurrency workers on the shared transcode
// consumer (creating or updating it) and blocks until ctx is done or the
// Broker is closed. Stopping cancels the running handlers' ctx and waits for
// them, and for the workers' open pull requests to expire (at most 5s). When
// it returns, every job it took has been acked, terminated or released. It
// returns nil when ctx ends, ErrClosed when the Broker was closed, and an
// error when the consumer cannot be set up.
func (b *Broker) ConsumeTranscodes(ctx context.Context, cfg ConsumeConfig, h TranscodeHandler) error {
	if h == nil {
		return errors.New("queue: nil transcode handler")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	b.mu.Lock()
	if b.closing {
		b.mu.Unlock()
		return ErrClosed
	}
	b.consumers.Add(1)
	b.mu.Unlock()
	defer b.consumers.Done()

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-b.done:
			cancel()
		case <-ctx.Done():
		}
	}()

	cc := jetstream.ConsumerConfig{
		Durable:       TranscodeConsumer,
		Description:   "Backbeat transcode workers of every replica",
		FilterSubject: TranscodeSubject,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.AckWait,
		// One delivery beyond the attempts: if a worker dies during the last
		// attempt, the job still comes back once, as an attempt past
		// MaxDeliver, so the handler can record the failure instead of
		// leaving the job (and its track) stuck.
		MaxDeliver: cfg.MaxDeliver + 1,
		// No server-side BackOff: JetStream would use it instead of AckWait as
		// the redelivery timeout of each attempt. Retry delays are given per
		// failure with NakWithDelay instead, and AckWait stays the heartbeat
		// deadline.
	}
	cons, err := b.js.CreateOrUpdateConsumer(ctx, JobsStream, cc)
	if err != nil {
		if b.isClosing() {
			return ErrClosed
		}
		if parent.Err() != nil {
			return nil
		}
		return fmt.Errorf("queue: create consumer %s: %w", TranscodeConsumer, err)
	}
	b.log.Info("transcode workers started", "concurrency", cfg.Concurrency,
		"ack_wait", cfg.AckWait, "max_deliver", cfg.MaxDeliver, "backoff", cfg.Backoff)

	w := &worker{b: b, cons: cons, cc: cc, cfg: cfg, h: h}
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Go(func() { w.run(ctx) })
	}
	wg.Wait()
	b.log.Info("transcode workers stopped")
	if parent.Err() == nil && b.isClosing() {
		return ErrClosed
	}
	return nil
}

func (b *Broker) isClosing() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closing
}

type worker struct {
	b    *Broker
	cons jetstream.Consumer
	cc   jetstream.ConsumerConfig
	cfg  ConsumeConfig
	h    TranscodeHandler
}

// run pulls one job at a time until ctx is done.
func (w *worker) run(ctx context.Context) {
	log := w.b.log
	wait := pullWait(w.cfg.AckWait)
	retry := time.Second
	for ctx.Err() == nil {
		msg, err := w.next(ctx, wait)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Warn("pull transcode job", "err", err, "retry_in", retry)
			if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) {
				if _, cerr := w.b.js.CreateOrUpdateConsumer(ctx, JobsStream, w.cc); cerr != nil && ctx.Err() == nil {
					log.Error("recreate transcode consumer", "err", cerr)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(retry):
			}
			retry = min(2*retry, 30*time.Second)
			continue
		}
		retry = time.Second
		if msg == nil {
			continue // no job during this pull
		}
		if ctx.Err() != nil {
			release(msg, log)
			return
		}
		w.handle(ctx, msg)
	}
}

// next pulls one job, waiting up to wait; it returns nil, nil when none came.
// When ctx ends first it still waits for the pull to expire, releasing a job
// that arrives meanwhile, so no job is left with a worker that is gone.
func (w *worker) next(ctx context.Context, wait time.Duration) (jetstream.Msg, error) {
	batch, err := w.cons.Fetch(1, jetstream.FetchMaxWait(wait))
	if err != nil {
		return nil, err
	}
	select {
	case msg, ok := <-batch.Messages():
		if ok {
			return msg, nil
		}
	case <-ctx.Done():
		for msg := range batch.Messages() {
			release(msg, w.b.log)
		}
		return nil, ctx.Err()
	}
	if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
		return nil, err
	}
	return nil, nil
}

// release hands a job this stopping worker will not run back to the queue
// at once.
func release(msg jetstream.Msg, log *slog.Logger) {
	if err := msg.Nak(); err != nil {
		log.Warn("release transcode job", "err", err)
	}
}

// handle runs the handler on one message and settles it.
func (w *worker) handle(ctx context.Context, msg jetstream.Msg) {
	log := w.b.log
	md, err := msg.Metadata()
	if err != nil {
		log.Error("transcode job without metadata, dropping it", "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	}
	attempt := int(md.NumDelivered)
	last := attempt >= w.cfg.MaxDeliver
	log = log.With("seq", md.Sequence.Stream, "attempt", attempt)

	var job domain.TranscodeJob
	if err := json.Unmarshal(msg.Data(), &job); err != nil || job.UploadID == "" {
		log.Error("malformed transcode job, dropping it", "err", err, "data", string(msg.Data()))
		_ = msg.TermWithReason("malformed job")
		return
	}
	log = log.With("upload_id", job.UploadID, "track_id", job.TrackID)
	log.Info("transcode job started", "last", last)
	start := time.Now()

	hctx, cancel := context.WithCancel(ctx)
	beat := make(chan struct{})
	var beating sync.WaitGroup
	beating.Go(func() { heartbeat(msg, w.cfg.AckWait/3, beat, log) })
	err = callHandler(hctx, w.h, job, attempt, last)
	close(beat)
	beating.Wait() // no heartbeat may follow the final ack
	cancel()
	took := time.Since(start).Round(time.Millisecond)

	switch {
	case err == nil:
		actx, acancel := context.WithTimeout(context.Background(), 10*time.Second)
		aerr := msg.DoubleAck(actx)
		acancel()
		if aerr != nil {
			log.Warn("transcode job done but its ack failed; it may run again", "took", took, "err", aerr)
			return
		}
		log.Info("transcode job done", "took", took)
	case IsPermanent(err) || last:
		if terr := msg.TermWithReason(truncate(err.Error(), 200)); terr != nil {
			log.Warn("terminate transcode job", "err", terr)
		}
		log.Error("transcode job failed for good", "took", took, "err", err, "permanent", IsPermanent(err))
	case ctx.Err() != nil:
		release(msg, log)
		log.Info("transcode job abandoned by a stopping worker, released", "took", took, "err", err)
	default:
		delay := w.cfg.backoff(attempt)
		if nerr := msg.NakWithDelay(delay); nerr != nil {
			log.Warn("nak transcode job; it returns after the ack wait", "err", nerr)
		}
		log.Warn("transcode job failed, will retry", "took", took, "retry_in", delay, "err", err)
	}
}

// heartbeat tells JetStream every interval that msg is still being worked on,
// until stop is closed (the handler returned: even a handler winding down
// after its ctx was cancelled keeps its job).
func heartbeat(msg jetstream.Msg, interval time.Duration, stop <-chan struct{}, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if err := msg.InProgress(); err != nil {
				log.Warn("transcode job heartbeat", "err", err)
			}
		}
	}
}

// callHandler runs h, turning a panic into an error so one bad job cannot
// take the process (and the other workers' jobs) down.
func callHandler(ctx context.Context, h TranscodeHandler, job domain.TranscodeJob, attempt int, last bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("transcode handler panic: %v\n%s", r, debug.Stack())
		}
	}()
	return h(ctx, job, attempt, last)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
