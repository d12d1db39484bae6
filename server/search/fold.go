// Package search holds the text matching every store shares, so that a query
// finds the same things whichever store serves it: Fold and Tokens define what
// a "word" is, and Index is an in-memory prefix index for stores that have no
// search engine of their own.
package search

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// foldLetter spells letters that Unicode does not decompose into a base
// letter plus marks, so stripping marks alone would leave them unmatchable by
// someone typing on a plain keyboard. Both cases are listed so the lookup
// needs no lowercasing first.
func foldLetter(r rune) (string, bool) {
	switch r {
	case 'ł', 'Ł':
		return "l", true
	case 'đ', 'Đ', 'ð', 'Ð':
		return "d", true
	case 'ø', 'Ø':
		return "o", true
	case 'æ', 'Æ':
		return "ae", true
	case 'œ', 'Œ':
		return "oe", true
	case 'ß', 'ẞ':
		return "ss", true
	case 'þ', 'Þ':
		return "th", true
	case 'ı':
		return "i", true
	case 'ħ', 'Ħ':
		return "h", true
	case 'ŧ', 'Ŧ':
		return "t", true
	case 'ς':
		// Greek final sigma is a positional variant of σ, not another letter.
		return "σ", true
	}
	return "", false
}

// isApostrophe lists the characters people and keyboards use as apostrophes.
func isApostrophe(r rune) bool {
	switch r {
	case '\'', '\u2019', '\u2018', '\u02BC', '`':
		return true
	}
	return false
}

// isWordRune reports whether r belongs to a word. Spacing marks (Mc) stay:
// in Indic scripts they carry vowels, and dropping them would merge words.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mc, r)
}

// isDroppedMark reports the marks that only decorate a letter (accents,
// cedillas, enclosing circles); they are removed without splitting the word.
func isDroppedMark(r rune) bool {
	if r < 0x300 { // the first combining mark
		return false
	}
	return unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Fold returns s lowercased, without accents, with letters that have no
// decomposition spelled in plain Latin (ł→l, ß→ss, æ→ae, ...), apostrophes
// inside words dropped ("don't" → "dont"), and every other run of punctuation,
// symbols and spaces turned into one space, trimmed. Two strings that a
// person would call "the same words" fold to the same string.
//
// NFKD rather than NFD is used so compatibility forms fold too: ligatures
// ("ﬁ" → "fi"), full-width letters and superscript digits are what a user
// would type with their plain equivalents.
func Fold(s string) string {
	if !isASCII(s) {
		s = norm.NFKD.String(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	inWord := false  // the last kept rune was part of a word
	sepOwed := false // a separator was seen since the last word rune
	for i, r := range s {
		switch {
		case isDroppedMark(r):
			// Marks follow their base letter; they neither end nor start a word.
		case isApostrophe(r):
			if inWord && nextIsWordRune(s[i+utf8.RuneLen(r):]) {
				continue
			}
			inWord = false
			sepOwed = true
		case isWordRune(r):
			if sepOwed && b.Len() > 0 {
				b.WriteByte(' ')
			}
			sepOwed = false
			inWord = true
			if r < utf8.RuneSelf {
				if 'A' <= r && r <= 'Z' {
					r += 'a' - 'A'
				}
				b.WriteByte(byte(r))
			} else if f, ok := foldLetter(r); ok {
				b.WriteString(f)
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
		default:
			inWord = false
			sepOwed = true
		}
	}
	return b.String()
}

// nextIsWordRune reports whether the first rune of s that is not a dropped
// mark belongs to a word.
func nextIsWordRune(s string) bool {
	for _, r := range s {
		if isDroppedMark(r) {
			continue
		}
		return isWordRune(r)
	}
	return false
}

// Tokens returns the folded words of s, each once, in the order they first
// appear.
func Tokens(s string) []string {
	return splitDedup(Fold(s), nil)
}

// SameWords reports whether a and b, each without repeats (as Tokens
// returns them), hold the same words in any order: a query that names a
// document exactly (see Hit.Exact).
func SameWords(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, w := range a {
		if !slices.Contains(b, w) {
			return false
		}
	}
	return true
}

// splitDedup appends the distinct space-separated words of folded to dst.
// Texts are short, so a linear duplicate check beats allocating a set.
func splitDedup(folded string, dst []string) []string {
	start := len(dst)
	for w := range strings.SplitSeq(folded, " ") {
		if w == "" {
			continue
		}
		dup := false
		for _, seen := range dst[start:] {
			if seen == w {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, w)
		}
	}
	return dst
}
