package cassandratest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/testenv/proctest"
)

const (
	// EnvEnable must be "1" for any test in this environment to run; without
	// it Shared skips, so a plain "go test ./..." needs neither Java nor
	// Maven.
	EnvEnable = "BACKBEAT_CASSANDRA"
	// EnvHosts, a comma-separated list of addresses, points Shared at an
	// already running cluster instead of starting a node.
	EnvHosts = "BACKBEAT_CASSANDRA_HOSTS"
	// SharedDC is the data centre of the node Shared starts; tests using a
	// DC-aware host policy need it.
	SharedDC = "dc1"
)

var shared proctest.Shared[[]string]

// Enabled reports whether Cassandra-backed tests should run.
func Enabled() bool { return proctest.Enabled(EnvEnable) }

// SkipUnlessEnabled skips t unless Cassandra-backed tests are enabled.
func SkipUnlessEnabled(t testing.TB) {
	t.Helper()
	proctest.SkipUnless(t, EnvEnable, "a real Cassandra (Java 17, and Maven the first time)")
}

// Shared returns the addresses (port NativePort) of a single-node Cassandra
// started on first use and kept for the rest of the test binary; the node
// is killed when the binary exits. It skips t unless BACKBEAT_CASSANDRA=1,
// and uses the hosts in BACKBEAT_CASSANDRA_HOSTS instead when that is set.
// The node is shared, so each test should use its own keyspace.
func Shared(t testing.TB) []string {
	t.Helper()
	SkipUnlessEnabled(t)
	if env := os.Getenv(EnvHosts); env != "" {
		var hosts []string
		for _, h := range strings.Split(env, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hosts = append(hosts, h)
			}
		}
		return hosts
	}
	hosts, err := shared.Get(func() ([]string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		// Deliberately never closed: it lives as long as the test binary,
		// and Pdeathsig takes the JVM down with it. The lease on its address
		// is likewise released by the kernel at exit, and the data
		// directory is wiped by the next run that gets the same address.
		// A shared node hosts a keyspace per test server (the end-to-end
		// suite migrates one per data directory, ~30 tables each), and
		// Cassandra's per-table overhead ran 512 MiB out of heap after
		// about ten of them.
		c, err := Start(ctx, Options{Nodes: []NodeSpec{{DC: SharedDC}}, HeapMB: sharedHeapMB, Logf: t.Logf})
		if err != nil {
			return nil, err
		}
		return c.Hosts(), nil
	})
	if err != nil {
		t.Fatalf("shared Cassandra: %v", err)
	}
	return append([]string(nil), hosts...)
}

// sharedHeapMB is the shared node's heap: still small, but enough for
// the dozen keyspaces one end-to-end run creates.
const sharedHeapMB = 1536
