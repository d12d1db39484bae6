package opensearch

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/search"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

// Port is the engine as the domain's SearchEngine: the Search RPC answers
// one ranked list across kinds, paged by token, as the stores do.
type Port struct{ e *Engine }

// Port returns e as a domain.SearchEngine.
func (e *Engine) Port() Port { return Port{e} }

var _ domain.SearchEngine = Port{}

// ofSearch names the page tokens of this list, so a token of another list
// is refused.
const ofSearch = "search-engine"

// Search merges the per-kind groups into one list ranked as the embedded
// index ranks (score, then popularity, then kind and id), so a page at
// offset n needs the first n+size of each group: deep pages cost more, and
// past OpenSearch's result window (10,000) there is no next page.
func (p Port) Search(ctx context.Context, query string, types []domain.ItemType, pg domain.Page) (_ []domain.SearchRef, _ string, err error) {
	defer derrors.Wrap(&err, "opensearch.Port.Search(%q)", query)
	folded := search.Fold(query)
	offset, err := pagetoken.ReadOffset(pg, ofSearch, folded)
	if err != nil {
		return nil, "", err
	}
	if len(types) == 0 {
		types = []domain.ItemType{domain.ItemArtist, domain.ItemAlbum, domain.ItemTrack}
	}
	kinds := make([]Kind, 0, len(types))
	for _, t := range types {
		k := Kind(t)
		if !k.valid() {
			return nil, "", domain.Invalid("types", "unknown item type %q", t)
		}
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	want := offset + pg.Size
	if want > maxWindow {
		return nil, "", nil
	}
	groups, err := p.e.groups(ctx, folded, kinds, want)
	if err != nil {
		return nil, "", portErr(err)
	}
	var all []Hit
	total := 0
	for _, g := range groups {
		all = append(all, g.Hits...)
		total += g.Total
	}
	slices.SortFunc(all, func(a, b Hit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Popularity, a.Popularity); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if offset >= len(all) {
		return nil, "", nil
	}
	page := all[offset:min(len(all), want)]
	refs := make([]domain.SearchRef, len(page))
	for i, h := range page {
		refs[i] = domain.SearchRef{Kind: domain.ItemType(h.Kind), ID: h.ID, Score: h.Score, Exact: h.Exact}
	}
	next := ""
	if end := offset + len(page); end < total && end < maxWindow {
		next = pagetoken.OffsetToken(ofSearch, folded, end)
	}
	return refs, next, nil
}

// groups is Search's first want hits of each kind.
func (e *Engine) groups(ctx context.Context, folded string, kinds []Kind, want int) ([]Group, error) {
	toks := search.Tokens(folded)
	if len(toks) == 0 {
		return nil, nil
	}
	ctx, cancel := e.bounded(ctx)
	defer cancel()
	typos, err := e.typoWords(ctx, toks, kinds)
	if err != nil {
		return nil, err
	}
	queries := make([]any, len(kinds))
	for i, k := range kinds {
		queries[i] = kindQuery(k, folded, toks, typos, 0, want)
	}
	resp, err := e.msearch(ctx, queries)
	if err != nil {
		return nil, err
	}
	out := make([]Group, len(kinds))
	for i, r := range resp.Responses {
		out[i] = Group{Kind: kinds[i], Total: r.Hits.Total.Value}
		for _, h := range r.Hits.Hits {
			var src source
			if err := json.Unmarshal(h.Source, &src); err != nil {
				return nil, fmt.Errorf("hit %s: %w", h.ID, err)
			}
			out[i].Hits = append(out[i].Hits, hitOf(src, float64(h.Score), toks))
		}
	}
	return out, nil
}

func (p Port) Upsert(ctx context.Context, docs []domain.SearchDoc) error {
	ds := make([]Doc, len(docs))
	for i, d := range docs {
		ds[i] = Doc{Kind: Kind(d.Kind), ID: d.ID, Name: d.Name, Artists: d.Artists, Popularity: d.Popularity, Version: d.Version}
	}
	return portErr(p.e.Upsert(ctx, ds))
}

func (p Port) Delete(ctx context.Context, refs []domain.SearchRef) error {
	rs := make([]Ref, len(refs))
	for i, r := range refs {
		rs[i] = Ref{Kind: Kind(r.Kind), ID: r.ID, Version: r.Version}
	}
	return portErr(p.e.Delete(ctx, rs))
}

// portErr turns an outage into the domain's Unavailable, which the API
// answers as "unavailable" with a message a client can show.
func portErr(err error) error {
	if errors.Is(err, ErrUnavailable) {
		return &domain.Error{Kind: domain.KindUnavailable, Msg: "search is unavailable: the search engine cannot be reached; other requests are not affected, try again shortly", Err: err}
	}
	return err
}
