package cassandra

import (
	"context"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/store/storetest"
	"github.com/backbeat/backbeat/server/testenv/cassandratest"
)

// openBenchStore migrates and opens a keyspace of its own on the shared
// node, dropped when the benchmark ends.
func openBenchStore(b *testing.B, keyspace string) *Store {
	cfg := Config{Hosts: cassandratest.Shared(b), LocalDC: cassandratest.SharedDC, Keyspace: testKeyspace(keyspace),
		Replication: map[string]int{cassandratest.SharedDC: 1}, Timeout: 30 * time.Second}
	ctx := b.Context()
	if err := Migrate(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	s, err := Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = s.session.Query(`DROP KEYSPACE IF EXISTS ` + cfg.Keyspace).WithContext(context.Background()).Exec()
		_ = s.Close()
	})
	return s
}

// BenchmarkLibrary prints AreSaved(50 ids) and ListSaved p50/p99 at 10,000
// saved tracks on Cassandra; compare with the embedded store's benchmark of
// the same name run in the same go test command.
func BenchmarkLibrary(b *testing.B) {
	storetest.BenchLibrary(b, openBenchStore(b, "backbeat_bench_library").Stores())
}
