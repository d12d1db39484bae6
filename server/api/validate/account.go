package validate

import (
	"net/mail"
	"strings"

	"github.com/backbeat/backbeat/server/domain"
)

const (
	MaxEmailBytes  = 254 // RFC 5321's limit on a forward path
	MinPassword    = 8
	MaxPassword    = 256
	MaxDisplayName = 100
)

// Username checks a username and returns it lowercased. Clients may send
// "Alice": usernames are case-insensitive and the domain stores them
// lowercase, so refusing capitals would only be unfriendly. Only ASCII is
// folded: Unicode case folding maps some non-ASCII letters onto ASCII ones
// (KELVIN SIGN to 'k'), which would let look-alike names through.
func Username(field, v string) (string, error) {
	if v == "" {
		return "", domain.Invalid(field, "is required")
	}
	lower := asciiLower(v)
	if !domain.UsernamePattern.MatchString(lower) {
		return "", domain.Invalid(field, "must be 3-32 characters: letters, digits, '_', '.' or '-', starting with a letter")
	}
	return lower, nil
}

func asciiLower(s string) string { return mapASCII(s, 'A', 'Z', 'a'-'A') }

func asciiUpper(s string) string { return mapASCII(s, 'a', 'z', 'A'-'a') }

// mapASCII shifts the bytes in lo..hi by delta and leaves every other byte,
// including all of a multi-byte rune, alone.
func mapASCII(s string, lo, hi byte, delta int) string {
	b := []byte(s)
	for i, c := range b {
		if c >= lo && c <= hi {
			b[i] = byte(int(c) + delta)
		}
	}
	return string(b)
}

// Email checks a bare address ("ann@example.com"). Display-name forms such as
// "Ann <ann@example.com>" are refused: the field holds an address, and
// accepting them would store something other than what was sent.
func Email(field, v string) error {
	if v == "" {
		return domain.Invalid(field, "is required")
	}
	if len(v) > MaxEmailBytes {
		return domain.Invalid(field, "must be at most %d bytes", MaxEmailBytes)
	}
	if strings.ContainsFunc(v, bidiControl) {
		return domain.Invalid(field, "must not contain bidirectional control characters")
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v {
		return domain.Invalid(field, "must be an email address such as name@example.com")
	}
	return nil
}

// Password checks a new password's length. Its content is not restricted:
// it is hashed, never shown.
func Password(field, v string) error {
	return Runes(field, v, MinPassword, MaxPassword)
}
