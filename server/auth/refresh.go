package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// NewRefreshToken returns a new opaque refresh token for the client and the
// hash to store as domain.Session.TokenHash. 32 random bytes make guessing
// hopeless, so a plain SHA-256 (no salt, no stretching) is enough to keep a
// leaked database from yielding usable tokens, while still letting the store
// find a session by hash.
func NewRefreshToken() (token, hash string) {
	b := make([]byte, 32)
	// crypto/rand.Read never fails (Go 1.24+: it crashes the program instead).
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashRefreshToken(token)
}

// HashRefreshToken returns hex(SHA-256(token)), the key a presented refresh
// token is looked up by.
func HashRefreshToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
