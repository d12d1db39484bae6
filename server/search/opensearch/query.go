package opensearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/search"
)

// ErrBadQuery is wrapped into the errors of queries that cannot be
// answered as asked (bad paging, unknown kind).
var ErrBadQuery = errors.New("bad search query")

// MaxLimit bounds a page; maxWindow is OpenSearch's default
// index.max_result_window, past which it refuses to page.
const (
	MaxLimit  = 100
	maxWindow = 10_000
)

// Query asks for one page of each kind's matches. Kinds empty means all;
// Offset and Limit apply to each group, so a client pages one group by
// asking for that kind alone.
type Query struct {
	Text   string
	Kinds  []Kind
	Offset int
	Limit  int
}

// Hit is one ranked match; Exact as in search.Hit.
type Hit struct {
	Kind       Kind
	ID         string
	Score      float64
	Popularity int64
	Exact      bool
}

// hitOf is the hit of a document's source, scored score, for the query
// words toks.
func hitOf(src source, score float64, toks []string) Hit {
	return Hit{Kind: src.Kind, ID: src.ID, Score: score, Popularity: src.Popularity, Exact: search.SameWords(search.Tokens(src.Name), toks)}
}

// Group is one kind's page of matches; Total counts all its matches.
type Group struct {
	Kind  Kind
	Hits  []Hit
	Total int
}

// Result holds a group per kind asked, in the order of Kinds, and the top
// result: the artist whose name is exactly the query (Hit.Exact), if any, else the best
// scored first hit of any group (on a tie, the earlier group in Kinds:
// artists first). Top is only set on the first page (Offset 0).
type Result struct {
	Top    *Hit
	Groups []Group
}

// Scores of one query word against one document word, in the order of
// the embedded index (search.Index): the title before the artist names,
// a whole word before a prefix, and any of them before a typo.
const (
	scorePrimaryWhole    = 4
	scorePrimaryPrefix   = 3
	scoreSecondaryWhole  = 2
	scoreSecondaryPrefix = 1
	scorePrimaryTypo     = 0.5
	scoreSecondaryTypo   = 0.25
	// scoreExactTitle is added when the query is the whole title.
	scoreExactTitle = 1
)

// Search runs one query per kind asked, in one multi-search request.
func (e *Engine) Search(ctx context.Context, q Query) (_ Result, err error) {
	defer derrors.Wrap(&err, "Search(%q)", q.Text)
	kinds := q.Kinds
	if len(kinds) == 0 {
		kinds = Kinds
	}
	for _, k := range kinds {
		if !k.valid() {
			return Result{}, fmt.Errorf("%w: unknown kind %q", ErrBadQuery, k)
		}
	}
	if q.Offset < 0 || q.Limit < 1 || q.Limit > MaxLimit || q.Offset+q.Limit > maxWindow {
		return Result{}, fmt.Errorf("%w: offset %d, limit %d: want offset ≥ 0, limit 1–%d, offset+limit ≤ %d", ErrBadQuery, q.Offset, q.Limit, MaxLimit, maxWindow)
	}
	var uniq []Kind
	for _, k := range kinds {
		if !slices.Contains(uniq, k) {
			uniq = append(uniq, k)
		}
	}
	kinds = uniq
	folded := search.Fold(q.Text)
	toks := search.Tokens(folded)
	res := Result{Groups: make([]Group, len(kinds))}
	for i, k := range kinds {
		res.Groups[i].Kind = k
	}
	if len(toks) == 0 {
		return res, nil
	}

	ctx, cancel := e.bounded(ctx)
	defer cancel()
	typos, err := e.typoWords(ctx, toks, kinds)
	if err != nil {
		return Result{}, err
	}
	queries := make([]any, len(kinds))
	for i, k := range kinds {
		queries[i] = kindQuery(k, folded, toks, typos, q.Offset, q.Limit)
	}
	resp, err := e.msearch(ctx, queries)
	if err != nil {
		return Result{}, err
	}
	for i, r := range resp.Responses {
		g := &res.Groups[i]
		g.Total = r.Hits.Total.Value
		for _, h := range r.Hits.Hits {
			var src source
			if err := json.Unmarshal(h.Source, &src); err != nil {
				return Result{}, fmt.Errorf("hit %s: %w", h.ID, err)
			}
			g.Hits = append(g.Hits, hitOf(src, float64(h.Score), toks))
			if q.Offset == 0 && src.Kind == KindArtist && g.Hits[len(g.Hits)-1].Exact && res.Top == nil {
				top := g.Hits[len(g.Hits)-1]
				res.Top = &top
			}
		}
	}
	if q.Offset == 0 && res.Top == nil {
		for _, g := range res.Groups {
			if len(g.Hits) == 0 {
				continue
			}
			// Strictly better only: on a tie the earlier group (artists
			// first) keeps it, as a listener typing a name most likely
			// means the artist rather than a song titled after them.
			if h := g.Hits[0]; res.Top == nil || h.Score > res.Top.Score {
				res.Top = &h
			}
		}
	}
	return res, nil
}

