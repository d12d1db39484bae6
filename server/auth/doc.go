// Package auth authenticates Backbeat's callers: it is the server's embedded
// OIDC issuer, verifies bearer access tokens from that issuer or an external
// one, turns them into a domain.Principal for every RPC, and hashes
// passwords and refresh tokens for the user service.
//
// Errors are domain errors; only the connect interceptor speaks connect codes,
// because it is the one place where a request is refused before any handler
// (and the server's error mapping) sees it.
package auth
