package cassandra

import (
	"context"

	"github.com/backbeat/backbeat/server/domain"
)

// ErrNoSearchEngine is the error of Search: the Cassandra store cannot
// search by itself at scale (cassandra/cql/README.md, 014), so a
// deployment serves Search from a search engine (OpenSearch, --search-url)
// that the change feed keeps indexed, and the domain asks the engine
// instead of the store. Without one, Search is unavailable and every
// other call works.
var ErrNoSearchEngine = domain.Unavailable("search is not available: this server has no search engine configured (the Cassandra store serves Search through OpenSearch, --search-url)")

// Search answers ErrNoSearchEngine: see there.
func (catalogStore) Search(context.Context, string, []domain.ItemType, domain.Page) ([]domain.SearchHit, string, error) {
	return nil, "", ErrNoSearchEngine
}

// artistNames returns the names of the artists that exist, in order.
func (s *Store) artistNames(ctx context.Context, ids []string) ([]string, error) {
	as, err := fetchAll(ctx, ids, catalogStore{s}.GetArtist)
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = a.Name
	}
	return names, err
}
