package keycloaktest

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

type tokenClaims struct {
	Subject           string `json:"sub"`
	PreferredUsername string `json:"preferred_username"`
	Email             string `json:"email"`
	EmailVerified     bool   `json:"email_verified"`
	GivenName         string `json:"given_name"`
	FamilyName        string `json:"family_name"`
}

// TestPasswordGrantVerifiedByGoOIDC is the end-to-end proof the package
// exists for: a token minted by a real Keycloak verifies with the same
// go-oidc calls Backbeat makes, and only for the right audience.
func TestPasswordGrantVerifiedByGoOIDC(t *testing.T) {
	Skip(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	began := time.Now()
	s, err := Start(ctx, t.TempDir(), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	t.Logf("Start returned after %s", time.Since(began).Round(time.Millisecond))

	if want := s.BaseURL() + "/realms/" + Realm; s.Issuer() != want {
		t.Fatalf("Issuer() = %q, want %q", s.Issuer(), want)
	}

	tokenAt := time.Now()
	aliceTok, err := s.Password(ctx, AliceUsername, AlicePassword)
	if err != nil {
		t.Fatalf("password grant for alice: %v", err)
	}
	t.Logf("first password grant took %s", time.Since(tokenAt).Round(time.Millisecond))

	provider, err := oidc.NewProvider(ctx, s.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: s.ClientID()})
	tok, err := verifier.Verify(ctx, aliceTok)
	if err != nil {
		t.Fatalf("verifying alice's access token: %v", err)
	}
	if tok.Issuer != s.Issuer() {
		t.Errorf("iss = %q, want %q", tok.Issuer, s.Issuer())
	}
	t.Logf("alice's access token: iss=%s aud=%v exp in %s", tok.Issuer, tok.Audience, time.Until(tok.Expiry).Round(time.Second))
	if !slices.Contains(tok.Audience, ClientID) {
		t.Errorf("aud = %v, want it to contain %q", tok.Audience, ClientID)
	}
	var alice tokenClaims
	if err := tok.Claims(&alice); err != nil {
		t.Fatal(err)
	}
	if alice.Subject == "" || alice.Subject != tok.Subject {
		t.Errorf("sub = %q (IDToken.Subject %q), want a non-empty user id", alice.Subject, tok.Subject)
	}
	if alice.PreferredUsername != AliceUsername {
		t.Errorf("preferred_username = %q, want %q", alice.PreferredUsername, AliceUsername)
	}
	if alice.Email != AliceEmail || !alice.EmailVerified {
		t.Errorf("email = %q verified=%v, want %q verified", alice.Email, alice.EmailVerified, AliceEmail)
	}
	if alice.GivenName != AliceFirstName || alice.FamilyName != AliceLastName {
		t.Errorf("name = %q %q, want %q %q", alice.GivenName, alice.FamilyName, AliceFirstName, AliceLastName)
	}

	// A service that expects some other audience must not accept a token
	// minted for backbeat-api.
	other := provider.Verifier(&oidc.Config{ClientID: "some-other-api"})
	if _, err := other.Verify(ctx, aliceTok); err == nil {
		t.Error("a verifier for client some-other-api accepted a backbeat-api token")
	} else if !strings.Contains(err.Error(), "audience") {
		t.Errorf("wrong-audience rejection = %v, want an audience error", err)
	}

	// A forged signature must fail even with the right audience.
	dot := strings.LastIndex(aliceTok, ".")
	forged := aliceTok[:dot+1] + tamper(aliceTok[dot+1:])
	if _, err := verifier.Verify(ctx, forged); err == nil {
		t.Error("a token with a tampered signature verified")
	}

	bobTok, err := s.Password(ctx, BobUsername, BobPassword)
	if err != nil {
		t.Fatalf("password grant for bob: %v", err)
	}
	bt, err := verifier.Verify(ctx, bobTok)
	if err != nil {
		t.Fatalf("verifying bob's access token: %v", err)
	}
	var bob tokenClaims
	if err := bt.Claims(&bob); err != nil {
		t.Fatal(err)
	}
	if bob.PreferredUsername != BobUsername || bob.Email != BobEmail || bob.Subject == alice.Subject {
		t.Errorf("bob's claims = %+v, want bob's own identity", bob)
	}

	_, err = s.Password(ctx, AliceUsername, "not-"+AlicePassword)
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" {
		t.Errorf("wrong password: err = %v, want invalid_grant", err)
	}

	pid := s.proc.Pid()
	addr := strings.TrimPrefix(s.BaseURL(), "http://")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("Keycloak pid %d still exists after Close (kill -0: %v)", pid, err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Close", addr)
	}
}

// tamper flips one character of a base64url string, keeping it valid
// base64url so the failure is the signature check, not decoding.
func tamper(s string) string {
	if s == "" {
		return "A"
	}
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// TestShared checks that Shared starts one server per test binary and that
// it serves verifiable tokens.
func TestShared(t *testing.T) {
	s := Shared(t)
	if again := Shared(t); again != s {
		t.Fatal("Shared returned a second server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw, err := s.Password(ctx, BobUsername, BobPassword)
	if err != nil {
		t.Fatal(err)
	}
	provider, err := oidc.NewProvider(ctx, s.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := provider.Verifier(&oidc.Config{ClientID: s.ClientID()}).Verify(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	var c tokenClaims
	if err := tok.Claims(&c); err != nil {
		t.Fatal(err)
	}
	if c.PreferredUsername != BobUsername {
		t.Errorf("preferred_username = %q, want %q", c.PreferredUsername, BobUsername)
	}
}
