package search

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"
)

func ids(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func TestIndexRanking(t *testing.T) {
	ix := NewIndex()
	ix.Build([]Doc{
		{Kind: KindArtist, ID: "ar-daft", Primary: "Daft Punk"},
		{Kind: KindTrack, ID: "tr-omt", Primary: "One More Time", Secondary: []string{"Daft Punk", "Discovery"}, Popularity: 900},
		{Kind: KindTrack, ID: "tr-daftly", Primary: "Daftly Punctual", Popularity: 5},
		{Kind: KindTrack, ID: "tr-love", Primary: "Love", Popularity: 1},
		{Kind: KindTrack, ID: "tr-lovemedo", Primary: "Love Me Do", Popularity: 1000},
		{Kind: KindTrack, ID: "tr-lovely", Primary: "Lovely Day", Popularity: 5000},
		{Kind: KindTrack, ID: "tr-halo-a", Primary: "Halo", Secondary: []string{"Beyoncé"}, Popularity: 10},
		{Kind: KindTrack, ID: "tr-halo-b", Primary: "Halo", Secondary: []string{"Someone"}, Popularity: 100},
		{Kind: KindTrack, ID: "tr-halogen", Primary: "Halogen", Popularity: 7},
		{Kind: KindTrack, ID: "tr-halon", Primary: "Halons", Popularity: 7},
		{Kind: KindAlbum, ID: "al-lodz", Primary: "Łódź", Secondary: []string{"Kult"}},
		{Kind: KindTrack, ID: "tr-same-2", Primary: "Twin"},
		{Kind: KindTrack, ID: "tr-same-1", Primary: "Twin"},
	})
	tests := []struct {
		name  string
		query string
		kinds []Kind
		want  []string
	}{
		{"primary above secondary, then prefix title", "daft pu", nil, []string{"ar-daft", "tr-daftly", "tr-omt"}},
		{"exact title, then whole word, then prefix", "love", nil, []string{"tr-love", "tr-lovemedo", "tr-lovely"}},
		{"popularity among equals", "halo", nil, []string{"tr-halo-b", "tr-halo-a", "tr-halon", "tr-halogen"}},
		{"a word that prefixes something is taken as typed", "halog", nil, []string{"tr-halogen"}},
		{"typo within the kinds asked only", "halog", []Kind{KindArtist, KindAlbum}, nil},
		{"typo of one letter in 4-7", "beyonse", nil, []string{"tr-halo-a"}},
		{"typo as a dropped letter", "daftt", nil, []string{"ar-daft", "tr-omt"}},
		{"typo as swapped letters", "dafl pnuk", nil, []string{"ar-daft", "tr-omt"}},
		{"typo in the title before typo in the artist", "halp", nil, []string{"tr-halo-b", "tr-halo-a"}},
		{"two typos in 8+ letters", "discovyre", nil, []string{"tr-omt"}},
		{"no typo below 4 letters", "lov", nil, []string{"tr-lovely", "tr-lovemedo", "tr-love"}},
		{"no typo in the first letter", "maft", nil, nil},
		{"two typos in 4-7 is too many", "dxxft punk", nil, nil},
		{"shorter title among equally popular", "halo", []Kind{KindTrack}, []string{"tr-halo-b", "tr-halo-a", "tr-halon", "tr-halogen"}},
		{"secondary text alone", "beyonce", nil, []string{"tr-halo-a"}},
		{"folded query", "LODZ", nil, []string{"al-lodz"}},
		{"folded document", "łódź", nil, []string{"al-lodz"}},
		{"every word must match", "daft zebra", nil, nil},
		{"kinds filter", "daft", []Kind{KindTrack}, []string{"tr-daftly", "tr-omt"}},
		{"kinds filter, several", "daft", []Kind{KindArtist, KindAlbum}, []string{"ar-daft"}},
		{"id breaks full ties", "twin", nil, []string{"tr-same-1", "tr-same-2"}},
		{"word order is free", "punk daft", nil, []string{"ar-daft", "tr-omt"}},
		{"empty query", " ?! ", nil, nil},
		{"no such prefix", "zzz", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := ix.Search(Query{Text: tt.query, Kinds: tt.kinds, Limit: 10})
			if got := ids(res.Hits); !slices.Equal(got, tt.want) {
				t.Errorf("Search(%q) = %q, want %q", tt.query, got, tt.want)
			}
			if res.Total != len(tt.want) || res.Truncated {
				t.Errorf("Search(%q) total %d truncated %v, want %d, false", tt.query, res.Total, res.Truncated, len(tt.want))
			}
		})
	}
}

