package search

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// heapAfterGC is the live heap once garbage is collected.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkIndexMemory prints what an index of 50k tracks (and their
// artists and albums) holds live, built at once (a server's start) and
// filled one Upsert at a time (a catalog loaded through the API), in bytes
// per document: the figure behind the embedded server's RSS.
func BenchmarkIndexMemory(b *testing.B) {
	docs := genDocs(rand.New(rand.NewPCG(5, 6)), 50_000)
	for _, how := range []string{"build", "upsert"} {
		b.Run(how, func(b *testing.B) {
			var per float64
			for b.Loop() {
				before := heapAfterGC()
				ix := NewIndex()
				if how == "build" {
					ix.Build(docs)
				} else {
					for _, d := range docs {
						ix.Upsert(d)
					}
					ix.rlockSorted()
					ix.mu.RUnlock()
				}
				per = float64(heapAfterGC()-before) / float64(len(docs))
				runtime.KeepAlive(ix)
			}
			b.ReportMetric(per, "B/doc")
			b.ReportMetric(per*float64(len(docs))/(1<<20), "MiB")
		})
	}
}
