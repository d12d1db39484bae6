package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/backbeat/backbeat/server/domain"
)

const testIssuerURL = "http://127.0.0.1:8080"

func newTestIssuer(t *testing.T, cfg IssuerConfig) *Issuer {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.URL == "" {
		cfg.URL = testIssuerURL
	}
	iss, err := NewIssuer(cfg)
	if err != nil {
		t.Fatalf("NewIssuer: %v", err)
	}
	return iss
}

func newTestVerifier(t *testing.T, cfg VerifierConfig) *Verifier {
	t.Helper()
	v, err := NewVerifier(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

func mint(t *testing.T, iss *Issuer, sub string, roles ...domain.Role) string {
	t.Helper()
	tok, _, err := iss.Mint(sub, roles, 0)
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	return tok
}

func TestIssuerKeySurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	first := newTestIssuer(t, IssuerConfig{Dir: dir})
	user := domain.NewID()
	tok := mint(t, first, user, domain.RoleListener)

	info, err := os.Stat(filepath.Join(dir, SigningKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", info.Mode().Perm())
	}
	before, _ := os.ReadFile(filepath.Join(dir, SigningKeyFile))

	second := newTestIssuer(t, IssuerConfig{Dir: dir})
	if first.KeyID() != second.KeyID() {
		t.Fatalf("kid changed across restart: %s != %s", first.KeyID(), second.KeyID())
	}
	after, _ := os.ReadFile(filepath.Join(dir, SigningKeyFile))
	if string(before) != string(after) {
		t.Fatal("key file rewritten on restart")
	}
	id, err := newTestVerifier(t, second.VerifierConfig()).Verify(t.Context(), tok)
	if err != nil {
		t.Fatalf("token minted before restart: %v", err)
	}
	if id.Subject != user {
		t.Fatalf("subject = %q, want %q", id.Subject, user)
	}

	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("key dir holds %d entries, want only the key (no temp files left)", len(entries))
	}
}

func TestIssuerConcurrentFirstStartsAgreeOnKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fresh", "data")
	const n = 8
	kids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			iss, err := NewIssuer(IssuerConfig{Dir: dir, URL: testIssuerURL})
			if err != nil {
				t.Error(err)
				return
			}
			kids[i] = iss.KeyID()
		})
	}
	wg.Wait()
	onDisk := newTestIssuer(t, IssuerConfig{Dir: dir}).KeyID()
	for i, k := range kids {
		if k != onDisk {
			t.Errorf("starter %d uses kid %s, disk has %s", i, k, onDisk)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("key dir holds %d entries, want 1", len(entries))
	}
}

func TestIssuerRefusesUnusableKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, SigningKeyFile)
	if err := os.WriteFile(path, []byte("half a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewIssuer(IssuerConfig{Dir: dir, URL: testIssuerURL}); err == nil {
		t.Fatal("NewIssuer accepted a corrupt key file")
	}
	if b, _ := os.ReadFile(path); string(b) != "half a key" {
		t.Fatal("corrupt key file was overwritten")
	}
}

func TestIssuerAcceptsSEC1Key(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, SigningKeyFile), pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	want, err := keyID(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := newTestIssuer(t, IssuerConfig{Dir: dir}).KeyID(); got != want {
		t.Fatalf("kid = %s, want %s", got, want)
	}
}

func TestIssuerConfigValidation(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8080", "ftp://host", "http://host/?q=1", "http://host/#f", "http://user@host"} {
		if _, err := NewIssuer(IssuerConfig{Dir: t.TempDir(), URL: u}); err == nil {
			t.Errorf("URL %q accepted", u)
		}
	}
	if _, err := NewIssuer(IssuerConfig{URL: testIssuerURL}); err == nil {
		t.Error("empty Dir accepted")
	}
	iss := newTestIssuer(t, IssuerConfig{})
	if _, _, err := iss.Mint("", nil, 0); err == nil {
		t.Error("empty user id minted")
	}
	if _, _, err := iss.Mint(domain.NewID(), []domain.Role{"root"}, 0); err == nil {
		t.Error("unknown role minted")
	}
}

