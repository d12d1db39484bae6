package app_test

import (
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/server/app"
)

// BenchmarkGetTrackTelemetry is GetTrack through the whole stack with
// metrics and tracing (sampler off: ratio 0, nothing exported) off and on,
// in the same process, so the two figures share the machine's load. Run
// with -count to alternate them: the ratio of ns/op is the cost.
//
//	go test -run '^$' -bench GetTrackTelemetry -count 3 ./server/app/
func BenchmarkGetTrackTelemetry(b *testing.B) {
	for _, mode := range []struct {
		name string
		cfg  func(*app.Config)
	}{
		{"off", func(c *app.Config) { c.Metrics = false }},
		{"on", func(c *app.Config) { c.OTLPEndpoint, c.TraceSampleRatio = "http://127.0.0.1:4318", 0 }},
	} {
		b.Run(mode.name, func(b *testing.B) {
			_, c := demoServer(b, mode.cfg)
			id := firstTrack(b, c).Id
			req := &catalogv1.GetTrackRequest{TrackId: id}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.Catalog.GetTrack(b.Context(), connect.NewRequest(req)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
