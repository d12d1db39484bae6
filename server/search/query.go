package search

import (
	"container/heap"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Query asks for one page of ranked matches. An empty Kinds means every kind.
type Query struct {
	Text   string
	Kinds  []Kind
	Offset int
	Limit  int
}

// Hit is one ranked match. Exact says the query's words are the words of
// the document's own name (Doc.Primary), in any order and each once: what
// makes an artist the top result of the grouped search.
type Hit struct {
	Kind  Kind
	ID    string
	Score float64
	Exact bool
}

// Result is a page of hits. Total counts every match ranked for the query;
// when Truncated is set the query was too broad to rank exhaustively and
// Total only counts the candidates that were ranked (see broadRank).
type Result struct {
	Hits      []Hit
	Total     int
	Truncated bool
}

// Scores of one query word against one document word. Where a word matches
// matters more than how: a prefix of the title beats a whole artist name,
// because people mostly type what they want to hear. A typo (see MaxEdits)
// ranks below every exact or prefix match, so correcting one never pushes
// what was typed right off the page.
const (
	scoreSecondaryTypo   = 1
	scorePrimaryTypo     = 2
	scoreSecondaryPrefix = 4
	scoreSecondaryWhole  = 8
	scorePrimaryPrefix   = 12
	scorePrimaryWhole    = 16
	// scoreExactTitle is added when the query is the whole title, so "love"
	// puts the song "Love" above "Love Me Do" whatever their popularity.
	scoreExactTitle = 4
)

// Broad queries ("a", "lo", "the") match a large part of the catalog.
// Ranking all their matches would cost time proportional to the catalog on
// every keystroke, for result pages nobody scrolls to. So:
//
//   - when the rarest query word's prefix matches at most exhaustiveLimit
//     postings, every match is scored and ranked (exact order and Total);
//   - otherwise only the broadRank most popular matches are ranked, found by
//     merging the popularity-sorted posting lists and stopping early, and the
//     result is marked Truncated. Documents having the query word as a whole
//     word are merged first, since they outrank prefix matches. A popular
//     document is what a user who typed one letter most likely wants; an
//     obscure one shows up as soon as another letter is typed. To bound broad
//     words that rarely occur together ("a z"), the merge stops after
//     broadPops postings.
//
// The other query words are checked against bitmaps of their postings built
// up front (when that is cheaper than the lookups it saves, see filterRatio),
// so a candidate that lacks one of them is dropped without reading it.
const (
	exhaustiveLimit = 4096
	broadRank       = 500
	broadPops       = 16 * broadRank
	// countCap bounds the counting of a word's postings: past it, a word is
	// never the rarest and is too common to be worth a bitmap.
	countCap = 1 << 17
	// filterRatio: setting one bit costs about 1/30 of reading a document
	// that turns out not to match.
	filterRatio = 32
)

// queryWord is one query word and the dictionary positions it matches.
type queryWord struct {
	lo, hi int32   // positions of the words it prefixes
	exact  int32   // position of the word equal to it, or -1
	typos  []int32 // positions of the words it matches as a typo, ascending
	// spans are all the positions it matches, ascending: the typos and
	// the prefix range, so a walk over them visits each word once, in
	// dictionary order.
	spans []span
	n     int     // postings in the spans for the kinds asked, up to countCap
	one   [1]span // spans' backing array when there are no typos, the usual case
}

// span is the dictionary positions [lo, hi).
type span struct{ lo, hi int32 }

func (qw *queryWord) setSpans() {
	if len(qw.typos) == 0 {
		qw.one[0] = span{qw.lo, qw.hi}
		qw.spans = qw.one[:]
		return
	}
	qw.spans = make([]span, 0, len(qw.typos)+1)
	i := 0
	for ; i < len(qw.typos) && qw.typos[i] < qw.lo; i++ {
		qw.spans = append(qw.spans, span{qw.typos[i], qw.typos[i] + 1})
	}
	if qw.lo < qw.hi {
		qw.spans = append(qw.spans, span{qw.lo, qw.hi})
	}
	for ; i < len(qw.typos); i++ {
		qw.spans = append(qw.spans, span{qw.typos[i], qw.typos[i] + 1})
	}
}

// isTypo reports whether position p is one of qw's typo matches.
func (qw *queryWord) isTypo(p int32) bool {
	if len(qw.typos) == 0 {
		return false
	}
	_, ok := slices.BinarySearch(qw.typos, p)
	return ok
}

// matches reports whether qw matches the word at position p.
func (qw *queryWord) matches(p int32) bool {
	return p >= qw.lo && p < qw.hi || qw.isTypo(p)
}

// Search returns the page of q's matches: documents of the asked kinds in
// which every query word is a prefix of some word or that word with a typo
// (see MaxEdits), ranked best first.
func (ix *Index) Search(q Query) Result {
	toks := Tokens(q.Text)
	if len(toks) == 0 || q.Limit <= 0 || q.Offset < 0 {
		return Result{}
	}
	kinds := kindSet(q.Kinds)

	ix.rlockSorted()
	defer ix.mu.RUnlock()

	qws := make([]queryWord, len(toks))
	rarest := -1
	for i, tok := range toks {
		qw := &qws[i]
		qw.lo, qw.hi = ix.prefixRange(tok)
		qw.exact = -1
		if qw.lo < qw.hi && ix.words[qw.lo] == tok {
			qw.exact = qw.lo
		}
		qw.n = ix.count(qw.lo, qw.hi, kinds)
		// A word is only taken for a typo when nothing has a word it
		// prefixes: what was typed is what was meant whenever it finds
		// something. Fuzzing every word would widen every query (a 4-letter
		// word has dozens of neighbours) for matches that rank below
		// the exact ones anyway.
		if qw.n == 0 {
			qw.typos = ix.typoPositions(tok)
			for _, p := range qw.typos {
				qw.n += ix.count(p, p+1, kinds)
			}
		}
		if qw.n == 0 {
			return Result{}
		}
		if rarest < 0 || qw.n < qws[rarest].n {
			rarest = i
		}
	}
	// The rarest word drives the search; the others only check candidates.
	qws[0], qws[rarest] = qws[rarest], qws[0]
	// After the swap: spans may point into the word's own array.
	for i := range qws {
		qws[i].setSpans()
	}

	m := matcher{ix: ix, qws: qws, top: topK{k: q.Offset + q.Limit}}
	scanned := min(qws[0].n, broadPops)
	for i := 1; i < len(qws); i++ {
		if qws[i].n <= countCap && qws[i].n <= filterRatio*scanned {
			m.filters = append(m.filters, ix.bitmap(&qws[i], kinds))
		}
	}
	var total int
	truncated := false
	if qws[0].n <= exhaustiveLimit {
		total = m.rankAll(kinds)
	} else {
		total, truncated = m.rankPopular(kinds)
	}

	ranked := m.top.sorted()
	res := Result{Total: total, Truncated: truncated}
	if q.Offset < len(ranked) {
		res.Hits = make([]Hit, 0, len(ranked)-q.Offset)
		for _, c := range ranked[q.Offset:] {
			res.Hits = append(res.Hits, Hit{Kind: c.d.kind, ID: c.d.id, Score: float64(c.score), Exact: c.exact})
		}
	}
	return res
}

// count returns the postings of the words at positions [lo, hi) for the
// kinds asked, stopping past countCap.
func (ix *Index) count(lo, hi int32, kinds []Kind) int {
	n := 0
	for p := lo; p < hi && n <= countCap; p++ {
		l := &ix.lists[ix.wordIDs[p]]
		for _, k := range kinds {
			if l[k] != nil {
				n += len(l[k].slots)
			}
		}
	}
	return n
}

// bitmap returns the set of slots of the documents qw matches.
func (ix *Index) bitmap(qw *queryWord, kinds []Kind) []uint64 {
	bits := make([]uint64, (len(ix.slots)+63)/64)
	for _, sp := range qw.spans {
		for p := sp.lo; p < sp.hi; p++ {
			l := &ix.lists[ix.wordIDs[p]]
			for _, k := range kinds {
				if l[k] == nil {
					continue
				}
				for _, s := range l[k].slots {
					bits[s>>6] |= 1 << (s & 63)
				}
			}
		}
	}
	return bits
}

func kindSet(ks []Kind) []Kind {
	if len(ks) == 0 {
		return []Kind{KindArtist, KindAlbum, KindTrack, KindPlaylist}
	}
	var seen [numKinds]bool
	out := make([]Kind, 0, numKinds)
	for _, k := range ks {
		if k < numKinds && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// prefixRange returns the positions of the dictionary words starting with
// tok: they are contiguous in sorted order, from tok's insertion point on.
func (ix *Index) prefixRange(tok string) (int32, int32) {
	lo := sort.SearchStrings(ix.words, tok)
	rest := ix.words[lo:]
	n := sort.Search(len(rest), func(i int) bool { return !strings.HasPrefix(rest[i], tok) })
	return int32(lo), int32(lo + n)
}

// matcher holds one search's state.
type matcher struct {
	ix      *Index
	qws     []queryWord // qws[0] is the rarest
	filters [][]uint64  // bitmaps of some of qws[1:]
	top     topK
}

// passes reports whether the document in slot s is in every filter.
func (m *matcher) passes(s uint32) bool {
	for _, f := range m.filters {
		if f[s>>6]&(1<<(s&63)) == 0 {
			return false
		}
	}
	return true
}

// examine scores d, reached through the word at position p of the rarest
// query word's spans, as score does. It reports !ok when d does not match every query
// word, or when d holds an earlier word of those spans: a document is
// considered once, at the first of its words they hold.
func (m *matcher) examine(d *doc, p int32) (int, bool, bool) {
	// The positions of d's words, looked up once for every query word.
	var buf [24]int32
	pos := buf[:0]
	rare := &m.qws[0]
	if len(rare.typos) == 0 {
		// The usual case, kept to one comparison per word: p is in the
		// prefix range, so the range's positions before p are [lo, p).
		lo := rare.lo
		for _, dw := range d.words {
			q := m.ix.positions[dw&wordIDMask]
			if q >= lo && q < p {
				return 0, false, false
			}
			pos = append(pos, q)
		}
		return m.score(d, pos)
	}
	for _, dw := range d.words {
		q := m.ix.positions[dw&wordIDMask]
		if q < p && rare.matches(q) {
			return 0, false, false
		}
		pos = append(pos, q)
	}
	return m.score(d, pos)
}

// score reports whether every query word prefixes a word of d, and how well
// d matches: per query word, the best of its matches (see scorePrimaryWhole).
// pos holds the positions of d's words. exact reports that the query's
// words are d's title words, which scoreExactTitle rewards.
func (m *matcher) score(d *doc, pos []int32) (score int, exact, ok bool) {
	total, primaryWhole := 0, 0
	for i := range m.qws {
		qw := &m.qws[i]
		best := 0
		for j, dw := range d.words {
			p := pos[j]
			if p < qw.lo || p >= qw.hi {
				if best < scorePrimaryTypo && qw.isTypo(p) {
					best = scoreSecondaryTypo
					if dw&fieldPrimary != 0 {
						best = scorePrimaryTypo
					}
				}
				continue
			}
			s := scoreSecondaryPrefix
			switch whole := p == qw.exact; {
			case dw&fieldPrimary != 0 && whole:
				s = scorePrimaryWhole
			case dw&fieldPrimary != 0:
				s = scorePrimaryPrefix
			case whole:
				s = scoreSecondaryWhole
			}
			best = max(best, s)
		}
		if best == 0 {
			return 0, false, false
		}
		if best == scorePrimaryWhole {
			primaryWhole++
		}
		total += best
	}
	exact = primaryWhole == len(m.qws) && int(d.nPrimary) == len(m.qws)
	if exact {
		total += scoreExactTitle
	}
	return total, exact, true
}

// rankAll scores every document reached through the rarest word's range.
func (m *matcher) rankAll(kinds []Kind) int {
	total := 0
	ix := m.ix
	for _, sp := range m.qws[0].spans {
		for p := sp.lo; p < sp.hi; p++ {
			l := &ix.lists[ix.wordIDs[p]]
			for _, k := range kinds {
				if l[k] == nil {
					continue
				}
				for _, slot := range l[k].slots {
					if !m.passes(slot) {
						continue
					}
					d := ix.slots[slot]
					if s, exact, ok := m.examine(d, p); ok {
						total++
						m.top.push(candidate{d: d, score: s, exact: exact})
					}
				}
			}
		}
	}
	return total
}

// rankPopular ranks the broadRank most popular matches of a broad query (see
// exhaustiveLimit), merging the range's posting lists, each sorted by
// popularity, with a heap of cursors.
func (m *matcher) rankPopular(kinds []Kind) (int, bool) {
	ix := m.ix
	rare := &m.qws[0]
	hp := cursorPool.Get().(*cursorHeap)
	defer func() {
		clear(*hp)
		*hp = (*hp)[:0]
		cursorPool.Put(hp)
	}()
	h := *hp
	for _, sp := range rare.spans {
		for p := sp.lo; p < sp.hi; p++ {
			l := &ix.lists[ix.wordIDs[p]]
			for _, k := range kinds {
				if pl := l[k]; pl != nil && len(pl.slots) > 0 {
					h = append(h, cursor{exact: p == rare.exact, pos: p, list: pl, pop: pl.headPop, slot: pl.headSlt})
				}
			}
		}
	}
	defer func() { *hp = h }()
	h.init()
	collected, pops := 0, 0
	for len(h) > 0 {
		if collected == broadRank || pops == broadPops {
			return collected, true
		}
		c := &h[0]
		p, slot := c.pos, c.slot
		c.next++
		if c.next == len(c.list.slots) {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		} else {
			c.pop, c.slot = c.list.pops[c.next], c.list.slots[c.next]
		}
		h.down(0)
		pops++
		if !m.passes(slot) {
			continue
		}
		d := ix.slots[slot]
		if s, exact, ok := m.examine(d, p); ok {
			collected++
			m.top.push(candidate{d: d, score: s, exact: exact})
		}
	}
	return collected, false
}

type candidate struct {
	d     *doc
	score int
	exact bool
}

// better is the ranking: score, then popularity, then the shorter title (the
// closer match), then kind and id so equal candidates keep a stable order
// across pages.
func better(a, b candidate) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.d.pop != b.d.pop {
		return a.d.pop > b.d.pop
	}
	if a.d.titleLen != b.d.titleLen {
		return a.d.titleLen < b.d.titleLen
	}
	if a.d.kind != b.d.kind {
		return a.d.kind < b.d.kind
	}
	return a.d.id < b.d.id
}

// topK keeps the k best candidates in a heap whose root is the worst kept.
type topK struct {
	k     int
	items []candidate
}

func (t *topK) Len() int           { return len(t.items) }
func (t *topK) Less(i, j int) bool { return better(t.items[j], t.items[i]) }
func (t *topK) Swap(i, j int)      { t.items[i], t.items[j] = t.items[j], t.items[i] }
func (t *topK) Push(x any)         { t.items = append(t.items, x.(candidate)) }
func (t *topK) Pop() any {
	x := t.items[len(t.items)-1]
	t.items = t.items[:len(t.items)-1]
	return x
}

func (t *topK) push(c candidate) {
	if len(t.items) < t.k {
		heap.Push(t, c)
		return
	}
	if better(c, t.items[0]) {
		t.items[0] = c
		heap.Fix(t, 0)
	}
}

func (t *topK) sorted() []candidate {
	out := slices.Clone(t.items)
	slices.SortFunc(out, func(a, b candidate) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	return out
}

// cursor walks one posting list during a popularity merge, holding the
// rank keys of its next posting.
type cursor struct {
	exact bool  // the list of the word equal to the query word
	pos   int32 // the word's dictionary position
	pop   int64
	slot  uint32
	list  *plist
	next  int
}

// before orders cursors by their next posting: those of the exact query word
// first, then most popular first, then by slot (the lists' own order).
func (c *cursor) before(o *cursor) bool {
	if c.exact != o.exact {
		return c.exact
	}
	if c.pop != o.pop {
		return c.pop > o.pop
	}
	return c.slot < o.slot
}

// cursorPool recycles merge heaps, which for a one-letter query hold a
// cursor per word starting with that letter.
var cursorPool = sync.Pool{New: func() any { return new(cursorHeap) }}

// cursorHeap is a binary min-heap by before, written out rather than using
// container/heap because the merge's cost is mostly comparisons, and the
// interface calls there doubled it.
type cursorHeap []cursor

func (h cursorHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h cursorHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && h[r].before(&h[l]) {
			j = r
		}
		if !h[j].before(&h[i]) {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}