func TestMintClaims(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC)
	iss := newTestIssuer(t, IssuerConfig{Now: func() time.Time { return now }})
	user := domain.NewID()
	tok, exp, err := iss.Mint(user, []domain.Role{domain.RoleListener, domain.RoleArtist}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(now.Add(DefaultAccessTTL).Unix(), 0); !exp.Equal(want) {
		t.Fatalf("expires = %v, want %v", exp, want)
	}

	header, payload := decodeParts(t, tok)
	if header["alg"] != "ES256" || header["kid"] != iss.KeyID() || header["typ"] != "at+jwt" {
		t.Fatalf("header = %v", header)
	}
	want := map[string]any{
		"iss": testIssuerURL, "sub": user, "aud": DefaultAudience,
		"iat": float64(now.Unix()), "nbf": float64(now.Unix()), "exp": float64(exp.Unix()),
		"roles": []any{"listener", "artist"},
	}
	for k, w := range want {
		got, _ := json.Marshal(payload[k])
		wantJSON, _ := json.Marshal(w)
		if string(got) != string(wantJSON) {
			t.Errorf("claim %s = %s, want %s", k, got, wantJSON)
		}
	}
	jti, _ := payload["jti"].(string)
	if jti == "" {
		t.Error("no jti")
	}
	tok2, _, _ := iss.Mint(user, nil, 0)
	if _, p2 := decodeParts(t, tok2); p2["jti"] == jti {
		t.Error("jti repeated")
	} else if r, ok := p2["roles"].([]any); !ok || len(r) != 0 {
		t.Errorf("no roles should be an empty list, got %v", p2["roles"])
	}
}

func TestMintConcurrently(t *testing.T) {
	iss := newTestIssuer(t, IssuerConfig{})
	v := newTestVerifier(t, iss.VerifierConfig())
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			tok, _, err := iss.Mint(domain.NewID(), []domain.Role{domain.RoleListener}, 0)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := v.Verify(context.Background(), tok); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// startIssuerServer runs the issuer's handler on a loopback server whose URL
// is the issuer URL, as a real deployment would.
func startIssuerServer(t *testing.T, cfg IssuerConfig) (*Issuer, *httptest.Server) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg.URL = "http://" + srv.Listener.Addr().String()
	iss := newTestIssuer(t, cfg)
	mux := http.NewServeMux()
	mux.Handle(DiscoveryPath, iss.Handler())
	mux.Handle(JWKSPath, iss.Handler())
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	return iss, srv
}

func TestIssuerDiscoveryWorksWithGoOIDC(t *testing.T) {
	iss, srv := startIssuerServer(t, IssuerConfig{})

	res, err := srv.Client().Get(srv.URL + DiscoveryPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if doc["issuer"] != srv.URL || doc["jwks_uri"] != srv.URL+JWKSPath {
		t.Fatalf("discovery document = %v", doc)
	}
	if !strings.Contains(res.Header.Get("Cache-Control"), "max-age") {
		t.Errorf("discovery Cache-Control = %q", res.Header.Get("Cache-Control"))
	}

	res, err = srv.Client().Get(srv.URL + JWKSPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(res.Header.Get("Cache-Control"), "max-age") {
		t.Errorf("JWKS Cache-Control = %q", res.Header.Get("Cache-Control"))
	}
	if res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("JWKS Content-Type = %q", res.Header.Get("Content-Type"))
	}
	var jwks struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(body, &jwks); err != nil {
		t.Fatal(err)
	}
	if len(jwks.Keys) != 1 || jwks.Keys[0]["kid"] != iss.KeyID() || jwks.Keys[0]["kty"] != "EC" || jwks.Keys[0]["alg"] != "ES256" {
		t.Fatalf("JWKS = %s", body)
	}
	if _, leaked := jwks.Keys[0]["d"]; leaked {
		t.Fatal("JWKS publishes the private key")
	}

	post, err := srv.Client().Post(srv.URL+JWKSPath, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST JWKS = %d", post.StatusCode)
	}

	provider, err := oidc.NewProvider(t.Context(), srv.URL)
	if err != nil {
		t.Fatalf("oidc.NewProvider: %v", err)
	}
	user := domain.NewID()
	tok := mint(t, iss, user, domain.RoleAdmin)
	idt, err := provider.Verifier(&oidc.Config{ClientID: DefaultAudience}).Verify(t.Context(), tok)
	if err != nil {
		t.Fatalf("go-oidc verification through discovery: %v", err)
	}
	if idt.Subject != user {
		t.Fatalf("subject = %q", idt.Subject)
	}

	// The same, through this package's discovering verifier.
	v := newTestVerifier(t, VerifierConfig{IssuerURL: srv.URL, Audience: DefaultAudience})
	id, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatalf("Verify via discovery: %v", err)
	}
	if id.Subject != user || !slices.Equal(id.Roles, []domain.Role{domain.RoleAdmin}) {
		t.Fatalf("identity = %+v", id)
	}
	expectRejected(t, v, forge(t, iss, user), msgSignature)
}

func decodeParts(t *testing.T, tok string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &payload} {
		b, err := b64url.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, payload
}
