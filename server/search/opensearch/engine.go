// Package opensearch is the search engine adapter for deployments whose
// store cannot search by itself at scale (Cassandra): it indexes artists,
// albums, tracks and public playlists in OpenSearch and answers queries
// grouped by kind, with a top result.
//
// OpenSearch's minimal distribution has no analysis plugins, and the
// embedded store folds text its own way, so every text is folded with
// search.Fold before it reaches OpenSearch, documents and queries alike,
// and the index only splits on whitespace: both stores then agree on what
// a word is.
package opensearch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	osgo "github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/backbeat/backbeat/server/derrors"
)

// ErrUnavailable is wrapped into every error caused by OpenSearch being
// unreachable, slow past the timeout or failing on its side, so callers
// can answer "unavailable" rather than "internal".
var ErrUnavailable = errors.New("search engine unavailable")

// Searcher is what the rest of Backbeat will need from a search engine;
// it becomes a domain port once the store is wired to it.
type Searcher interface {
	Upsert(ctx context.Context, docs []Doc) error
	Delete(ctx context.Context, refs []Ref) error
	Search(ctx context.Context, q Query) (Result, error)
}

var _ Searcher = (*Engine)(nil)

// Config says where the engine is and how long to wait for it.
type Config struct {
	// URL is OpenSearch's HTTP endpoint, e.g. http://127.0.0.1:9200.
	URL string
	// Index is the index name; one per deployment (tests use one each).
	Index string
	// Timeout bounds every request, so a hung or stopped OpenSearch turns
	// into a quick error instead of a stuck listener. Default 2 s.
	Timeout time.Duration
}

// DefaultTimeout is Config.Timeout's default.
const DefaultTimeout = 2 * time.Second

// Engine is the OpenSearch adapter. It is safe for concurrent use.
type Engine struct {
	api     *opensearchapi.Client
	index   string
	timeout time.Duration
}

// New returns an engine for cfg. It does not contact OpenSearch: a search
// engine that is down must not keep the server from starting.
func New(cfg Config) (_ *Engine, err error) {
	defer derrors.Wrap(&err, "opensearch.New(%q)", cfg.URL)
	if cfg.URL == "" || cfg.Index == "" {
		return nil, errors.New("URL and Index are required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	api, err := opensearchapi.NewClient(opensearchapi.Config{Client: osgo.Config{
		Addresses: []string{cfg.URL},
		// Retrying a refused connection only delays the error the caller
		// has to report anyway; the timeout bounds each request instead.
		DisableRetry: true,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: cfg.Timeout}).DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		},
	}})
	if err != nil {
		return nil, err
	}
	return &Engine{api: api, index: cfg.Index, timeout: cfg.Timeout}, nil
}

// bounded returns ctx limited by the engine's timeout.
func (e *Engine) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.timeout)
}

// classify wraps err with ErrUnavailable unless OpenSearch answered and
// refused the request itself (a 4xx: a bug of ours, not an outage).
func classify(err error) error {
	if err == nil {
		return nil
	}
	var se *osgo.StructError
	if errors.As(err, &se) && se.Status >= 400 && se.Status < 500 {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}
