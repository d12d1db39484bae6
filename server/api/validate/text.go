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
// characters (tabs and newlines included), min..max runes and, when min > 0,
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
