package e2e

import (
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/auth"
	"github.com/backbeat/backbeat/server/domain"
)

// mint makes an access token with the given issuer settings. With the
// server's data dir it signs with the server's own key.
func mint(t *testing.T, dir, url, audience string, now time.Time, userID string) string {
	t.Helper()
	iss, err := auth.NewIssuer(auth.IssuerConfig{Dir: dir, URL: url, Audience: audience, AccessTTL: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := iss.Mint(userID, []domain.Role{domain.RoleListener, domain.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