func TestIndexScoresDescend(t *testing.T) {
	ix := NewIndex()
	ix.Build([]Doc{
		{Kind: KindTrack, ID: "a", Primary: "Night Drive"},
		{Kind: KindTrack, ID: "b", Primary: "Nightfall"},
		{Kind: KindTrack, ID: "c", Primary: "Other", Secondary: []string{"Night"}},
		{Kind: KindTrack, ID: "d", Primary: "Other", Secondary: []string{"Nightingale"}},
	})
	res := ix.Search(Query{Text: "night", Limit: 10})
	if got, want := ids(res.Hits), []string{"a", "b", "c", "d"}; !slices.Equal(got, want) {
		t.Fatalf("order = %q, want %q", got, want)
	}
	for i := 1; i < len(res.Hits); i++ {
		if res.Hits[i].Score >= res.Hits[i-1].Score {
			t.Errorf("scores not strictly descending: %v", res.Hits)
		}
	}
}

func TestIndexPaging(t *testing.T) {
	ix := NewIndex()
	var want []string
	for i := range 25 {
		id := fmt.Sprintf("t%02d", i)
		ix.Upsert(Doc{Kind: KindTrack, ID: id, Primary: "Echo", Popularity: int64(100 - i)})
		want = append(want, id)
	}
	var got []string
	for off := 0; off < 30; off += 10 {
		res := ix.Search(Query{Text: "echo", Offset: off, Limit: 10})
		if res.Total != 25 {
			t.Fatalf("total = %d, want 25", res.Total)
		}
		got = append(got, ids(res.Hits)...)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages = %q, want %q", got, want)
	}
	if res := ix.Search(Query{Text: "echo", Offset: 40, Limit: 10}); len(res.Hits) != 0 {
		t.Fatalf("past the end: %v", res.Hits)
	}
}

func TestIndexUpsertDelete(t *testing.T) {
	ix := NewIndex()
	ix.Upsert(Doc{Kind: KindArtist, ID: "x", Primary: "Prince"})
	ix.Upsert(Doc{Kind: KindTrack, ID: "x", Primary: "Purple Rain", Secondary: []string{"Prince"}})
	if got := ids(ix.Search(Query{Text: "prince", Limit: 10}).Hits); !slices.Equal(got, []string{"x", "x"}) {
		t.Fatalf("same id, two kinds: %q", got)
	}
	ix.Upsert(Doc{Kind: KindArtist, ID: "x", Primary: "The Artist"})
	if res := ix.Search(Query{Text: "prince", Kinds: []Kind{KindArtist}, Limit: 10}); len(res.Hits) != 0 {
		t.Fatalf("old name still found: %v", res.Hits)
	}
	if res := ix.Search(Query{Text: "artist", Limit: 10}); len(res.Hits) != 1 || res.Hits[0].Kind != KindArtist {
		t.Fatalf("new name not found: %v", res.Hits)
	}
	ix.Delete(KindTrack, "x")
	ix.Delete(KindTrack, "missing")
	if res := ix.Search(Query{Text: "purple", Limit: 10}); len(res.Hits) != 0 {
		t.Fatalf("deleted doc found: %v", res.Hits)
	}
	if ix.Len() != 1 {
		t.Fatalf("Len = %d, want 1", ix.Len())
	}
}

type naiveDoc struct {
	Doc
	prim, sec []string
}

func naiveDocs(docs []Doc) []naiveDoc {
	out := make([]naiveDoc, len(docs))
	for i, d := range docs {
		out[i] = naiveDoc{Doc: d, prim: Tokens(d.Primary)}
		for _, s := range d.Secondary {
			out[i].sec = append(out[i].sec, Tokens(s)...)
		}
	}
	return out
}

// naiveSearch is the definition the index must agree with: score every
// document, sort, cut.
func naiveSearch(docs []naiveDoc, q Query) []string {
	toks := Tokens(q.Text)
	if len(toks) == 0 {
		return nil
	}
	type scored struct {
		d     naiveDoc
		score int
	}
	// A query word may match as a typo only when no document of the
	// kinds asked has a word it prefixes.
	fuzzy := make(map[string]bool)
	for _, tok := range toks {
		fuzzy[tok] = true
		for _, d := range docs {
			if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, d.Kind) {
				continue
			}
			for _, w := range append(slices.Clone(d.prim), d.sec...) {
				if strings.HasPrefix(w, tok) {
					fuzzy[tok] = false
				}
			}
		}
	}
	var all []scored
	for _, d := range docs {
		if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, d.Kind) {
			continue
		}
		prim, sec := d.prim, d.sec
		total, allPrimaryWhole := 0, true
		ok := true
		for _, tok := range toks {
			best := 0
			for _, w := range prim {
				if w == tok {
					best = max(best, 16)
				} else if strings.HasPrefix(w, tok) {
					best = max(best, 12)
				} else if fuzzy[tok] && naiveTypo(w, tok) {
					best = max(best, 2)
				}
			}
			for _, w := range sec {
				if w == tok {
					best = max(best, 8)
				} else if strings.HasPrefix(w, tok) {
					best = max(best, 4)
				} else if fuzzy[tok] && naiveTypo(w, tok) {
					best = max(best, 1)
				}
			}
			if best == 0 {
				ok = false
				break
			}
			if best != 16 {
				allPrimaryWhole = false
			}
			total += best
		}
		if !ok {
			continue
		}
		if allPrimaryWhole && len(prim) == len(toks) {
			total += 4
		}
		all = append(all, scored{d, total})
	}
	slices.SortFunc(all, func(a, b scored) int {
		switch {
		case a.score != b.score:
			return b.score - a.score
		case a.d.Popularity != b.d.Popularity:
			if a.d.Popularity > b.d.Popularity {
				return -1
			}
			return 1
		case len([]rune(a.d.Primary)) != len([]rune(b.d.Primary)):
			return len([]rune(a.d.Primary)) - len([]rune(b.d.Primary))
		case a.d.Kind != b.d.Kind:
			return int(a.d.Kind) - int(b.d.Kind)
		}
		return strings.Compare(a.d.ID, b.d.ID)
	})
	var out []string
	for i := q.Offset; i < len(all) && i < q.Offset+q.Limit; i++ {
		out = append(out, all[i].d.ID)
	}
	return out
}

func TestIndexMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	docs := genDocs(rng, 3000)
	ix := NewIndex()
	// Half built in bulk, half inserted one by one, to cover both paths.
	ix.Build(docs[:1500])
	for _, d := range docs[1500:] {
		ix.Upsert(d)
	}
	// Re-upsert some with new popularity, delete others.
	for i := 0; i < 300; i++ {
		j := rng.IntN(len(docs))
		docs[j].Popularity = rng.Int64N(1000)
		ix.Upsert(docs[j])
	}
	for i := 0; i < 200; i++ {
		j := rng.IntN(len(docs))
		ix.Delete(docs[j].Kind, docs[j].ID)
		docs = slices.Delete(docs, j, j+1)
	}
	nd := naiveDocs(docs)
	queries := []string{"lo", "love", "night dr", "ka", "the", "zzz", "é", "sor", "mi la", "dance of"}
	for i := 0; i < 40; i++ {
		queries = append(queries, genWord(rng)[:2], genWord(rng)[:3]+" "+genWord(rng)[:1])
	}
	// Words of the catalog with a letter changed, alone and beside a
	// correct word, so the typo paths are compared too.
	for i := 0; i < 30; i++ {
		w := []rune(genWord(rng))
		if len(w) < 4 {
			continue
		}
		w[1+rng.IntN(len(w)-1)] = 'x'
		queries = append(queries, string(w), genWord(rng)[:2]+" "+string(w))
	}
	for _, text := range queries {
		for _, kinds := range [][]Kind{nil, {KindTrack}, {KindArtist, KindAlbum}} {
			for _, off := range []int{0, 7} {
				q := Query{Text: text, Kinds: kinds, Offset: off, Limit: 15}
				res := ix.Search(q)
				if res.Truncated {
					continue // a deliberately partial answer; covered elsewhere
				}
				if got, want := ids(res.Hits), naiveSearch(nd, q); !slices.Equal(got, want) {
					t.Fatalf("Search(%+v):\n got %q\nwant %q", q, got, want)
				}
			}
		}
	}
}

func TestIndexBroadQuery(t *testing.T) {
	ix := NewIndex()
	var docs []Doc
	n := 3 * broadPops
	for i := range n {
		docs = append(docs, Doc{Kind: KindTrack, ID: fmt.Sprintf("t%05d", i), Primary: fmt.Sprintf("Apple %d", i), Popularity: int64(i)})
	}
	docs = append(docs, Doc{Kind: KindTrack, ID: "exact", Primary: "A", Popularity: -1})
	ix.Build(docs)
	res := ix.Search(Query{Text: "a", Limit: 5})
	if !res.Truncated || res.Total != broadRank {
		t.Fatalf("truncated %v total %d, want true %d", res.Truncated, res.Total, broadRank)
	}
	// The exact word is ranked even though it is the least popular document.
	want := []string{"exact", fmt.Sprintf("t%05d", n-1), fmt.Sprintf("t%05d", n-2)}
	if got := ids(res.Hits)[:3]; !slices.Equal(got, want) {
		t.Fatalf("broad top = %q, want %q", got, want)
	}
}

func TestIndexConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	docs := genDocs(rng, 2000)
	ix := NewIndex()
	ix.Build(docs)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				if g == 0 {
					d := docs[i]
					d.Primary += " remix"
					ix.Upsert(d)
					ix.Delete(KindTrack, docs[(i+7)%len(docs)].ID)
					continue
				}
				ix.Search(Query{Text: "lo", Limit: 10})
			}
		})
	}
	wg.Wait()
}

