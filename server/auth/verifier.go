package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/backbeat/backbeat/server/domain"
)

// The messages a caller may see. They name what is wrong with the token and
// nothing about the server; the underlying cause goes to the debug log.
const (
	msgMalformed    = "malformed token"
	msgAlgorithm    = "token signing algorithm not accepted"
	msgSignature    = "token signature invalid"
	msgExpired      = "token expired"
	msgNotYetValid  = "token not yet valid"
	msgIssuer       = "token issuer mismatch"
	msgAudience     = "token audience mismatch"
	msgNoSubject    = "token has no subject"
	msgTokenTooLong = "token too long"
)

// maxTokenLen bounds the work an unauthenticated caller can ask for; real
// access tokens, even with many claims, are a few KiB.
const maxTokenLen = 16 << 10

// discoveryTimeout bounds discovery and key fetches when the caller gives no
// HTTP client, so a hung provider cannot hang startup or requests forever.
const discoveryTimeout = 10 * time.Second

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// IssuerURL must equal the tokens' "iss" exactly (trailing slash included).
	IssuerURL string
	// Audience must be among the tokens' "aud"; required.
	Audience string
	// KeySet verifies signatures. When nil, NewVerifier discovers the
	// issuer's jwks_uri and uses a remote key set, which refetches on an
	// unknown key id.
	KeySet oidc.KeySet
	// SigningAlgs are the accepted "alg" values. When empty: those the
	// discovery document advertises, or ES256 with an explicit KeySet.
	SigningAlgs []string
	// HTTPClient fetches the discovery document and keys; when nil, a client
	// with a 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives why tokens were rejected (debug) and key fetch failures
	// (warn); discarded when nil.
	Logger *slog.Logger
}

// Identity is what a verified token says about its subject.
type Identity struct {
	Issuer   string
	Subject  string
	Email    string
	Username string // preferred_username
	Name     string
	// Roles are the known roles of the "roles" claim; unknown names are dropped.
	Roles []domain.Role
	// IssuedAt is the "iat" claim (zero when absent).
	IssuedAt time.Time
	// SessionEpoch is the EpochClaim of the embedded issuer's tokens (0 when
	// absent, as in tokens minted before it existed).
	SessionEpoch int64
}

// Verifier checks bearer access tokens from one issuer.
type Verifier struct {
	issuer   string
	audience string
	algs     []string
	oidc     *oidc.IDTokenVerifier
	log      *slog.Logger
	now      func() time.Time
	cache    *tokenCache
}

// asymmetricAlgs are the algorithms go-oidc can verify; anything else a
// provider advertises (HS256, none) is never accepted.
var asymmetricAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512,
	oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.EdDSA,
}

// NewVerifier returns a verifier for cfg.IssuerURL. Without cfg.KeySet it
// performs OIDC discovery now and fails if the issuer cannot be reached, so
// a misconfigured server refuses to start rather than rejecting every call.
func NewVerifier(ctx context.Context, cfg VerifierConfig) (*Verifier, error) {
	if cfg.IssuerURL == "" {
		return nil, errors.New("auth: verifier needs an issuer URL")
	}
	if cfg.Audience == "" {
		return nil, errors.New("auth: verifier needs an audience")
	}
	for _, a := range cfg.SigningAlgs {
		if !slices.Contains(asymmetricAlgs, a) {
			return nil, fmt.Errorf("auth: signing algorithm %q is not supported", a)
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: discoveryTimeout}
	}
	ctx = oidc.ClientContext(ctx, client)

	keySet := cfg.KeySet
	algs := slices.Clone(cfg.SigningAlgs)
	if keySet == nil {
		provider, err := oidc.NewProvider(ctx, cfg.IssuerURL)
		if err != nil {
			return nil, fmt.Errorf("auth: OIDC discovery for issuer %s failed (is it reachable and is the URL exact?): %w", cfg.IssuerURL, err)
		}
		var meta struct {
			JWKSURI string   `json:"jwks_uri"`
			Algs    []string `json:"id_token_signing_alg_values_supported"`
		}
		if err := provider.Claims(&meta); err != nil {
			return nil, fmt.Errorf("auth: OIDC discovery for issuer %s: %w", cfg.IssuerURL, err)
		}
		if meta.JWKSURI == "" {
			return nil, fmt.Errorf("auth: OIDC discovery for issuer %s: no jwks_uri", cfg.IssuerURL)
		}
		// The remote key set is built here rather than taken from the
		// provider so that it can be wrapped (see observedKeySet).
		keySet = oidc.NewRemoteKeySet(ctx, meta.JWKSURI)
		if len(algs) == 0 {
			for _, a := range meta.Algs {
				if slices.Contains(asymmetricAlgs, a) {
					algs = append(algs, a)
				}
			}
		}
		if len(algs) == 0 {
			// What OIDC makes mandatory, and what go-oidc assumes too.
			algs = []string{oidc.RS256}
		}
	} else if len(algs) == 0 {
		algs = []string{oidc.ES256}
	}

	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Verifier{
		issuer:   cfg.IssuerURL,
		audience: cfg.Audience,
		algs:     algs,
		log:      log,
		now:      now,
		cache:    newTokenCache(maxCachedTokens),
		oidc: oidc.NewVerifier(cfg.IssuerURL, observedKeySet{keySet}, &oidc.Config{
			ClientID:             cfg.Audience,
			SupportedSigningAlgs: algs,
			Now:                  cfg.Now,
		}),
	}, nil
}

