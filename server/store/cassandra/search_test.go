package cassandra

import (
	"strings"
	"testing"

	"github.com/backbeat/backbeat/server/domain"
)

// TestSearchWithoutEngineIsUnavailable: the store has no search of its own
// (the prefix table is dropped, 014), so without a search engine Search
// answers unavailable, saying what the operator must configure, and reads
// nothing (no session is needed).
func TestSearchWithoutEngineIsUnavailable(t *testing.T) {
	hits, next, err := catalogStore{}.Search(t.Context(), "daft", nil, domain.Page{Size: 10})
	if !domain.IsKind(err, domain.KindUnavailable) || hits != nil || next != "" {
		t.Fatalf("Search = %v, %q, %v; want unavailable", hits, next, err)
	}
	if !strings.Contains(err.Error(), "--search-url") {
		t.Errorf("error %q does not name --search-url", err)
	}
}