var (
	syllables = []string{"ka", "lo", "mi", "ré", "so", "ta", "na", "vé", "lu", "ko", "ża", "ni", "ø", "da", "fa", "ri", "mo", "sé", "ła", "be", "yo", "ün", "ce"}
	common    = []string{"love", "night", "the", "of", "heart", "dance", "fire", "city", "blue", "you", "me", "drive", "dream", "rain", "gold", "a"}
)

func genWord(rng *rand.Rand) string {
	var b strings.Builder
	for range 2 + rng.IntN(2) {
		b.WriteString(syllables[rng.IntN(len(syllables))])
	}
	return b.String()
}

func genTitle(rng *rand.Rand, words int) string {
	parts := make([]string, words)
	for i := range parts {
		if rng.IntN(3) == 0 {
			parts[i] = common[rng.IntN(len(common))]
		} else {
			parts[i] = genWord(rng)
		}
		if i == 0 {
			r, n := utf8.DecodeRuneInString(parts[i])
			parts[i] = string(unicode.ToUpper(r)) + parts[i][n:]
		}
	}
	return strings.Join(parts, " ")
}

// genDocs makes tracks with artists and albums in a realistic-ish ratio
// (1 artist : 2 albums : 20 tracks), popularity following a power law.
func genDocs(rng *rand.Rand, tracks int) []Doc {
	artists := make([]string, max(1, tracks/20))
	var docs []Doc
	for i := range artists {
		artists[i] = genTitle(rng, 1+rng.IntN(2))
		docs = append(docs, Doc{Kind: KindArtist, ID: fmt.Sprintf("ar%06d", i), Primary: artists[i], Popularity: rng.Int64N(100)})
	}
	albums := make([]string, max(1, tracks/10))
	for i := range albums {
		albums[i] = genTitle(rng, 1+rng.IntN(3))
		docs = append(docs, Doc{Kind: KindAlbum, ID: fmt.Sprintf("al%06d", i), Primary: albums[i], Secondary: []string{artists[i/2%len(artists)]}})
	}
	for i := range tracks {
		al := i / 10 % len(albums)
		sec := []string{artists[al/2%len(artists)], albums[al]}
		if rng.IntN(5) == 0 {
			sec = append(sec, artists[rng.IntN(len(artists))])
		}
		pop := int64(1e6 / (1 + rng.Float64()*1000))
		docs = append(docs, Doc{Kind: KindTrack, ID: fmt.Sprintf("tr%06d", i), Primary: genTitle(rng, 1+rng.IntN(4)), Secondary: sec, Popularity: pop})
	}
	return docs
}

func BenchmarkQuery(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	docs := genDocs(rng, 100_000)
	ix := NewIndex()
	ix.Build(docs)
	// A rare word from the data, so the "rare" shape really matches.
	rare := Tokens(docs[len(docs)-1].Primary)[0]
	shapes := []struct{ name, query string }{
		{"single-letter", "a"},
		{"two-letters", "lo"},
		{"common-word", "love"},
		{"common-prefix", "nig"},
		{"two-words", "night dr"},
		{"three-words", "the love ka"},
		{"rare-word", rare},
		{"accented", "réso"},
		{"no-match", "zzzz"},
	}
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				ix.Search(Query{Text: s.query, Limit: 20})
			}
		})
	}
	b.Run("parallel-mixed", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				ix.Search(Query{Text: shapes[i%len(shapes)].query, Limit: 20})
				i++
			}
		})
	})
}

func BenchmarkBuild(b *testing.B) {
	docs := genDocs(rand.New(rand.NewPCG(5, 6)), 100_000)
	for b.Loop() {
		NewIndex().Build(docs)
	}
}

func BenchmarkUpsert(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	docs := genDocs(rng, 100_000)
	ix := NewIndex()
	ix.Build(docs)
	i := 0
	for b.Loop() {
		d := docs[i%len(docs)]
		d.Popularity++
		ix.Upsert(d)
		i++
	}
}

// naiveTypo is the typo rule spelled out: same first letter, and within
// MaxEdits by the textbook optimal-string-alignment recurrence.
func naiveTypo(w, tok string) bool {
	k := MaxEdits(tok)
	a, b := []rune(w), []rune(tok)
	if k == 0 || len(a) == 0 || a[0] != b[0] {
		return false
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)] <= k
}

// BenchmarkUpsertThenSearch is how the Cassandra store uses the index per
// query: a fresh index filled with up to 3,000 candidates one Upsert at a
// time, then searched once.
func BenchmarkUpsertThenSearch(b *testing.B) {
	docs := genDocs(rand.New(rand.NewPCG(5, 6)), 3000)[:3000]
	for b.Loop() {
		ix := NewIndex()
		for _, d := range docs {
			ix.Upsert(d)
		}
		ix.Search(Query{Text: "love", Limit: 20})
	}
}
