package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func TestPasswordRoundTrip(t *testing.T) {
	const pw = "correct horse battery staple ✓"
	h1, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash = %q", h1)
	}
	if ok, err := CheckPassword(h1, pw); err != nil || !ok {
		t.Fatalf("right password: %v, %v", ok, err)
	}
	if ok, err := CheckPassword(h1, pw+" "); err != nil || ok {
		t.Fatalf("wrong password: %v, %v", ok, err)
	}
	if ok, err := CheckPassword(h1, ""); err != nil || ok {
		t.Fatalf("empty password: %v, %v", ok, err)
	}
	h2, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if h1 == h2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	if PasswordNeedsRehash(h1) {
		t.Fatal("fresh hash needs rehash")
	}
}

// A hash made with other parameters (as after raising them) still checks,
// using the parameters it records, and is flagged for rehash.
func TestCheckPasswordUsesStoredParameters(t *testing.T) {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("hunter2"), salt, 1, 8*1024, 1, 32)
	enc := fmt.Sprintf("$argon2id$v=19$m=8192,t=1,p=1$%s$%s",
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
	if ok, err := CheckPassword(enc, "hunter2"); err != nil || !ok {
		t.Fatalf("older parameters: %v, %v", ok, err)
	}
	if ok, _ := CheckPassword(enc, "hunter3"); ok {
		t.Fatal("wrong password accepted")
	}
	if !PasswordNeedsRehash(enc) {
		t.Fatal("weaker hash not flagged for rehash")
	}
}

func TestCheckPasswordRejectsBadEncodings(t *testing.T) {
	good, err := HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	salt, hash := parts[4], parts[5]
	for _, enc := range []string{
		"",
		"plaintext",
		"$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + hash,
		"$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + hash,
		"$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + hash,
		"$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + hash,
		"$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + hash,
		"$argon2id$v=19$m=4294967295,t=2,p=1$" + salt + "$" + hash,
		"$argon2id$v=19$m=19456,t=2,p=1$!!$" + hash,
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$",
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + hash + "$",
		good + "=",
	} {
		ok, err := CheckPassword(enc, "pw")
		if ok || err == nil {
			t.Errorf("%q: ok=%v err=%v", enc, ok, err)
		}
		if !PasswordNeedsRehash(enc) {
			t.Errorf("%q: unusable hash not flagged for rehash", enc)
		}
	}
}

func TestRefreshToken(t *testing.T) {
	tok, hash := NewRefreshToken()
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != 32 {
		t.Fatalf("token %q: %d bytes, %v", tok, len(raw), err)
	}
	sum := sha256.Sum256([]byte(tok))
	if hash != hex.EncodeToString(sum[:]) || HashRefreshToken(tok) != hash {
		t.Fatalf("hash = %q", hash)
	}
	tok2, hash2 := NewRefreshToken()
	if tok2 == tok || hash2 == hash {
		t.Fatal("refresh tokens repeat")
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}
