package search

import "unicode/utf8"

// MaxEdits is how many edits (insertions, deletions, substitutions or
// transpositions of adjacent letters) a folded query word may be from a
// word it matches as a typo: none below 4 letters, where one edit turns
// most words into other real words; one up to 7 letters; two from 8 on.
// Both stores use it, so a typo finds the same things in either.
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
