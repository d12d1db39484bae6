package search_test

import (
	"testing"

	"github.com/backbeat/backbeat/server/search"
	"github.com/backbeat/backbeat/server/search/searchtest"
)

// TestConformance runs the engines' shared table on the embedded index;
// server/search/opensearch runs it on OpenSearch.
func TestConformance(t *testing.T) {
	searchtest.Run(t, searchtest.Index{Index: search.NewIndex()}, nil)
}
