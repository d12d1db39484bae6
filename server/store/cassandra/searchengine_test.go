package cassandra

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/search/indexer"
	"github.com/backbeat/backbeat/server/search/opensearch"
	"github.com/backbeat/backbeat/server/store/storetest"
	"github.com/backbeat/backbeat/server/testenv/opensearchtest"
)

// searchHarness serves the conformance suite's Search as a Cassandra
// deployment does: the store's change feed, tailed by an indexer into
// OpenSearch, and the domain's engine search reading the hits back from
// the store. The store has no search of its own (migration 014), so
// without BACKBEAT_OPENSEARCH=1 the cases that search are skipped, saying
// why.
type searchHarness struct {
	store  *Store
	engine *opensearch.Engine // nil without OpenSearch
}

func newSearchHarness(t *testing.T, s *Store, keyspace string) *searchHarness {
	h := &searchHarness{store: s}
	if !opensearchtest.Enabled() {
		return h
	}
	node := opensearchtest.Shared(t)
	eng, err := opensearch.New(opensearch.Config{URL: node.URL, Index: "backbeat-" + keyspace, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.EnsureIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.DropIndex(context.Background()) })
	h.engine = eng
	return h
}

// stores returns the store's ports for subtest t, with Search through the
// engine. Call it on an empty store. The first Search of the subtest
// empties the index and starts an indexer, which builds the index from
// the store (no saved position) and then tails the feed until t ends;
// subtests that do not search pay nothing for it.
func (h *searchHarness) stores(t *testing.T) domain.Stores {
	st := h.store.Stores()
	if h.engine == nil {
		st.Catalog = noSearch{st.Catalog, t}
		return st
	}
	catalog := domain.NewCatalog(st, nil, nil)
	catalog.SetSearchEngine(h.engine.Port())
	st.Catalog = &engineSearch{CatalogStore: st.Catalog, t: t, h: h, catalog: catalog}
	return st
}

// engineSearch searches once the indexer has indexed every write made
// before the call: the suite checks what a search finds, not how soon.
type engineSearch struct {
	domain.CatalogStore
	t       *testing.T
	h       *searchHarness
	catalog *domain.Catalog
	ix      *indexer.Indexer // started by the first Search
}

// caughtUpWithin bounds the wait for the indexer, generously: a loaded
// machine slows it, and a failure here names the indexer's state.
const caughtUpWithin = time.Minute

func (c *engineSearch) start(ctx context.Context) error {
	if _, err := c.h.engine.DeleteOlderThan(ctx, math.MaxInt64); err != nil {
		return fmt.Errorf("emptying the search index: %w", err)
	}
	c.ix = indexer.New(c.h.store.SearchFeed(), c.h.engine.Port(), indexer.Config{
		Name: "conformance", LeaseTTL: 5 * time.Second, Poll: 20 * time.Millisecond, Settle: 100 * time.Millisecond,
	})
	run, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.ix.Run(run)
	}()
	c.t.Cleanup(func() { cancel(); <-done })
	return nil
}

// sync returns once every write made before the call is searchable,
// starting the indexer on the first call.
func (c *engineSearch) sync(ctx context.Context) error {
	if c.ix == nil {
		if err := c.start(ctx); err != nil {
			return err
		}
	}
	mark := time.Now()
	for !c.ix.Status().Watermark.After(mark) {
		if time.Since(mark) > caughtUpWithin {
			return fmt.Errorf("the indexer did not catch up within %s: %+v", caughtUpWithin, c.ix.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return c.h.engine.Refresh(ctx)
}

func (c *engineSearch) Search(ctx context.Context, query string, types []domain.ItemType, p domain.Page) ([]domain.SearchHit, string, error) {
	if err := c.sync(ctx); err != nil {
		return nil, "", err
	}
	return c.catalog.Search(ctx, query, types, p)
}

// qualitySetup is the search path storetest.RunSearchQuality drives on
// this store: the store's own ports, OpenSearch as the engine, and a Sync
// that waits for the indexer. Call it on an empty store; without
// OpenSearch it skips t.
func (h *searchHarness) qualitySetup(t *testing.T) storetest.SearchSetup {
	if h.engine == nil {
		t.Skip("Search on the Cassandra store runs through OpenSearch and the indexer: set BACKBEAT_OPENSEARCH=1 to run the search-quality cases")
	}
	es := &engineSearch{t: t, h: h}
	return storetest.SearchSetup{
		Stores: h.store.Stores(),
		Engine: h.engine.Port(),
		Sync: func(t *testing.T) {
			t.Helper()
			if err := es.sync(t.Context()); err != nil {
				t.Fatal(err)
			}
		},
	}
}

// noSearch skips the case that searches.
type noSearch struct {
	domain.CatalogStore
	t *testing.T
}

func (c noSearch) Search(context.Context, string, []domain.ItemType, domain.Page) ([]domain.SearchHit, string, error) {
	c.t.Skip("Search on the Cassandra store runs through OpenSearch and the indexer (migration 014 dropped its own): set BACKBEAT_OPENSEARCH=1 to run this case")
	return nil, "", nil
}
