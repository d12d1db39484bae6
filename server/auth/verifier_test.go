package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/backbeat/backbeat/server/domain"
)

var b64url = base64.RawURLEncoding

func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func expectRejected(t *testing.T, v *Verifier, tok, wantMsg string) {
	t.Helper()
	_, err := v.Verify(t.Context(), tok)
	if err == nil {
		t.Fatalf("token accepted, want %q", wantMsg)
	}
	if !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Fatalf("error kind = %v (%v), want unauthenticated", domain.KindOf(err), err)
	}
	if err.Error() != wantMsg {
		t.Fatalf("error = %q, want %q", err, wantMsg)
	}
}

// claimsLike returns what iss would put in a token for sub, for tests that
// sign variations of it themselves.
func claimsLike(iss *Issuer, sub string) map[string]any {
	now := iss.now()
	return map[string]any{
		"iss": iss.URL(), "sub": sub, "aud": iss.Audience(),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Minute).Unix(),
		"roles": []string{"listener"},
	}
}

// signWith signs claims with iss's real key and kid.
func signWith(t *testing.T, iss *Issuer, claims map[string]any) string {
	t.Helper()
	tok, err := jwt.Signed(iss.signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// forge signs a token that looks exactly like one of iss's, kid included,
// with a different key.
func forge(t *testing.T, iss *Issuer, sub string) string {
	t.Helper()
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.ES256,
		Key:       jose.JSONWebKey{Key: other, KeyID: iss.KeyID()},
	}, (&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claimsLike(iss, sub)).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func unsigned(header string, claims string) string {
	return b64url.EncodeToString([]byte(header)) + "." + b64url.EncodeToString([]byte(claims)) + "."
}

func TestVerifyValidToken(t *testing.T) {
	iss := newTestIssuer(t, IssuerConfig{})
	v := newTestVerifier(t, iss.VerifierConfig())
	user := domain.NewID()
	id, err := v.Verify(t.Context(), mint(t, iss, user, domain.RoleListener, domain.RoleArtist))
	if err != nil {
		t.Fatal(err)
	}
	if id.Issuer != testIssuerURL || id.Subject != user {
		t.Fatalf("identity = %+v", id)
	}
	if !slices.Equal(id.Roles, []domain.Role{domain.RoleListener, domain.RoleArtist}) {
		t.Fatalf("roles = %v", id.Roles)
	}
}

func TestVerifyProfileClaimsAndLenientRoles(t *testing.T) {
	iss := newTestIssuer(t, IssuerConfig{})
	v := newTestVerifier(t, iss.VerifierConfig())
	c := claimsLike(iss, "external-subject")
	c["email"] = "ada@example.com"
	c["preferred_username"] = "ada"
	c["name"] = "Ada Lovelace"
	c["roles"] = []string{"artist", "offline_access", "artist", "admin"}
	id, err := v.Verify(t.Context(), signWith(t, iss, c))
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{
		Issuer: testIssuerURL, Subject: "external-subject", Email: "ada@example.com",
		Username: "ada", Name: "Ada Lovelace", Roles: []domain.Role{domain.RoleArtist, domain.RoleAdmin},
	}
	if id.Issuer != want.Issuer || id.Subject != want.Subject || id.Email != want.Email ||
		id.Username != want.Username || id.Name != want.Name || !slices.Equal(id.Roles, want.Roles) {
		t.Fatalf("identity = %+v, want %+v", id, want)
	}

	c["roles"] = "admin"
	if id, err := v.Verify(t.Context(), signWith(t, iss, c)); err != nil || !slices.Equal(id.Roles, []domain.Role{domain.RoleAdmin}) {
		t.Fatalf("string roles claim: %+v, %v", id, err)
	}
	c["roles"] = map[string]any{"nested": true}
	if id, err := v.Verify(t.Context(), signWith(t, iss, c)); err != nil || id.Roles != nil {
		t.Fatalf("odd roles claim: %+v, %v", id, err)
	}
	delete(c, "roles")
	if id, err := v.Verify(t.Context(), signWith(t, iss, c)); err != nil || id.Roles != nil {
		t.Fatalf("no roles claim: %+v, %v", id, err)
	}
}

func TestVerifyExpired(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	iss := newTestIssuer(t, IssuerConfig{Now: func() time.Time { return t0 }})
	tok := mint(t, iss, domain.NewID())

	cfg := iss.VerifierConfig()
	cfg.Now = func() time.Time { return t0.Add(DefaultAccessTTL - time.Second) }
	if _, err := newTestVerifier(t, cfg).Verify(t.Context(), tok); err != nil {
		t.Fatalf("token rejected just before expiry: %v", err)
	}
	cfg.Now = func() time.Time { return t0.Add(DefaultAccessTTL + time.Second) }
	expectRejected(t, newTestVerifier(t, cfg), tok, msgExpired)
}

func TestVerifyNotYetValid(t *testing.T) {
	iss := newTestIssuer(t, IssuerConfig{})
	c := claimsLike(iss, domain.NewID())
	c["nbf"] = time.Now().Add(time.Hour).Unix()
	c["exp"] = time.Now().Add(2 * time.Hour).Unix()
	expectRejected(t, newTestVerifier(t, iss.VerifierConfig()), signWith(t, iss, c), msgNotYetValid)
}

func TestVerifyForgedSignature(t *testing.T) {
	iss := newTestIssuer(t, IssuerConfig{})
	expectRejected(t, newTestVerifier(t, iss.VerifierConfig()), forge(t, iss, domain.NewID()), msgSignature)
}

func TestVerifyTamperedPayload(t *testing.T) {
	iss := newTestIssuer(t, IssuerConfig{})
	parts := strings.Split(mint(t, iss, domain.NewID(), domain.RoleListener), ".")
	payload, _ := b64url.DecodeString(parts[1])
	payload = bytes.Replace(payload, []byte(`"listener"`), []byte(`"admin"`), 1)
	parts[1] = b64url.EncodeToString(payload)
	expectRejected(t, newTestVerifier(t, iss.VerifierConfig()), strings.Join(parts, "."), msgSignature)
}

func TestVerifyWrongAudience(t *testing.T) {
	dir := t.TempDir()
	ours := newTestIssuer(t, IssuerConfig{Dir: dir})
	// Same key and issuer: only the audience differs.
	other := newTestIssuer(t, IssuerConfig{Dir: dir, Audience: "someone-else"})
	expectRejected(t, newTestVerifier(t, ours.VerifierConfig()), mint(t, other, domain.NewID()), msgAudience)

	c := claimsLike(ours, domain.NewID())
	c["aud"] = []string{"a", DefaultAudience}
	if _, err := newTestVerifier(t, ours.VerifierConfig()).Verify(t.Context(), signWith(t, ours, c)); err != nil {
		t.Fatalf("audience list containing ours: %v", err)
	}
}

func TestVerifyWrongIssuer(t *testing.T) {
	dir := t.TempDir()
	ours := newTestIssuer(t, IssuerConfig{Dir: dir})
	// Same key and audience: only the issuer differs.
	other := newTestIssuer(t, IssuerConfig{Dir: dir, URL: "https://evil.example"})
	expectRejected(t, newTestVerifier(t, ours.VerifierConfig()), mint(t, other, domain.NewID()), msgIssuer)
}

func TestVerifyGarbage(t *testing.T) {
	iss := newTestIssuer(t, IssuerConfig{})
	v := newTestVerifier(t, iss.VerifierConfig())
	for _, tok := range []string{
		"", "garbage", "a.b.c", "a.b.c.d.e", "...",
		unsigned(`{"alg":"ES256"}`, `{}`),
		strings.Repeat("a", maxTokenLen) + ".b.c",
	} {
		_, err := v.Verify(t.Context(), tok)
		if !domain.IsKind(err, domain.KindUnauthenticated) {
			t.Errorf("%.20q: err = %v, want unauthenticated", tok, err)
		}
	}
	expectRejected(t, v, "garbage", msgMalformed)
	expectRejected(t, v, strings.Repeat("a", maxTokenLen)+".b.c", msgTokenTooLong)
}

func TestVerifyMissingClaims(t *testing.T) {
	iss := newTestIssuer(t, IssuerConfig{})
	v := newTestVerifier(t, iss.VerifierConfig())

	c := claimsLike(iss, domain.NewID())
	delete(c, "exp")
	expectRejected(t, v, signWith(t, iss, c), msgMalformed)

	c = claimsLike(iss, "")
	delete(c, "sub")
	expectRejected(t, v, signWith(t, iss, c), msgNoSubject)

	c = claimsLike(iss, domain.NewID())
	c["email"] = 42
	expectRejected(t, v, signWith(t, iss, c), msgMalformed)
}

func TestVerifyRejectsAlgNone(t *testing.T) {
	iss := newTestIssuer(t, IssuerConfig{})
	v := newTestVerifier(t, iss.VerifierConfig())
	_, payload := decodeParts(t, mint(t, iss, domain.NewID(), domain.RoleAdmin))
	claims, _ := jsonString(payload)
	header := `{"alg":"none","typ":"JWT","kid":"` + iss.KeyID() + `"}`
	expectRejected(t, v, unsigned(header, claims), msgAlgorithm)
}

// The classic key-confusion attack: HS256 "signed" with the public key.
func TestVerifyRejectsHMACWithPublicKey(t *testing.T) {
	iss := newTestIssuer(t, IssuerConfig{})
	v := newTestVerifier(t, iss.VerifierConfig())
	_, payload := decodeParts(t, mint(t, iss, domain.NewID(), domain.RoleAdmin))
	claims, _ := jsonString(payload)
	pub, err := x509.MarshalPKIXPublicKey(&iss.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	input := b64url.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"`+iss.KeyID()+`"}`)) + "." + b64url.EncodeToString([]byte(claims))
	mac := hmac.New(sha256.New, pub)
	mac.Write([]byte(input))
	expectRejected(t, v, input+"."+b64url.EncodeToString(mac.Sum(nil)), msgAlgorithm)
}

func TestNewVerifierConfig(t *testing.T) {
	iss := newTestIssuer(t, IssuerConfig{})
	for name, cfg := range map[string]VerifierConfig{
		"no issuer":   {Audience: "a", KeySet: iss.KeySet()},
		"no audience": {IssuerURL: testIssuerURL, KeySet: iss.KeySet()},
		"HS256":       {IssuerURL: testIssuerURL, Audience: "a", KeySet: iss.KeySet(), SigningAlgs: []string{"HS256"}},
	} {
		if _, err := NewVerifier(t.Context(), cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestNewVerifierFailsWhenIssuerUnreachable(t *testing.T) {
	srv := httptest.NewServer(nil)
	url := srv.URL
	srv.Close()
	_, err := NewVerifier(t.Context(), VerifierConfig{IssuerURL: url, Audience: "backbeat"})
	if err == nil {
		t.Fatal("NewVerifier succeeded against a closed server")
	}
	if !strings.Contains(err.Error(), url) {
		t.Fatalf("error does not name the issuer: %v", err)
	}
}

func TestNewVerifierFailsOnIssuerMismatch(t *testing.T) {
	_, srv := startIssuerServer(t, IssuerConfig{})
	// A trailing slash is a different issuer; discovery must catch it at startup.
	if _, err := NewVerifier(t.Context(), VerifierConfig{IssuerURL: srv.URL + "/", Audience: "backbeat"}); err == nil {
		t.Fatal("NewVerifier accepted an issuer URL that differs from the discovered one")
	}
}

func TestVerifyLogsReasonNotToCaller(t *testing.T) {
	iss := newTestIssuer(t, IssuerConfig{})
	var logs bytes.Buffer
	cfg := iss.VerifierConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	v := newTestVerifier(t, cfg)
	_, err := v.Verify(t.Context(), forge(t, iss, domain.NewID()))
	if err == nil || strings.Contains(err.Error(), "oidc") {
		t.Fatalf("caller sees %v", err)
	}
	if !strings.Contains(logs.String(), "oidc") && !strings.Contains(logs.String(), "verify") {
		t.Fatalf("log lacks the underlying cause: %s", logs.String())
	}
}

// A token verified once is served from the cache afterwards, yet still
// stops working the moment it expires.
func TestVerifyCachedTokenStillExpires(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	iss := newTestIssuer(t, IssuerConfig{Now: func() time.Time { return t0 }})
	tok := mint(t, iss, domain.NewID())

	now := t0
	cfg := iss.VerifierConfig()
	cfg.Now = func() time.Time { return now }
	v := newTestVerifier(t, cfg)
	for range 2 {
		if _, err := v.Verify(t.Context(), tok); err != nil {
			t.Fatalf("valid token rejected: %v", err)
		}
	}
	if n := len(v.cache.m); n != 1 {
		t.Fatalf("cache holds %d tokens after two verifications of one, want 1", n)
	}
	now = t0.Add(DefaultAccessTTL + time.Second)
	expectRejected(t, v, tok, msgExpired)
}
