package validate

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/backbeat/backbeat/server/domain"
)

// Runes checks that v is valid UTF-8 of min..max runes and nothing else. It
// suits secrets such as passwords, whose content is the user's business.
func Runes(field, v string, min, max int) error {
	if !utf8.ValidString(v) {
		return domain.Invalid(field, "must be valid UTF-8")
	}
	return runeCount(field, utf8.RuneCountInString(v), min, max)
}

// Text checks a single-line, human-readable value: valid UTF-8, no control
// characters (tabs and newlines included), no bidirectional controls (see
// bidiControl), min..max runes and, when min > 0,
// not only spaces, since a blank name is as good as a missing one.
func Text(field, v string, min, max int) error {
	return text(field, v, min, max, false)
}

// MultilineText is Text that also allows newlines and tabs, for bios and
// descriptions.
func MultilineText(field, v string, min, max int) error {
	return text(field, v, min, max, true)
}

func text(field, v string, min, max int, multiline bool) error {
	if err := Runes(field, v, min, max); err != nil {
		return err
	}
	for _, r := range v {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) {
			return domain.Invalid(field, "must not contain control characters")
		}
		if bidiControl(r) {
			return domain.Invalid(field, "must not contain bidirectional control characters (U+%04X)", r)
		}
	}
	if min > 0 && strings.TrimSpace(v) == "" {
		return domain.Invalid(field, "must not be blank")
	}
	return nil
}

func runeCount(field string, n, min, max int) error {
	switch {
	case n >= min && n <= max:
		return nil
	case n == 0:
		return domain.Invalid(field, "is required")
	case min <= 0:
		return domain.Invalid(field, "must be at most %d characters", max)
	default:
		return domain.Invalid(field, "must be %d-%d characters", min, max)
	}
}

// Int checks min <= v <= max.
func Int(field string, v, min, max int64) error {
	if v < min || v > max {
		return domain.Invalid(field, "must be between %d and %d", min, max)
	}
	return nil
}

// Count checks that a repeated field holds min..max items.
func Count(field string, n, min, max int) error {
	switch {
	case n >= min && n <= max:
		return nil
	case n == 0:
		return domain.Invalid(field, "must not be empty")
	case min <= 0:
		return domain.Invalid(field, "must hold at most %d items", max)
	default:
		return domain.Invalid(field, "must hold %d-%d items", min, max)
	}
}

// Item names the i-th element of a repeated field, e.g. "track_ids[3]".
func Item(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}

// bidiControl reports the invisible characters that change the direction
// text is shown in: embeddings and overrides (U+202A-U+202E), isolates
// (U+2066-U+2069) and the marks (U+200E, U+200F, U+061C). In a name they
// make it display as something else ("Trojan Source"): a track titled
// "\u202Eevil.mp3" shows reversed, so names that look alike are not. Text
// in right-to-left scripts needs none of them: direction comes from the
// letters.
func bidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200E || r == 0x200F || r == 0x061C
}
