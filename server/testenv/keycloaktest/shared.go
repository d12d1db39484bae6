package keycloaktest

import (
	"context"
	"fmt"
	"testing"

	"github.com/backbeat/backbeat/server/testenv/proctest"
)

const (
	// EnvEnable must be "1" for Keycloak-backed tests to run; otherwise
	// Shared and Skip skip, so a plain "go test ./..." needs neither Java
	// nor Maven.
	EnvEnable = "BACKBEAT_KEYCLOAK"
	// EnvJavaHome picks the JDK to run Keycloak on; by default JAVA_HOME,
	// then the java on PATH, then /usr/lib/jvm/*, whichever is Java 17+.
	EnvJavaHome = "BACKBEAT_KEYCLOAK_JAVA_HOME"
	// EnvCacheDir overrides ~/.cache/backbeat/keycloak-<Version>.
	EnvCacheDir = "BACKBEAT_KEYCLOAK_CACHE"
)

// Enabled reports whether Keycloak-backed tests should run.
func Enabled() bool { return proctest.Enabled(EnvEnable) }

// Skip skips t unless Keycloak-backed tests are enabled.
func Skip(t testing.TB) {
	t.Helper()
	proctest.SkipUnless(t, EnvEnable, "a real Keycloak (Java 17+, and Maven the first time)")
}

var shared proctest.Shared[*Server]

// Shared returns a Keycloak started on first use and kept for the rest of
// the test binary. It skips t unless BACKBEAT_KEYCLOAK=1. The server is
// never closed: the kernel kills it when the test binary exits. Tests share
// its realm, so they should not change alice or bob.
func Shared(t testing.TB) *Server {
	t.Helper()
	Skip(t)
	srv, err := shared.Get(func() (*Server, error) {
		dir, err := sharedDir()
		if err != nil {
			return nil, err
		}
		// t.Logf is only called inside Start, while t is still running.
		return Start(context.Background(), dir, t.Logf)
	})
	if err != nil {
		t.Fatalf("shared Keycloak: %v", err)
	}
	return srv
}

// sharedDir is the shared server's directory (see proctest.RunDir).
func sharedDir() (string, error) {
	dir, err := proctest.RunDir("backbeat-keycloak")
	if err != nil {
		return "", fmt.Errorf("keycloaktest: %w", err)
	}
	return dir, nil
}
