package validate

import (
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/backbeat/backbeat/server/domain"
)

const (
	MaxURLBytes    = 2048
	MaxGenres      = 10
	MaxGenreLength = 50
)

var isrcPattern = regexp.MustCompile(`^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$`)

// OptionalURL checks an absolute http or https URL, or empty. URLs carrying
// credentials are refused: they would be served to every client.
func OptionalURL(field, v string) error {
	if v == "" {
		return nil
	}
	if len(v) > MaxURLBytes {
		return domain.Invalid(field, "must be at most %d bytes", MaxURLBytes)
	}
	if !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f || bidiControl(r) }) {
		return domain.Invalid(field, "must not contain spaces or control characters")
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return domain.Invalid(field, "must be an absolute http or https URL")
	}
	if u.User != nil {
		return domain.Invalid(field, "must not contain credentials")
	}
	return nil
}

// OptionalISRC checks an International Standard Recording Code, or empty,
// and returns it upper-cased: the code is case-insensitive in practice and
// stored in its canonical upper-case form, so "usrc17607839" is accepted.
// The hyphenated display form (US-RC1-76-07839) is refused; it is for print.
// Only ASCII is folded, for the reason Username gives.
func OptionalISRC(field, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	up := asciiUpper(v)
	if !isrcPattern.MatchString(up) {
		return "", domain.Invalid(field, "must be a 12-character ISRC such as USRC17607839")
	}
	return up, nil
}

// OptionalReleaseDate checks an ISO 8601 calendar date of year, month or day
// precision (YYYY, YYYY-MM, YYYY-MM-DD) that exists, or empty.
func OptionalReleaseDate(field, v string) error {
	if v == "" {
		return nil
	}
	var layout string
	switch len(v) {
	case 4:
		layout = "2006"
	case 7:
		layout = "2006-01"
	case 10:
		layout = "2006-01-02"
	}
	bad := domain.Invalid(field, "must be a date as YYYY, YYYY-MM or YYYY-MM-DD")
	if layout == "" || !allDigitsOrDash(v) {
		return bad
	}
	t, err := time.Parse(layout, v)
	if err != nil || t.Year() < 1 {
		return bad
	}
	return nil
}

// allDigitsOrDash guards time.Parse, which accepts signs and spaces in places.
func allDigitsOrDash(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '-' {
			return false
		}
	}
	return true
}

// Genres checks up to MaxGenres single-line genres of 1..MaxGenreLength runes,
// none repeated (ignoring case), since a repeat only clutters the display.
func Genres(field string, genres []string) error {
	if err := Count(field, len(genres), 0, MaxGenres); err != nil {
		return err
	}
	for i, g := range genres {
		if err := Text(Item(field, i), g, 1, MaxGenreLength); err != nil {
			return err
		}
		for _, prev := range genres[:i] {
			if strings.EqualFold(prev, g) {
				return domain.Invalid(Item(field, i), "repeats genre %q", g)
			}
		}
	}
	return nil
}