// typoWords returns which query words may match as typos: those with
// search.MaxEdits above 0 that prefix no word of any document of the
// kinds asked, as in the embedded index (see search.MaxEdits). One cheap
// query per such word, each stopping at its first match.
func (e *Engine) typoWords(ctx context.Context, toks []string, kinds []Kind) (map[string]bool, error) {
	var eligible []string
	for _, t := range toks {
		if search.MaxEdits(t) > 0 {
			eligible = append(eligible, t)
		}
	}
	if len(eligible) == 0 {
		return nil, nil
	}
	queries := make([]any, len(eligible))
	for i, t := range eligible {
		queries[i] = map[string]any{
			"size":             0,
			"terminate_after":  1,
			"track_total_hits": true,
			"query": map[string]any{"bool": map[string]any{
				"filter": []any{map[string]any{"terms": map[string]any{"kind": kinds}}},
				"should": []any{
					map[string]any{"prefix": map[string]any{"name": t}},
					map[string]any{"prefix": map[string]any{"artists": t}},
				},
				"minimum_should_match": 1,
			}},
		}
	}
	resp, err := e.msearch(ctx, queries)
	if err != nil {
		return nil, err
	}
	typos := make(map[string]bool)
	for i, r := range resp.Responses {
		if r.Hits.Total.Value == 0 {
			typos[eligible[i]] = true
		}
	}
	return typos, nil
}

// msearch runs queries in one multi-search request, one response each.
func (e *Engine) msearch(ctx context.Context, queries []any) (*opensearchapi.MSearchResp, error) {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for _, q := range queries {
		if err := enc.Encode(map[string]any{}); err != nil {
			return nil, err
		}
		if err := enc.Encode(q); err != nil {
			return nil, err
		}
	}
	resp, err := e.api.MSearch(ctx, opensearchapi.MSearchReq{Indices: []string{e.index}, Body: &body})
	if err != nil {
		return nil, classify(err)
	}
	if len(resp.Responses) != len(queries) {
		return nil, fmt.Errorf("%w: %d responses to %d queries", ErrUnavailable, len(resp.Responses), len(queries))
	}
	return resp, nil
}

// kindQuery is the query of one group: every query word must match the
// title or an artist name, as a whole word, a prefix or, for the words in
// typos, within search.MaxEdits edits; each word scores its best match (dis_max of
// constant scores, so term statistics play no part and the order is the
// embedded index's), then popularity breaks ties.
func kindQuery(k Kind, folded string, toks []string, typos map[string]bool, offset, limit int) map[string]any {
	must := make([]any, 0, len(toks))
	for _, t := range toks {
		alts := []any{
			constant(scorePrimaryWhole, map[string]any{"term": map[string]any{"name": t}}),
			constant(scorePrimaryPrefix, map[string]any{"prefix": map[string]any{"name": t}}),
			constant(scoreSecondaryWhole, map[string]any{"term": map[string]any{"artists": t}}),
			constant(scoreSecondaryPrefix, map[string]any{"prefix": map[string]any{"artists": t}}),
		}
		if n := search.MaxEdits(t); n > 0 && typos[t] {
			fuzzy := func(field string) map[string]any {
				return map[string]any{"fuzzy": map[string]any{field: map[string]any{"value": t, "fuzziness": n, "prefix_length": 1, "transpositions": true}}}
			}
			alts = append(alts, constant(scorePrimaryTypo, fuzzy("name")), constant(scoreSecondaryTypo, fuzzy("artists")))
		}
		must = append(must, map[string]any{"dis_max": map[string]any{"queries": alts, "tie_breaker": 0}})
	}
	return map[string]any{
		"from":             offset,
		"size":             limit,
		"track_total_hits": true,
		"_source":          []string{"kind", "id", "name", "popularity"},
		"query": map[string]any{"bool": map[string]any{
			"filter": []any{map[string]any{"term": map[string]any{"kind": string(k)}}},
			"must":   must,
			"should": []any{constant(scoreExactTitle, map[string]any{"term": map[string]any{"name.exact": folded}})},
		}},
		"sort": []any{
			map[string]any{"_score": "desc"},
			map[string]any{"popularity": "desc"},
			map[string]any{"id": "asc"},
		},
	}
}

func constant(boost float64, filter map[string]any) map[string]any {
	return map[string]any{"constant_score": map[string]any{"filter": filter, "boost": boost}}
}
