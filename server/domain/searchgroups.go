package domain

import (
	"context"
	"sync"

	"github.com/backbeat/backbeat/server/derrors"
)

// SearchTypes are the types of the grouped search, in the order of its
// groups when a request names none.
var SearchTypes = []ItemType{ItemArtist, ItemAlbum, ItemTrack, ItemPlaylist}

// SearchGroup is one type's page of hits, best first; Next is the token of
// its next page ("" at the end).
type SearchGroup struct {
	Type ItemType
	Hits []SearchHit
	Next string
}

// SearchResults is what a listener sees for a query: the top result (nil
// when nothing matches or on a later page) and a group per type.
type SearchResults struct {
	Top    *SearchHit
	Groups []SearchGroup
}

// SearchGrouped runs Search once per type (all of SearchTypes when types is
// empty), concurrently, each group a page of pg.Size. A page token pages one
// group, so with a token types must name exactly one type. The top result,
// on a first page, is the first artist whose name is exactly the query
// (Exact), else the best scored first hit of any group, the earlier group
// winning a tie: a listener typing a name most likely means the artist,
// not a song titled after them.
func (c *Catalog) SearchGrouped(ctx context.Context, query string, types []ItemType, pg Page) (_ *SearchResults, err error) {
	defer derrors.Wrap(&err, "Catalog.SearchGrouped(%q)", query)
	if len(types) == 0 {
		types = SearchTypes
	}
	if pg.Token != "" && len(types) != 1 {
		return nil, Invalid("page_token", "pages one group: name exactly one type with it")
	}
	res := &SearchResults{Groups: make([]SearchGroup, len(types))}
	errs := make([]error, len(types))
	var wg sync.WaitGroup
	for i, t := range types {
		wg.Go(func() {
			g := &res.Groups[i]
			g.Type = t
			g.Hits, g.Next, errs[i] = c.Search(ctx, query, []ItemType{t}, pg)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if pg.Token == "" {
		res.Top = topResult(res.Groups)
	}
	return res, nil
}

func topResult(groups []SearchGroup) *SearchHit {
	var top *SearchHit
	for _, g := range groups {
		if len(g.Hits) == 0 {
			continue
		}
		if g.Type == ItemArtist {
			for j := range g.Hits {
				if g.Hits[j].Exact {
					return &g.Hits[j]
				}
			}
		}
		h := &g.Hits[0]
		if top == nil || h.Score > top.Score {
			top = h
		}
	}
	return top
}
