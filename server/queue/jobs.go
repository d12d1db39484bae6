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
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the queue's spans.
const tracerName = "github.com/backbeat/backbeat/server/queue"

// propagator carries a W3C trace context in job headers.
var propagator = propagation.TraceContext{}

// jobKind is one kind of job on JobsStream: its subject, the durable
// consumer every replica's workers share, and how a message is decoded.
type jobKind struct {
	name     string // "transcode", "cleanup": in logs
	subject  string
	consumer string
	desc     string
	// decode reads one message; an error drops it as malformed.
	decode func(data []byte) (decodedJob, error)
	// urgent, when set, is a second subject of the same jobs that workers
	// drain first.
	urgent *jobQueue
}

// jobQueue is a subject and the durable consumer that shares its jobs out.
type jobQueue struct {
	subject, consumer, desc string
}

// pulled is one consumer a worker pulls from.
type pulled struct {
	cons jetstream.Consumer
	cc   jetstream.ConsumerConfig
}

// urgentPoll bounds how long a worker waits on the bulk queue before it
// looks at the urgent one again: the longest an urgent job waits for an
// idle worker.
const urgentPoll = time.Second

// decodedJob is a message read into what a worker needs to run it.
type decodedJob struct {
	// attrs name the job in every log line about it.
	attrs []any
	// due, when set, is when the job may run. JetStream has no delayed
	// delivery that every supported server version offers, so a job carries
	// its due time and a worker that gets it early naks it with the remaining
	// delay: it waits in the stream, not in a process that may die.
	due time.Time
	run func(ctx context.Context, attempt int, last bool) error
}

// publishJob stores job, JSON-encoded, on subject in JobsStream and waits
// for JetStream's ack. id is its message id: a publish of the same id within
// JobsDedupeWindow stores nothing new. kind names the job in errors.
func (b *Broker) publishJob(ctx context.Context, kind, subject, id string, job any) (*jetstream.PubAck, error) {
	if b.isClosing() {
		return nil, ErrClosed
	}
	data, err := json.Marshal(job)
	if err != nil {
		return nil, fmt.Errorf("queue: encode %s job: %w", kind, err)
	}
	msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	// The job's trace continues the request's: the worker's spans become
	// its children wherever the job runs.
	propagator.Inject(ctx, propagation.HeaderCarrier(msg.Header))
	ack, err := b.js.PublishMsg(ctx, msg, jetstream.WithMsgID(id), jetstream.WithExpectStream(JobsStream))
	if err != nil {
		return nil, unavailable("queue: enqueue "+kind+" job", err)
	}
	return ack, nil
}

// consume runs cfg.Concurrency workers on kind's shared consumer (creating
// or updating it) and blocks until ctx is done or the Broker is closed.
// Stopping cancels the running handlers' ctx and waits for them, and for the
// workers' open pull requests to expire (at most 5s). When it returns, every
// job it took has been acked, terminated or released. It returns nil when
// ctx ends, ErrClosed when the Broker was closed, and an error when the
// consumer cannot be set up.
func (b *Broker) consume(ctx context.Context, cfg ConsumeConfig, kind jobKind) error {
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
		Durable:       kind.consumer,
		Description:   kind.desc,
		FilterSubject: kind.subject,
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
	queues := []jetstream.ConsumerConfig{cc}
	if u := kind.urgent; u != nil {
		ucc := cc
		ucc.Durable, ucc.Description, ucc.FilterSubject = u.consumer, u.desc, u.subject
		queues = []jetstream.ConsumerConfig{ucc, cc}
	}
	var pulls []pulled
	for _, qc := range queues {
		cons, err := b.js.CreateOrUpdateConsumer(ctx, JobsStream, qc)
		if err != nil {
			if b.isClosing() {
				return ErrClosed
			}
			if parent.Err() != nil {
				return nil
			}
			return fmt.Errorf("queue: create consumer %s: %w", qc.Durable, err)
		}
		pulls = append(pulls, pulled{cons: cons, cc: qc})
	}
	log := b.log.With("jobs", kind.name)
	log.Info("workers started", "concurrency", cfg.Concurrency,
		"ack_wait", cfg.AckWait, "max_deliver", cfg.MaxDeliver, "backoff", cfg.Backoff)

	w := &worker{b: b, log: log, pulls: pulls, cfg: cfg, kind: kind}
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Go(func() { w.run(ctx) })
	}
	wg.Wait()
	log.Info("workers stopped")
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
	b   *Broker
	log *slog.Logger
	// pulls are the consumers in the order they are drained: urgent first.
	pulls []pulled
	cfg   ConsumeConfig
	kind  jobKind
}

