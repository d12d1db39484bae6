package search

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWithinEditsMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	alphabet := []rune("abcdeé")
	word := func() string {
		var b strings.Builder
		for range 1 + rng.IntN(9) {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for range 20000 {
		a, b := word(), word()
		// naiveTypo also requires the first letter; compare on a shared one.
		a, b = "x"+a, "x"+b
		k := MaxEdits(b)
		if k == 0 {
			continue
		}
		if got, want := withinEdits(a, b, k), naiveTypo(a, b); got != want {
			t.Fatalf("withinEdits(%q, %q, %d) = %v, want %v", a, b, k, got, want)
		}
		if want := naiveTypo(a, b); want && !signature(a).mayBeWithin(signature(b), k) {
			t.Fatalf("the signatures of %q and %q rule out a match within %d", a, b, k)
		}
	}
}

// BenchmarkTypoCost measures what typo tolerance costs Search over a
// 50k-track catalog: the same queries against the same index with and
// without it, interleaved so both see the same machine state. It reports
// each per query and their ratio (typos-on / typos-off).
//
// The queries are what listeners type and find without a typo: the shapes
// of BenchmarkQuery and 40 words or prefixes from the catalog (the cost
// of a query that only a typo matches has no "before" to compare to;
// BenchmarkTypoQueries reports it).
func BenchmarkTypoCost(b *testing.B) {
	ix, docs := typoBenchIndex()
	queries := typedQueries(docs)
	var off, on time.Duration
	for b.Loop() {
		off += timeQueries(ix, queries, true)
		on += timeQueries(ix, queries, false)
	}
	n := float64(b.N * len(queries))
	b.ReportMetric(float64(off.Nanoseconds())/n, "ns/query-typos-off")
	b.ReportMetric(float64(on.Nanoseconds())/n, "ns/query-typos-on")
	b.ReportMetric(float64(on)/float64(off), "on/off")
}

// typedQueries are what listeners type and find without a typo: the shapes
// of BenchmarkQuery and 40 words or prefixes from the catalog.
func typedQueries(docs []Doc) []string {
	rng := rand.New(rand.NewPCG(9, 10))
	queries := []string{"a", "lo", "love", "nig", "night dr", "the love ka", "réso", "dance", "heart of"}
	for range 40 {
		toks := Tokens(docs[rng.IntN(len(docs))].Primary)
		w := []rune(toks[rng.IntN(len(toks))])
		if n := len(w); n > 3 && rng.IntN(2) == 0 {
			w = w[:3+rng.IntN(n-3)] // a prefix, as typed so far
		}
		queries = append(queries, string(w))
	}
	return queries
}

// misspeltQueries are n catalog words with one letter changed.
func misspeltQueries(docs []Doc, n int) []string {
	rng := rand.New(rand.NewPCG(11, 12))
	var queries []string
	for len(queries) < n {
		w := []rune(Tokens(docs[rng.IntN(len(docs))].Primary)[0])
		if len(w) >= 4 {
			w[1+rng.IntN(len(w)-1)] = 'q'
			queries = append(queries, string(w))
		}
	}
	return queries
}

// BenchmarkTypoThroughput is the goal (typo tolerance costs at most
// 15% of Search's throughput) measured as a server sees it: 16 callers in
// a closed loop over a 50k-track catalog, with tolerance off then on, in
// the same run, alternating. The mix is the typed queries of
// BenchmarkTypoCost plus one misspelt query in ten, which with tolerance
// off finds nothing and with it on finds the word meant. It reports the
// queries per second of each and their ratio (on/off).
func BenchmarkTypoThroughput(b *testing.B) {
	ix, docs := typoBenchIndex()
	queries := typedQueries(docs)
	queries = append(queries, misspeltQueries(docs, len(queries)/9)...)
	const callers, rounds = 16, 8
	var off, on time.Duration
	for b.Loop() {
		off += parallelQueries(ix, queries, callers, rounds, true)
		on += parallelQueries(ix, queries, callers, rounds, false)
	}
	n := float64(b.N * callers * rounds * len(queries))
	b.ReportMetric(n/off.Seconds(), "queries/s-typos-off")
	b.ReportMetric(n/on.Seconds(), "queries/s-typos-on")
	b.ReportMetric(off.Seconds()/on.Seconds(), "on/off-throughput")
}

// parallelQueries has callers each run queries rounds times, each caller
// starting at its own place in the list, and returns the wall time.
func parallelQueries(ix *Index, queries []string, callers, rounds int, noTypos bool) time.Duration {
	ix.noTypos = noTypos
	var wg sync.WaitGroup
	began := time.Now()
	for c := range callers {
		wg.Go(func() {
			for i := range rounds * len(queries) {
				ix.Search(Query{Text: queries[(c*7+i)%len(queries)], Limit: 20})
			}
		})
	}
	wg.Wait()
	return time.Since(began)
}

// BenchmarkTypoQueries reports the cost of queries that only match through
// a typo: catalog words with one letter changed.
func BenchmarkTypoQueries(b *testing.B) {
	ix, docs := typoBenchIndex()
	queries := misspeltQueries(docs, 40)
	var on time.Duration
	for b.Loop() {
		on += timeQueries(ix, queries, false)
	}
	b.ReportMetric(float64(on.Nanoseconds())/float64(b.N*len(queries)), "ns/query")
}

func typoBenchIndex() (*Index, []Doc) {
	docs := genDocs(rand.New(rand.NewPCG(5, 6)), 50_000)
	ix := NewIndex()
	ix.Build(docs)
	return ix, docs
}

func timeQueries(ix *Index, queries []string, noTypos bool) time.Duration {
	ix.noTypos = noTypos
	began := time.Now()
	for _, q := range queries {
		ix.Search(Query{Text: q, Limit: 20})
	}
	return time.Since(began)
}
