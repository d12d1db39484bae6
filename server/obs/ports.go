package obs

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/backbeat/backbeat/server/domain"
)

// SearchEngine wraps a search engine (OpenSearch) so each query is timed
// (backbeat_search_duration_seconds{engine}), traced, and refused fast by
// br while the engine is down. Only Search goes through the breaker: the
// indexer's writes retry on their own and must not hold it open for the
// users' queries.
func SearchEngine(e domain.SearchEngine, engine string, m *Metrics, tracer trace.Tracer, br *Breaker) domain.SearchEngine {
	return searchEngine{SearchEngine: e, engine: engine, m: m, tracer: tracer, br: br}
}

type searchEngine struct {
	domain.SearchEngine
	engine string
	m      *Metrics
	tracer trace.Tracer
	br     *Breaker
}

func (s searchEngine) Search(ctx context.Context, query string, types []domain.ItemType, p domain.Page) (refs []domain.SearchRef, next string, err error) {
	start := time.Now()
	ctx, span := s.tracer.Start(ctx, "search."+s.engine, trace.WithSpanKind(trace.SpanKindClient))
	err = s.br.Do(func() error {
		var err error
		refs, next, err = s.SearchEngine.Search(ctx, query, types, p)
		return err
	})
	s.m.searched(s.engine, start)
	endSpan(span, err)
	return refs, next, err
}

// searched records one search's latency.
func (m *Metrics) searched(engine string, start time.Time) {
	if m != nil {
		m.SearchDuration.WithLabelValues(engine).Observe(time.Since(start).Seconds())
	}
}

// Broker wraps the broker's two ports through one breaker: a transcode
// job that cannot be queued fails the upload with unavailable and a retry
// hint; play events that cannot be published are dropped and counted
// (backbeat_play_events_dropped_total), since the plays themselves are
// already in the store and playback must go on without the broker.
func Broker(jobs domain.JobQueue, events domain.PlayEventLog, m *Metrics, br *Breaker, log *slog.Logger) (domain.JobQueue, domain.PlayEventLog) {
	return jobQueue{jobs, br}, playEvents{events, m, br, log}
}

type jobQueue struct {
	next domain.JobQueue
	br   *Breaker
}

func (q jobQueue) EnqueueTranscode(ctx context.Context, job domain.TranscodeJob) error {
	return q.br.Do(func() error { return q.next.EnqueueTranscode(ctx, job) })
}

type playEvents struct {
	next domain.PlayEventLog
	m    *Metrics
	br   *Breaker
	log  *slog.Logger
}

func (p playEvents) PublishPlayEvents(ctx context.Context, userID string, events []domain.PlayEvent) error {
	err := p.br.Do(func() error { return p.next.PublishPlayEvents(ctx, userID, events) })
	if err != nil && domain.IsKind(err, domain.KindUnavailable) {
		if p.m != nil {
			p.m.PlayEventsDropped.Add(float64(len(events)))
		}
		p.log.WarnContext(ctx, "play events dropped: the broker is unavailable", "events", len(events), "err", err)
		return nil
	}
	return err
}
