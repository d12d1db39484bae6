package opensearch

import (
	"context"
	"strings"
	"time"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/backbeat/backbeat/server/derrors"
)

// mapping is the index's explicit mapping. Texts arrive folded (see the
// package comment), so the whitespace analyzer is all the analysis needed;
// the keyword subfields hold the whole folded text for exact-match
// ranking. dynamic is strict so a field typo fails loudly instead of
// silently creating an unsearched field.
const mapping = `{
  "settings": {
    "number_of_shards": 1,
    "number_of_replicas": 0,
    "refresh_interval": "1s"
  },
  "mappings": {
    "dynamic": "strict",
    "properties": {
      "kind":       {"type": "keyword"},
      "id":         {"type": "keyword"},
      "name":       {"type": "text", "analyzer": "whitespace", "fields": {"exact": {"type": "keyword"}}},
      "artists":    {"type": "text", "analyzer": "whitespace", "fields": {"exact": {"type": "keyword"}}},
      "popularity": {"type": "long"}
    }
  }
}`

// indexAdminTimeout bounds creating and deleting the index. These change
// the cluster state and wait for shards to be allocated, which takes seconds
// on a busy node (a CI run saw index creation outlast the 2 s search
// timeout); they run at start-up and in tools, never on a request's path.
const indexAdminTimeout = 30 * time.Second

// EnsureIndex creates the index with its mapping unless it exists.
func (e *Engine) EnsureIndex(ctx context.Context) (err error) {
	defer derrors.Wrap(&err, "EnsureIndex(%q)", e.index)
	ctx, cancel := context.WithTimeout(ctx, max(e.timeout, indexAdminTimeout))
	defer cancel()
	resp, err := e.api.Indices.Exists(ctx, opensearchapi.IndicesExistsReq{Indices: []string{e.index}})
	if resp != nil && resp.StatusCode == 200 {
		return nil
	}
	if resp == nil || resp.StatusCode != 404 {
		return classify(err)
	}
	_, err = e.api.Indices.Create(ctx, opensearchapi.IndicesCreateReq{Index: e.index, Body: strings.NewReader(mapping)})
	return classify(err)
}

// DropIndex deletes the index, for a rebuild from scratch and for tests.
func (e *Engine) DropIndex(ctx context.Context) (err error) {
	defer derrors.Wrap(&err, "DropIndex(%q)", e.index)
	ctx, cancel := context.WithTimeout(ctx, max(e.timeout, indexAdminTimeout))
	defer cancel()
	_, err = e.api.Indices.Delete(ctx, opensearchapi.IndicesDeleteReq{Indices: []string{e.index}})
	return classify(err)
}

// Refresh makes every write so far searchable now rather than within the
// index's refresh interval (1 s).
func (e *Engine) Refresh(ctx context.Context) (err error) {
	defer derrors.Wrap(&err, "Refresh(%q)", e.index)
	ctx, cancel := e.bounded(ctx)
	defer cancel()
	_, err = e.api.Indices.Refresh(ctx, &opensearchapi.IndicesRefreshReq{Index: []string{e.index}})
	return classify(err)
}
