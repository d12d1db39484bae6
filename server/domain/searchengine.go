package domain

import (
	"context"
	"sync"
	"time"
)

// ItemPlaylist names a public playlist as a search document and result.
const ItemPlaylist ItemType = "playlist"

// SearchDoc is one document as a search engine indexes it: Name is its own
// name or title, Artists the names it is also found by (ranked lower).
// Version orders writes of one document: an engine keeps the write with the
// highest version, so a stale write (one read before a newer one) loses.
type SearchDoc struct {
	Kind       ItemType
	ID         string
	Name       string
	Artists    []string
	Popularity int64
	Version    int64
}

// SearchRef names a document; Score is its rank in a search result, Exact
// as in SearchHit, and Version orders a delete against upserts, as
// SearchDoc.Version does.
type SearchRef struct {
	Kind    ItemType
	ID      string
	Score   float64
	Exact   bool
	Version int64
}

// SearchEngine is a search engine outside the store (OpenSearch for the
// Cassandra deployment). The store stays the source of truth: the engine
// holds only what Search needs to rank, and Catalog.Search reads the
// entities it names from the store. An engine that cannot be reached
// answers KindUnavailable errors, quickly.
type SearchEngine interface {
	// Search ranks the documents of types (all when empty) matching query
	// and returns one page of references, best first, and the next page's
	// token ("" at the end), as CatalogStore.Search does.
	Search(ctx context.Context, query string, types []ItemType, p Page) ([]SearchRef, string, error)
	// Upsert and Delete are idempotent; a write older (by Version) than the
	// document's last one is ignored.
	Upsert(ctx context.Context, docs []SearchDoc) error
	Delete(ctx context.Context, refs []SearchRef) error
}

// FeedRecord says one document changed. Pos is the record's position in its
// shard (opaque to all but the store), Time when it was written.
type FeedRecord struct {
	Shard int
	Pos   string
	Time  time.Time
	Kind  ItemType
	ID    string
}

// SearchFeed is a store's change feed of search documents: every write of
// an artist, album, track or playlist appends a record naming each document
// it changed, as part of the same store operation. An indexer tails it.
type SearchFeed interface {
	// FeedShards is the number of shards; each is read in order on its own.
	FeedShards() int
	// ReadFeed returns up to limit records of shard after position after
	// (none: "" means from since) written no later than until, oldest first.
	ReadFeed(ctx context.Context, shard int, after string, since, until time.Time, limit int) ([]FeedRecord, error)
	// FeedPos is the position just past every record written at or before t.
	FeedPos(t time.Time) string
	// FeedPosTime is the time of a position from ReadFeed or FeedPos.
	FeedPosTime(pos string) (time.Time, error)
	// Checkpoints returns an indexer's saved position per shard; a shard
	// never saved is missing.
	Checkpoints(ctx context.Context, indexer string) (map[int]string, error)
	SaveCheckpoint(ctx context.Context, indexer string, shard int, pos string) error
	// SearchDoc returns the document as it is now; KindNotFound if it is
	// gone or must not be found (a private playlist).
	SearchDoc(ctx context.Context, kind ItemType, id string) (*SearchDoc, error)
	// ScanSearchDocs returns one page of every document of kind, for a
	// rebuild of the index.
	ScanSearchDocs(ctx context.Context, kind ItemType, p Page) ([]SearchDoc, string, error)
	// HoldLease takes the lease name for holder, or renews it if holder
	// has it, for ttl; false if another holder has it.
	HoldLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up if holder has it.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// SetSearchEngine makes Search query e instead of the store. It is wiring:
// call it before the Catalog serves.
func (c *Catalog) SetSearchEngine(e SearchEngine) { c.engine = e }

// searchEngine answers Search from the engine, reading the entities it
// names from the store: the page's tracks (most of a mixed page) in one
// BatchGetTracks, every other hit with its own read, a few at a time. A
// document the engine still has but the store no longer does (the feed not
// yet indexed its delete) is left out of the page rather than failing it.
func (c *Catalog) searchEngine(ctx context.Context, query string, types []ItemType, pg Page) ([]SearchHit, string, error) {
	refs, next, err := c.engine.Search(ctx, query, types, pg)
	if err != nil {
		return nil, "", err
	}
	hits := make([]SearchHit, len(refs))
	errs := make([]error, len(refs))
	var trackIDs []string
	sem := make(chan struct{}, searchFetchParallel)
	var wg sync.WaitGroup
	for i, r := range refs {
		if r.Kind == ItemTrack {
			trackIDs = append(trackIDs, r.ID)
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			hits[i], errs[i] = c.searchHit(ctx, r)
		})
	}
	var tracks []*Track
	var tracksErr error
	if len(trackIDs) > 0 {
		tracks, tracksErr = c.stores.Catalog.BatchGetTracks(ctx, trackIDs)
	}
	wg.Wait()
	if tracksErr != nil {
		return nil, "", tracksErr
	}
	byID := make(map[string]*Track, len(tracks))
	for _, t := range tracks {
		byID[t.ID] = t
	}
	out := hits[:0]
	for i, h := range hits {
		r := refs[i]
		if r.Kind == ItemTrack {
			h = SearchHit{Score: r.Score, Exact: r.Exact, Track: byID[r.ID]}
		}
		switch {
		case IsKind(errs[i], KindNotFound):
		case errs[i] != nil:
			return nil, "", errs[i]
		case h.Artist != nil || h.Album != nil || h.Track != nil || h.Playlist != nil:
			out = append(out, h)
		}
	}
	return out, next, nil
}

// searchFetchParallel bounds the concurrent reads of one search page.
const searchFetchParallel = 8

// searchHit reads the artist, album or playlist r names (tracks are read
// in a batch); an empty hit for a kind Search does not return.
func (c *Catalog) searchHit(ctx context.Context, r SearchRef) (SearchHit, error) {
	h := SearchHit{Score: r.Score, Exact: r.Exact}
	var err error
	switch r.Kind {
	case ItemPlaylist:
		// The engine may not yet know the playlist was made private.
		if h.Playlist, err = c.stores.Playlists.GetPlaylist(ctx, r.ID); err == nil && !h.Playlist.Public {
			h.Playlist = nil
		}
	case ItemArtist:
		h.Artist, err = c.stores.Catalog.GetArtist(ctx, r.ID)
	case ItemAlbum:
		h.Album, err = c.stores.Catalog.GetAlbum(ctx, r.ID)
	}
	return h, err
}
