package domain

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"time"
)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a 26-character, URL-safe, lowercase id whose first 6 bytes
// are the creation time in milliseconds, so ids sort roughly by creation and
// stores can page by id, and whose last 10 bytes are random.
func NewID() string { return newIDAt(time.Now()) }

// newIDAt is NewID made at t: ids of things whose time the domain keeps
// (a playback's start) begin with that very time.
func newIDAt(t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("domain: crypto/rand failed: " + err.Error())
	}
	return idEncoding.EncodeToString(b[:])
}

// ValidID reports whether s has the shape NewID produces. Ids from external
// issuers never reach here: they are mapped to Backbeat users.
func ValidID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') || c == 'i' || c == 'l' || c == 'o' || c == 'u' {
			return false
		}
	}
	return true
}

// idFloor is the smallest id NewID can make at t or later: ids from t on
// are >= idFloor(t), ids made before t are below it.
func idFloor(t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	return idEncoding.EncodeToString(b[:])
}