// Verify checks rawToken's signature, issuer, audience and lifetime and
// returns who it names. Every failure is a domain.KindUnauthenticated error.
func (v *Verifier) Verify(ctx context.Context, rawToken string) (Identity, error) {
	if rawToken == "" {
		return Identity{}, domain.Unauthenticated(msgMalformed)
	}
	if len(rawToken) > maxTokenLen {
		return Identity{}, domain.Unauthenticated(msgTokenTooLong)
	}
	key := sha256.Sum256([]byte(rawToken))
	if id, ok := v.cache.get(key, v.now()); ok {
		return id, nil
	}
	st := &verifyState{}
	tok, err := v.oidc.Verify(context.WithValue(ctx, verifyStateKey{}, st), rawToken)
	if err != nil {
		msg := v.classify(rawToken, st, err)
		v.log.DebugContext(ctx, "auth: token rejected", "reason", msg, "err", err)
		return Identity{}, domain.Unauthenticated("%s", msg)
	}
	if tok.Subject == "" {
		return Identity{}, domain.Unauthenticated(msgNoSubject)
	}
	var c struct {
		Email             string          `json:"email"`
		PreferredUsername string          `json:"preferred_username"`
		Name              string          `json:"name"`
		Roles             json.RawMessage `json:"roles"`
		SessionEpoch      json.RawMessage `json:"sep"`
	}
	if err := tok.Claims(&c); err != nil {
		v.log.DebugContext(ctx, "auth: token rejected", "reason", msgMalformed, "err", err)
		return Identity{}, domain.Unauthenticated(msgMalformed)
	}
	id := Identity{
		Issuer:   tok.Issuer,
		Subject:  tok.Subject,
		Email:    c.Email,
		Username: c.PreferredUsername,
		Name:     c.Name,
		Roles:    v.roles(ctx, c.Roles),
		IssuedAt: tok.IssuedAt,
		// An external provider's token has no such claim; its value, if
		// one were there, is never used (see the server's resolver).
		SessionEpoch: epoch(c.SessionEpoch),
	}
	v.cache.put(key, id, tok.Expiry)
	return id, nil
}

// epoch reads the EpochClaim leniently: another provider may use the name
// for something else, which must not lock its users out (the claim only
// matters for the embedded issuer's tokens, whose value is always a number).
func epoch(raw json.RawMessage) int64 {
	var n int64
	if len(raw) == 0 || json.Unmarshal(raw, &n) != nil {
		return 0
	}
	return n
}

// roles is lenient: an external provider's "roles" claim may hold names
// Backbeat does not know or be a single string, and neither should lock the
// user out; the resolver decides how far to trust what remains.
func (v *Verifier) roles(ctx context.Context, raw json.RawMessage) []domain.Role {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil {
		var one string
		if json.Unmarshal(raw, &one) != nil {
			v.log.DebugContext(ctx, "auth: ignoring roles claim that is neither a string nor a list of strings")
			return nil
		}
		names = []string{one}
	}
	var roles []domain.Role
	for _, n := range names {
		r := domain.Role(n)
		if !r.Valid() {
			v.log.DebugContext(ctx, "auth: ignoring unknown role in token", "role", n)
			continue
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	return roles
}

// classify turns a go-oidc rejection into a caller-facing message. go-oidc
// types only its expiry error, so the other causes are told apart by how far
// verification got (recorded by observedKeySet) and, once the signature is
// known good, by reading the now-trusted claims. It only ever explains a
// rejection; go-oidc alone decides whether a token is accepted.
func (v *Verifier) classify(raw string, st *verifyState, err error) string {
	var expired *oidc.TokenExpiredError
	if errors.As(err, &expired) {
		if expired.Expiry.IsZero() {
			// go-oidc reports a token without "exp" as expired at time zero.
			return msgMalformed
		}
		return msgExpired
	}
	if !st.called {
		// Rejected while parsing, before any key was consulted.
		if alg, ok := headerAlg(raw); ok && !slices.Contains(v.algs, alg) {
			return msgAlgorithm
		}
		return msgMalformed
	}
	if st.err != nil {
		var uerr *url.Error
		if errors.As(st.err, &uerr) {
			// A key the cache lacked could not be fetched; the token may be
			// fine, but the operator needs to know the provider is unreachable.
			v.log.Warn("auth: fetching the issuer's keys failed", "issuer", v.issuer, "err", st.err)
		}
		return msgSignature
	}
	var c struct {
		Issuer    string          `json:"iss"`
		Audience  json.RawMessage `json:"aud"`
		NotBefore *json.Number    `json:"nbf"`
	}
	if json.Unmarshal(st.payload, &c) != nil {
		return msgMalformed
	}
	if c.Issuer != v.issuer {
		return msgIssuer
	}
	if !audienceContains(c.Audience, v.audience) {
		return msgAudience
	}
	if c.NotBefore != nil {
		return msgNotYetValid
	}
	return msgMalformed
}

func audienceContains(raw json.RawMessage, want string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == want
	}
	var many []string
	return json.Unmarshal(raw, &many) == nil && slices.Contains(many, want)
}

// headerAlg reads "alg" from a compact JWS header without trusting it.
func headerAlg(raw string) (string, bool) {
	head, _, ok := strings.Cut(raw, ".")
	if !ok {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return "", false
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(b, &h) != nil || h.Alg == "" {
		return "", false
	}
	return h.Alg, true
}

type verifyStateKey struct{}

// verifyState records, for one Verify call, whether and how the signature
// check went.
type verifyState struct {
	called  bool
	err     error
	payload []byte
}

// observedKeySet passes signature checks through to the real key set and
// notes the outcome in the verifyState that Verify put in the context
// (go-oidc derives the key set's context from the one Verify receives).
type observedKeySet struct{ oidc.KeySet }

func (k observedKeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.KeySet.VerifySignature(ctx, jwt)
	if st, ok := ctx.Value(verifyStateKey{}).(*verifyState); ok {
		st.called, st.err, st.payload = true, err, payload
	}
	return payload, err
}
