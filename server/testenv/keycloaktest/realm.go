package keycloaktest

import "encoding/json"

// Everything the realm holds is fixed, so tests can name users and secrets
// directly instead of reading them back from the server.
const (
	// Realm is the realm Backbeat trusts; Issuer ends in /realms/Realm.
	Realm = "backbeat"
	// ClientID is the confidential client tokens are issued to. It is also
	// the audience an audience mapper adds to every access token, which is
	// what a verifier configured with this client ID checks.
	ClientID = "backbeat-api"
	// ClientSecret authenticates ClientID at the token endpoint.
	ClientSecret = "backbeat-api-secret"

	// AdminUsername and AdminPassword are the master realm's bootstrap
	// admin, for tests that want the admin REST API.
	AdminUsername = "admin"
	AdminPassword = "admin-password"

	AliceUsername  = "alice"
	AlicePassword  = "alice-password"
	AliceEmail     = "alice@example.com"
	AliceFirstName = "Alice"
	AliceLastName  = "Liddell"

	BobUsername  = "bob"
	BobPassword  = "bob-password"
	BobEmail     = "bob@example.com"
	BobFirstName = "Bob"
	BobLastName  = "Marley"
)

type realmRep struct {
	Realm       string      `json:"realm"`
	Enabled     bool        `json:"enabled"`
	SSLRequired string      `json:"sslRequired"`
	Clients     []clientRep `json:"clients"`
	Users       []userRep   `json:"users"`
}

type clientRep struct {
	ClientID                  string              `json:"clientId"`
	Enabled                   bool                `json:"enabled"`
	Protocol                  string              `json:"protocol"`
	PublicClient              bool                `json:"publicClient"`
	ClientAuthenticatorType   string              `json:"clientAuthenticatorType"`
	Secret                    string              `json:"secret"`
	DirectAccessGrantsEnabled bool                `json:"directAccessGrantsEnabled"`
	StandardFlowEnabled       bool                `json:"standardFlowEnabled"`
	ProtocolMappers           []protocolMapperRep `json:"protocolMappers"`
}

type protocolMapperRep struct {
	Name           string            `json:"name"`
	Protocol       string            `json:"protocol"`
	ProtocolMapper string            `json:"protocolMapper"`
	Config         map[string]string `json:"config"`
}

type userRep struct {
	Username        string          `json:"username"`
	Enabled         bool            `json:"enabled"`
	Email           string          `json:"email"`
	EmailVerified   bool            `json:"emailVerified"`
	FirstName       string          `json:"firstName"`
	LastName        string          `json:"lastName"`
	RequiredActions []string        `json:"requiredActions"`
	Credentials     []credentialRep `json:"credentials"`
}

type credentialRep struct {
	Type      string `json:"type"`
	Value     string `json:"value"`
	Temporary bool   `json:"temporary"`
}

func user(username, password, email, first, last string) userRep {
	// Keycloak's user profile insists on email, first and last name; a user
	// missing any of them gets a pending "verify profile" action, and the
	// password grant then fails with "Account is not fully set up".
	return userRep{
		Username:        username,
		Enabled:         true,
		Email:           email,
		EmailVerified:   true,
		FirstName:       first,
		LastName:        last,
		RequiredActions: []string{},
		Credentials:     []credentialRep{{Type: "password", Value: password}},
	}
}

// realmJSON is the realm representation imported into the template
// database. Its bytes are part of the template's cache key, so any change
// here produces a fresh template instead of reusing a stale one.
func realmJSON() ([]byte, error) {
	r := realmRep{
		Realm:   Realm,
		Enabled: true,
		// The server only ever listens on plain HTTP on loopback.
		SSLRequired: "none",
		Clients: []clientRep{{
			ClientID:                  ClientID,
			Enabled:                   true,
			Protocol:                  "openid-connect",
			ClientAuthenticatorType:   "client-secret",
			Secret:                    ClientSecret,
			DirectAccessGrantsEnabled: true,
			// Only the password grant is used; no browser flow means no
			// redirect URIs to keep valid.
			StandardFlowEnabled: false,
			ProtocolMappers: []protocolMapperRep{{
				// Without this, access tokens are for the "account" client
				// only and an API verifying aud=backbeat-api rejects them.
				Name:           "backbeat-api-audience",
				Protocol:       "openid-connect",
				ProtocolMapper: "oidc-audience-mapper",
				Config: map[string]string{
					"included.client.audience":  ClientID,
					"access.token.claim":        "true",
					"introspection.token.claim": "true",
					"id.token.claim":            "false",
				},
			}},
		}},
		Users: []userRep{
			user(AliceUsername, AlicePassword, AliceEmail, AliceFirstName, AliceLastName),
			user(BobUsername, BobPassword, BobEmail, BobFirstName, BobLastName),
		},
	}
	return json.MarshalIndent(r, "", "  ")
}
