package opensearch

import (
	"context"
	"fmt"
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
    "_source": {"excludes": ["version"]},
    "properties": {
      "kind":       {"type": "keyword"},
      "id":         {"type": "keyword"},
      "name":       {"type": "text", "analyzer": "whitespace", "fields": {"exact": {"type": "keyword"}}},
      "artists":    {"type": "text", "analyzer": "whitespace", "fields": {"exact": {"type": "keyword"}}},
      "popularity": {"type": "long"},
      "version":    {"type": "long"}
    }
  }
}`

// versionField is the mapping's version field on its own, added to an
// index created before it existed (PUT mapping adds a field in place):
// a rebuild deletes the documents it did not write by it (DeleteOlderThan).
// It is indexed but left out of the stored source (above), which stays what
// a search needs, so two indexes of the same catalog hold the same sources.
const versionField = `{"properties": {"version": {"type": "long"}}}`

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
		_, err = e.api.Indices.Mapping.Put(ctx, opensearchapi.MappingPutReq{Indices: []string{e.index}, Body: strings.NewReader(versionField)})
		return classify(err)
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

// DeleteOlderThan deletes every document whose version is below version
// (or that has none: written before versions were stored) and returns how
// many it deleted. A rebuild that began at version (Unix microseconds) and
// rewrote every document the store has leaves exactly the documents the
// store no longer has below it; a document written since, by the rebuild
// or the live indexer, is newer and stays. A document changed while the
// delete runs is a version conflict and is skipped, not deleted.
func (e *Engine) DeleteOlderThan(ctx context.Context, version int64) (_ int, err error) {
	defer derrors.Wrap(&err, "DeleteOlderThan(%q, %d)", e.index, version)
	ctx, cancel := context.WithTimeout(ctx, max(e.timeout, indexAdminTimeout))
	defer cancel()
	body := fmt.Sprintf(`{"query": {"bool": {"must_not": {"range": {"version": {"gte": %d}}}}}}`, version)
	refresh := true
	resp, err := e.api.Document.DeleteByQuery(ctx, opensearchapi.DocumentDeleteByQueryReq{
		Indices: []string{e.index}, Body: strings.NewReader(body),
		Params: opensearchapi.DocumentDeleteByQueryParams{Conflicts: "proceed", Refresh: &refresh},
	})
	if err != nil {
		return 0, classify(err)
	}
	if len(resp.Failures) > 0 {
		return resp.Deleted, fmt.Errorf("%d documents not deleted, first: %+v", len(resp.Failures), resp.Failures[0])
	}
	return resp.Deleted, nil
}
