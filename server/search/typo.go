package search

import (
	"math/bits"
	"unicode/utf8"
)

// MaxEdits is how many edits (insertions, deletions, substitutions or
// transpositions of adjacent letters) a folded query word may be from a
// word it matches as a typo: none below 4 letters, where one edit turns
// most words into other real words; one up to 7 letters; two from 8 on.
// The first letter is never taken for a typo: people rarely get it wrong,
// and it keeps the words to compare to the few that share it. A query word
// is only taken for a typo when no document of the kinds asked has a word
// it prefixes. Both stores use these rules, so a typo finds the same
// things in either.
func MaxEdits(word string) int {
	switch n := utf8.RuneCountInString(word); {
	case n < 4:
		return 0
	case n < 8:
		return 1
	default:
		return 2
	}
}

// maxTypoRunes bounds the words compared for typos (longer ones never
// match as typos), so the comparison fits in fixed arrays.
const maxTypoRunes = 48

// sig is a word's signature for the typo search: its length in runes
// (capped) in the top byte and a bit per letter it contains below (a–z and
// 0–9 each have their own, other runes share the rest by hash). Comparing
// signatures rules most words out before any edit distance is computed:
// every letter of one word that the other lacks costs at least an edit,
// and so does every letter of length difference.
type sig uint64

func signature(w string) sig {
	var s sig
	n := 0
	for _, r := range w {
		n++
		switch {
		case 'a' <= r && r <= 'z':
			s |= 1 << (r - 'a')
		case '0' <= r && r <= '9':
			s |= 1 << (26 + r - '0')
		default:
			s |= 1 << (36 + uint(r)%20)
		}
	}
	return s | sig(min(n, 255))<<56
}

// mayBeWithin reports whether words of signatures a and b can be k edits
// apart or closer; false means they certainly are not.
func (a sig) mayBeWithin(b sig, k int) bool {
	la, lb := int(a>>56), int(b>>56)
	if la-lb > k || lb-la > k {
		return false
	}
	const letters = 1<<56 - 1
	return bits.OnesCount64(uint64(a&^b&letters)) <= k && bits.OnesCount64(uint64(b&^a&letters)) <= k
}

// withinEdits reports whether a and b are at most k edits apart, counting
// a transposition of adjacent letters as one edit (optimal string
// alignment distance). It stops as soon as a whole row exceeds k.
func withinEdits(a, b string, k int) bool {
	var ra, rb [maxTypoRunes]rune
	na, nb := 0, 0
	for _, r := range a {
		if na == maxTypoRunes {
			return false
		}
		ra[na] = r
		na++
	}
	for _, r := range b {
		if nb == maxTypoRunes {
			return false
		}
		rb[nb] = r
		nb++
	}
	if na-nb > k || nb-na > k {
		return false
	}
	// Three rows of the distance matrix: two back (for transpositions),
	// one back, and the current.
	var r0, r1, r2 [maxTypoRunes + 1]int
	prev2, prev, cur := &r0, &r1, &r2
	for j := 0; j <= nb; j++ {
		prev[j] = j
	}
	for i := 1; i <= na; i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= nb; j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
			rowMin = min(rowMin, d)
		}
		if rowMin > k {
			return false
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[nb] <= k
}

// typoPositions returns the dictionary positions of the words that tok
// matches as a typo: within MaxEdits(tok) edits, with tok's first letter.
// They come in increasing order. (The caller only asks for a word that
// prefixes nothing, so none of them is a prefix match.)
func (ix *Index) typoPositions(tok string) []int32 {
	k := MaxEdits(tok)
	if k == 0 || ix.noTypos {
		return nil
	}
	_, first := utf8.DecodeRuneInString(tok)
	lo, hi := ix.prefixRange(tok[:first])
	ts := signature(tok)
	var out []int32
	for p := lo; p < hi; p++ {
		if ix.sigs[p].mayBeWithin(ts, k) && withinEdits(ix.words[p], tok, k) {
			out = append(out, p)
		}
	}
	return out
}
