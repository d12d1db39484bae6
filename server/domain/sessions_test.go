package domain_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/embedded"
)

// plainCreds stores passwords as they are and mints opaque access tokens:
// enough for the session rules, which never look inside either.
type plainCreds struct{}

func (plainCreds) HashPassword(p string) (string, error)     { return "plain:" + p, nil }
func (plainCreds) CheckPassword(enc, p string) (bool, error) { return enc == "plain:"+p, nil }
func (c plainCreds) NewRefreshToken() (string, string) {
	t := rand.Text()
	return t, c.HashRefreshToken(t)
}
func (plainCreds) HashRefreshToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}
func (plainCreds) MintAccessToken(string, []domain.Role, int64) (string, time.Time, error) {
	return "access", time.Now().Add(time.Minute), nil
}

// TestRefreshTokenReuseRevokesFamily: presenting a rotated refresh token
// again revokes the whole family, the successor too, and leaves other
// sign-ins alone.
func TestRefreshTokenReuseRevokesFamily(t *testing.T) {
	ctx := t.Context()
	s, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	users := domain.NewUsers(s.Stores(), plainCreds{}, domain.UsersConfig{})
	if _, _, err := users.Register(ctx, domain.RegisterInput{Username: "alice", Email: "alice@example.com", Password: "correct horse battery", DisplayName: "Alice"}); err != nil {
		t.Fatal(err)
	}
	login := func() domain.Tokens {
		t.Helper()
		_, toks, err := users.Login(ctx, "alice", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		return toks
	}
	a, elsewhere := login(), login()
	b, err := users.Refresh(ctx, a.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh(A): %v", err)
	}
	c, err := users.Refresh(ctx, b.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh(B): %v", err)
	}
	if _, err := users.Refresh(ctx, a.RefreshToken); !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Fatalf("Refresh(A) again: %v, want unauthenticated", err)
	}
	if _, err := users.Refresh(ctx, c.RefreshToken); !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Fatalf("Refresh(C) after A's reuse: %v, want unauthenticated (family revoked)", err)
	}
	if _, err := users.Refresh(ctx, elsewhere.RefreshToken); err != nil {
		t.Fatalf("another sign-in's Refresh after A's reuse: %v, want it untouched", err)
	}
	if _, err := users.Refresh(ctx, "never-issued"); !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Fatalf("Refresh(unknown): %v, want unauthenticated", err)
	}
}
