package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/keyfile"
)

const (
	// SigningKeyFile is the embedded issuer's private key, inside IssuerConfig.Dir.
	SigningKeyFile = "oidc-signing-key.pem"

	DefaultAudience  = "backbeat"
	DefaultAccessTTL = 15 * time.Minute

	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/.well-known/jwks.json"
)

// IssuerConfig configures the embedded OIDC issuer.
type IssuerConfig struct {
	// Dir holds the signing key; it is created (0700) if missing.
	Dir string
	// URL is the issuer identifier, the exact "iss" of every token and the
	// base of the discovery document, e.g. "http://127.0.0.1:8080".
	URL string
	// Audience is the "aud" of every token; DefaultAudience when empty.
	Audience string
	// AccessTTL is how long an access token lives; DefaultAccessTTL when zero.
	AccessTTL time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Issuer is the embedded OIDC issuer: it mints ES256 access tokens for local
// users and publishes the discovery document and key set that let any OIDC
// client (go-oidc included) verify them.
type Issuer struct {
	url       string
	audience  string
	ttl       time.Duration
	now       func() time.Time
	key       *ecdsa.PrivateKey
	kid       string
	signer    jose.Signer
	discovery []byte
	jwks      []byte
}

// NewIssuer loads the signing key from cfg.Dir, creating it on first start.
func NewIssuer(cfg IssuerConfig) (*Issuer, error) {
	if cfg.Dir == "" {
		return nil, errors.New("auth: issuer needs a key directory")
	}
	if err := checkIssuerURL(cfg.URL); err != nil {
		return nil, err
	}
	if cfg.Audience == "" {
		cfg.Audience = DefaultAudience
	}
	if cfg.AccessTTL == 0 {
		cfg.AccessTTL = DefaultAccessTTL
	}
	if cfg.AccessTTL < 0 {
		return nil, fmt.Errorf("auth: access token TTL %v is negative", cfg.AccessTTL)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}

	key, err := loadOrCreateKey(cfg.Dir)
	if err != nil {
		return nil, err
	}
	kid, err := keyID(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		// RFC 9068 names access tokens "at+jwt" so they cannot be mistaken for
		// ID tokens by software that checks typ.
		(&jose.SignerOptions{}).WithType("at+jwt"),
	)
	if err != nil {
		return nil, fmt.Errorf("auth: signer: %w", err)
	}

	iss := &Issuer{
		url:      cfg.URL,
		audience: cfg.Audience,
		ttl:      cfg.AccessTTL,
		now:      cfg.Now,
		key:      key,
		kid:      kid,
		signer:   signer,
	}
	// Both documents are fixed for the issuer's life, so they are rendered once.
	if iss.discovery, err = json.Marshal(iss.discoveryDocument()); err != nil {
		return nil, err
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &key.PublicKey, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig",
	}}}
	if iss.jwks, err = json.Marshal(set); err != nil {
		return nil, err
	}
	return iss, nil
}

// URL returns the issuer identifier, which verifiers must be configured with.
func (i *Issuer) URL() string { return i.url }

// Audience returns the "aud" of the tokens the issuer mints.
func (i *Issuer) Audience() string { return i.audience }

// KeyID returns the "kid" of the signing key.
func (i *Issuer) KeyID() string { return i.kid }

// KeySet lets the server verify its own tokens without fetching its own JWKS
// over HTTP.
func (i *Issuer) KeySet() oidc.KeySet {
	return &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{&i.key.PublicKey}}
}

// VerifierConfig returns the configuration of a verifier for this issuer's
// tokens, so the server cannot pair the issuer with a mismatched URL,
// audience or clock.
func (i *Issuer) VerifierConfig() VerifierConfig {
	return VerifierConfig{
		IssuerURL:   i.url,
		Audience:    i.audience,
		KeySet:      i.KeySet(),
		SigningAlgs: []string{oidc.ES256},
		Now:         i.now,
	}
}

// EpochClaim names the claim carrying the account's session epoch when the
// token was minted (domain.User.SessionEpoch): the server refuses a token
// whose epoch is older than the account's.
const EpochClaim = "sep"

