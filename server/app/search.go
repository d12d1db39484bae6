package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/obs"
	"github.com/backbeat/backbeat/server/search/indexer"
	"github.com/backbeat/backbeat/server/search/opensearch"
)

// SearchIndex is the OpenSearch index of a Cassandra keyspace: one per
// deployment, so deployments (and tests) sharing an OpenSearch node do
// not mix catalogs.
func SearchIndex(keyspace string) string { return "backbeat-" + strings.ToLower(keyspace) }

// IndexerName names the lease and checkpoints of the serving indexer.
const IndexerName = "search"

// indexTimeout bounds each of the indexer's requests to OpenSearch.
const indexTimeout = 15 * time.Second

// searchLagLogEvery is how often the active indexer logs its lag.
const searchLagLogEvery = time.Minute

// openSearch points catalog's Search at OpenSearch and starts this
// replica's indexer, which works while it holds the lease. OpenSearch
// need not be up: Search answers "unavailable" and the indexer retries
// until it is.
func (s *Server) openSearch(bg context.Context, cfg Config, feed domain.SearchFeed, catalog *domain.Catalog) error {
	if feed == nil {
		return fmt.Errorf("%s: store %q has no change feed", flagRef("search-url"), cfg.Store)
	}
	// Search waits for OpenSearch the default 2 s, so an outage answers
	// quickly; the indexer's bulk writes may take longer on a busy node,
	// and waiting costs nobody a response.
	eng, err := opensearch.New(opensearch.Config{URL: cfg.SearchURL, Index: SearchIndex(cfg.Cassandra.Keyspace)})
	if err != nil {
		return err
	}
	writer, err := opensearch.New(opensearch.Config{URL: cfg.SearchURL, Index: SearchIndex(cfg.Cassandra.Keyspace), Timeout: indexTimeout})
	if err != nil {
		return err
	}
	catalog.SetSearchEngine(s.tel.searchEngine(eng.Port(), "opensearch", cfg))
	s.tel.ready.Checks = append(s.tel.ready.Checks, obs.Check{Name: "search", Optional: true, Probe: func(ctx context.Context) error {
		_, _, err := eng.Port().Search(ctx, "readyz", nil, domain.Page{Size: 1})
		return err
	}})
	ix := indexer.New(feed, writer.Port(), indexer.Config{Name: IndexerName, Logger: s.log})
	s.indexer = ix
	s.background(func() {
		if !ensureIndex(bg, writer, s.log) {
			return
		}
		go logLag(bg, ix, s.log, s.tel.metrics)
		if err := ix.Run(bg); err != nil {
			s.log.Error("search indexer stopped", "err", err)
		}
	})
	return nil
}

// ensureIndex creates the index if missing, retrying while OpenSearch is
// down; false if bg ended first. The indexer must not write before: a
// write to a missing index would create it without the mapping.
func ensureIndex(bg context.Context, eng *opensearch.Engine, log *slog.Logger) bool {
	for warned := false; ; {
		err := eng.EnsureIndex(bg)
		if err == nil {
			return true
		}
		if !warned {
			log.Warn("search index not ready; retrying (Search answers unavailable meanwhile)", "err", err)
			warned = true
		}
		select {
		case <-bg.Done():
			return false
		case <-time.After(2 * time.Second):
		}
	}
}

// logLag logs the active indexer's lag now and then, so it is measurable
// from the logs as well as from 'backbeat search status'.
func logLag(bg context.Context, ix *indexer.Indexer, log *slog.Logger, m *obs.Metrics) {
	t := time.NewTicker(searchLagLogEvery)
	defer t.Stop()
	for {
		select {
		case <-bg.Done():
			return
		case <-t.C:
		}
		st := ix.Status()
		if !st.Holding || st.Watermark.IsZero() {
			continue
		}
		if m != nil {
			m.ConsumerLag.WithLabelValues("search_indexer").Set(time.Since(st.Watermark).Seconds())
		}
		log.Info("search indexer lag", "lag", time.Since(st.Watermark).Round(time.Millisecond),
			"record_lag_p50", ix.LagPercentile(50), "record_lag_p99", ix.LagPercentile(99), "indexed", st.Indexed)
	}
}

// SearchIndexer is this replica's indexer (nil without --search-url), for
// tests and status.
func (s *Server) SearchIndexer() *indexer.Indexer { return s.indexer }

// searchTools opens what 'backbeat search' works on: the store's change
// feed and the engine (on index, or the deployment's own when empty).
func searchTools(ctx context.Context, cfg Config, index string) (domain.SearchFeed, *opensearch.Engine, func() error, error) {
	if cfg.Store != "cassandra" {
		return nil, nil, nil, fmt.Errorf("%s: the search engine serves --store cassandra only; the embedded store indexes itself", flagRef("store"))
	}
	if err := ValidateSearchURL(cfg.SearchURL); err != nil {
		return nil, nil, nil, configError("search-url", "%v", err)
	}
	if index == "" {
		index = SearchIndex(cfg.Cassandra.Keyspace)
	}
	eng, err := opensearch.New(opensearch.Config{URL: cfg.SearchURL, Index: index, Timeout: 30 * time.Second})
	if err != nil {
		return nil, nil, nil, err
	}
	_, feed, closeStore, err := openStore(ctx, cfg.derived())
	if err != nil {
		return nil, nil, nil, err
	}
	return feed, eng, closeStore, nil
}

// ReindexSearch rebuilds the search index from the store: it creates the
// index if missing and writes every document into it, telling progress
// after each page, then deletes the documents it did not write: those
// the store no longer has (deleted while no indexer ran, or past the
// feed's 7 days). index empty means the deployment's own; another name
// builds a second index (to compare, or to switch to). It returns how
// many documents it wrote and how many it removed.
func ReindexSearch(ctx context.Context, cfg Config, index string, progress indexer.Progress) (written, removed int, err error) {
	feed, eng, closeStore, err := searchTools(ctx, cfg, index)
	if err != nil {
		return 0, 0, err
	}
	defer func() { err = errors.Join(err, closeStore()) }()
	if err := eng.EnsureIndex(ctx); err != nil {
		return 0, 0, err
	}
	// Every document the rebuild writes, and every one a live indexer
	// writes meanwhile, is versioned by a read after began: what is left
	// below it is what the store no longer has.
	began := time.Now().UnixMicro()
	written, err = indexer.Reindex(ctx, feed, eng.Port(), 500, progress)
	if err != nil {
		return written, 0, err
	}
	if err := eng.Refresh(ctx); err != nil {
		return written, 0, err
	}
	removed, err = eng.DeleteOlderThan(ctx, began)
	return written, removed, err
}

// SearchLag is how far the serving indexer's checkpoints are behind now.
func SearchLag(ctx context.Context, cfg Config) (_ time.Duration, err error) {
	if cfg.Store != "cassandra" {
		return 0, fmt.Errorf("%s: only the cassandra store has a search feed", flagRef("store"))
	}
	_, feed, closeStore, err := openStore(ctx, cfg.derived())
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, closeStore()) }()
	return indexer.Lag(ctx, feed, IndexerName, time.Now())
}
