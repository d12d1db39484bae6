package opensearchtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/testenv/proctest"
)

const (
	// EnvEnable must be "1" for OpenSearch-backed tests to run; otherwise
	// Shared and Skip skip, so a plain "go test ./..." needs neither Java
	// nor Maven.
	EnvEnable = "BACKBEAT_OPENSEARCH"
	// EnvJavaHome picks the JDK to run OpenSearch on; by default the
	// newest Java 21+ among JAVA_HOME, the java on PATH and /usr/lib/jvm/*.
	EnvJavaHome = "BACKBEAT_OPENSEARCH_JAVA_HOME"
	// EnvCacheDir overrides where the unpacked distribution is kept (see
	// installRoot).
	EnvCacheDir = "BACKBEAT_OPENSEARCH_CACHE"
)

// Enabled reports whether OpenSearch-backed tests should run.
func Enabled() bool { return proctest.Enabled(EnvEnable) }

// Skip skips t unless OpenSearch-backed tests are enabled.
func Skip(t testing.TB) {
	t.Helper()
	proctest.SkipUnless(t, EnvEnable, "a real OpenSearch (Java 21+, and Maven the first time)")
}

var shared proctest.Shared[*Node]

// Shared returns a single-node OpenSearch started on first use and kept
// for the rest of the test binary. It skips t unless BACKBEAT_OPENSEARCH=1.
// The node is never closed: the kernel kills it when the test binary
// exits. Tests share it, so each should use its own index names.
func Shared(t testing.TB) *Node {
	t.Helper()
	Skip(t)
	n, err := shared.Get(func() (*Node, error) {
		dir, err := proctest.RunDir("backbeat-opensearch")
		if err != nil {
			return nil, fmt.Errorf("opensearchtest: %w", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		// t.Logf is only called inside Start, while t is still running.
		return Start(ctx, dir, t.Logf)
	})
	if err != nil {
		t.Fatalf("shared OpenSearch: %v", err)
	}
	return n
}