// Mint returns a signed access token for userID and the time it expires.
// roles are informational for clients: the server reads the account's
// current roles on every request. epoch is the account's session epoch.
func (i *Issuer) Mint(userID string, roles []domain.Role, epoch int64) (token string, expires time.Time, err error) {
	if userID == "" {
		return "", time.Time{}, errors.New("auth: mint: empty user id")
	}
	names := make([]string, 0, len(roles))
	for _, r := range roles {
		if !r.Valid() {
			return "", time.Time{}, fmt.Errorf("auth: mint: unknown role %q", r)
		}
		names = append(names, string(r))
	}
	now := i.now()
	// JWT times are whole seconds; returning the truncated expiry keeps what
	// the caller reports equal to what the token says.
	expires = time.Unix(now.Add(i.ttl).Unix(), 0)
	claims := jwt.Claims{
		Issuer:    i.url,
		Subject:   userID,
		Audience:  jwt.Audience{i.audience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		Expiry:    jwt.NewNumericDate(expires),
		ID:        rand.Text(),
	}
	token, err = jwt.Signed(i.signer).Claims(claims).Claims(map[string]any{"roles": names, EpochClaim: epoch}).Serialize()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: mint: %w", err)
	}
	return token, expires, nil
}

// Handler serves the discovery document at DiscoveryPath and the key set at
// JWKSPath; the server mounts it at exactly those two paths.
func (i *Issuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DiscoveryPath, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, i.discovery, "public, max-age=3600")
	})
	mux.HandleFunc("GET "+JWKSPath, func(w http.ResponseWriter, _ *http.Request) {
		// Short, so that a replaced key file reaches relying parties soon
		// after a restart.
		writeJSON(w, i.jwks, "public, max-age=300")
	})
	return mux
}

func writeJSON(w http.ResponseWriter, body []byte, cacheControl string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", cacheControl)
	_, _ = w.Write(body)
}

// discoveryDocument holds what go-oidc reads (issuer, jwks_uri, algorithms)
// plus the fields OpenID Connect Discovery marks required. Backbeat has no
// authorization or token endpoint (login is an RPC), so none is advertised.
func (i *Issuer) discoveryDocument() map[string]any {
	return map[string]any{
		"issuer":                                i.url,
		"jwks_uri":                              strings.TrimSuffix(i.url, "/") + JWKSPath,
		"id_token_signing_alg_values_supported": []string{oidc.ES256},
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"claims_supported":                      []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "roles", EpochClaim},
	}
}

func checkIssuerURL(raw string) error {
	if raw == "" {
		return errors.New("auth: issuer needs a URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("auth: issuer URL %q: %w", raw, err)
	}
	// OIDC Discovery: an https (here also http, for local use) URL with no
	// query or fragment, since the issuer is compared as a plain string.
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("auth: issuer URL %q must be http(s)://host[:port][/path] with no query, fragment or user info", raw)
	}
	return nil
}

// keyID is the RFC 7638 thumbprint, so the kid changes exactly when the key does.
func keyID(pub *ecdsa.PublicKey) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("auth: key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

func loadOrCreateKey(dir string) (*ecdsa.PrivateKey, error) {
	path := filepath.Join(dir, SigningKeyFile)
	key, err := readKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("auth: key directory: %w", err)
	}
	return createKey(path)
}

func readKey(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("auth: read signing key: %w", err)
	}
	key, err := parseKey(data)
	if err != nil {
		// Never replace an unreadable key: tokens and relying parties depend
		// on it, and an operator may have put it there on purpose.
		return nil, fmt.Errorf("auth: signing key %s: %w", path, err)
	}
	return key, nil
}

// parseKey accepts PKCS#8 (what createKey writes) and SEC 1 (what
// `openssl ecparam -genkey` writes), so operators can bring their own key.
func parseKey(data []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var key *ecdsa.PrivateKey
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		ec, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key is %T, want ECDSA P-256", k)
		}
		key = ec
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		key = k
	default:
		return nil, fmt.Errorf("PEM block %q, want PRIVATE KEY", block.Type)
	}
	if key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("curve %s, want P-256", key.Curve.Params().Name)
	}
	return key, nil
}

// createKey writes a new key unless another process starting at once on
// the same directory wrote one first; either way it returns the key that
// landed on disk, so both processes sign with the same key.
func createKey(path string) (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("auth: generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("auth: encode signing key: %w", err)
	}
	if err := keyfile.WriteOnce(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return nil, fmt.Errorf("auth: write signing key: %w", err)
	}
	return readKey(path)
}
