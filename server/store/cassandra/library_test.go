package cassandra

import (
	"testing"

	"github.com/backbeat/backbeat/server/store/storetest"
)

// BenchmarkLibrary prints AreSaved(50 ids) and ListSaved p50/p99 at 10,000
// saved tracks on Cassandra; compare with the embedded store's benchmark of
// the same name run in the same go test command.
func BenchmarkLibrary(b *testing.B) {
	storetest.BenchLibrary(b, openBenchStore(b, "backbeat_bench_library").Stores())
}