// run pulls one job at a time until ctx is done.
func (w *worker) run(ctx context.Context) {
	log := w.log
	wait := pullWait(w.cfg.AckWait)
	if len(w.pulls) > 1 {
		wait = min(wait, urgentPoll)
	}
	retry := time.Second
	for ctx.Err() == nil {
		msg, p, err := w.nextAny(ctx, wait)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Warn("pull job", "err", err, "retry_in", retry)
			if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) {
				if _, cerr := w.b.js.CreateOrUpdateConsumer(ctx, JobsStream, p.cc); cerr != nil && ctx.Err() == nil {
					log.Error("recreate consumer", "consumer", p.cc.Durable, "err", cerr)
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

// nextAny takes a job from the first consumer that has one without waiting,
// else waits up to wait on the last; it also returns the consumer it last
// pulled from (for an error).
func (w *worker) nextAny(ctx context.Context, wait time.Duration) (jetstream.Msg, pulled, error) {
	for i, p := range w.pulls {
		if i == len(w.pulls)-1 {
			msg, err := w.next(ctx, func() (jetstream.MessageBatch, error) {
				return p.cons.Fetch(1, jetstream.FetchMaxWait(wait))
			})
			return msg, p, err
		}
		msg, err := w.next(ctx, func() (jetstream.MessageBatch, error) { return p.cons.FetchNoWait(1) })
		if err != nil || msg != nil {
			return msg, p, err
		}
	}
	return nil, pulled{}, errors.New("queue: no consumer")
}

// next pulls one job with fetch; it returns nil, nil when none came. When
// ctx ends first it still waits for the pull to expire, releasing a job
// that arrives meanwhile, so no job is left with a worker that is gone.
func (w *worker) next(ctx context.Context, fetch func() (jetstream.MessageBatch, error)) (jetstream.Msg, error) {
	batch, err := fetch()
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
			release(msg, w.log)
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
		log.Warn("release job", "err", err)
	}
}

// handle runs one message and settles it.
func (w *worker) handle(ctx context.Context, msg jetstream.Msg) {
	log := w.log
	md, err := msg.Metadata()
	if err != nil {
		log.Error("job without metadata, dropping it", "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	}
	attempt := int(md.NumDelivered)
	last := attempt >= w.cfg.MaxDeliver
	log = log.With("seq", md.Sequence.Stream, "attempt", attempt)

	j, err := w.kind.decode(msg.Data())
	if err != nil {
		log.Error("malformed job, dropping it", "err", err, "data", truncate(string(msg.Data()), 500))
		_ = msg.TermWithReason("malformed job")
		return
	}
	log = log.With(j.attrs...)
	if wait := time.Until(j.due); wait > 0 {
		if nerr := msg.NakWithDelay(wait); nerr != nil {
			log.Warn("put back a job not yet due; it returns after the ack wait", "err", nerr)
		}
		return
	}
	log.Info("job started", "last", last)
	start := time.Now()
	outcome := "ok"
	defer func() {
		if w.b.jobDone != nil {
			w.b.jobDone(w.kind.name, outcome, time.Since(start))
		}
	}()
	sctx, span := w.b.tracer.Start(propagator.Extract(ctx, propagation.HeaderCarrier(msg.Headers())), "job "+w.kind.name,
		trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attribute.Int("attempt", attempt)))
	defer span.End()

	hctx, cancel := context.WithCancel(sctx)
	beat := make(chan struct{})
	var beating sync.WaitGroup
	beating.Go(func() { heartbeat(msg, w.cfg.AckWait/3, beat, log) })
	err = w.call(hctx, j, attempt, last)
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
			log.Warn("job done but its ack failed; it may run again", "took", took, "err", aerr)
			return
		}
		log.Info("job done", "took", took)
	case IsPermanent(err) || last:
		outcome = "failed"
		span.SetStatus(codes.Error, err.Error())
		if terr := msg.TermWithReason(truncate(err.Error(), 200)); terr != nil {
			log.Warn("terminate job", "err", terr)
		}
		log.Error("job failed for good", "took", took, "err", err, "permanent", IsPermanent(err))
	case ctx.Err() != nil:
		outcome = "abandoned"
		release(msg, log)
		log.Info("job abandoned by a stopping worker, released", "took", took, "err", err)
	default:
		outcome = "retry"
		span.SetStatus(codes.Error, err.Error())
		delay := w.cfg.backoff(attempt)
		if nerr := msg.NakWithDelay(delay); nerr != nil {
			log.Warn("nak job; it returns after the ack wait", "err", nerr)
		}
		log.Warn("job failed, will retry", "took", took, "retry_in", delay, "err", err)
	}
}

// call runs the job, turning a panic into an error so one bad job cannot
// take the process (and the other workers' jobs) down.
func (w *worker) call(ctx context.Context, j decodedJob, attempt int, last bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s handler panic: %v\n%s", w.kind.name, r, debug.Stack())
		}
	}()
	return j.run(ctx, attempt, last)
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
				log.Warn("job heartbeat", "err", err)
			}
		}
	}
}
