package obs

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are a server's Prometheus collectors, registered on their own
// registry (no global one: tests run many servers in one process). A nil
// *Metrics records nothing, which is how metrics are switched off.
type Metrics struct {
	Registry *prometheus.Registry

	RPCRequests       *prometheus.CounterVec
	RPCDuration       *prometheus.HistogramVec
	StoreDuration     *prometheus.HistogramVec
	StoreErrors       *prometheus.CounterVec
	QueueDepth        *prometheus.GaugeVec
	ConsumerLag       *prometheus.GaugeVec
	JobDuration       *prometheus.HistogramVec
	TranscodeRealtime prometheus.Histogram
	SearchDuration    *prometheus.HistogramVec
	Refusals          *prometheus.CounterVec
	MediaBytes        *prometheus.CounterVec
	BreakerState      *prometheus.GaugeVec
	PlayEventsDropped prometheus.Counter
	Ready             prometheus.Gauge
}

// latencyBuckets span a cached read (100 µs) to a request near its
// deadline (30 s).
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// NewMetrics registers every collector, the Go runtime's and the
// process's included.
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		RPCRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backbeat_rpc_requests_total", Help: "RPCs answered, by procedure, protocol and Connect code.",
		}, []string{"procedure", "protocol", "code"}),
		RPCDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "backbeat_rpc_duration_seconds", Help: "RPC latency in the handler chain, by procedure, protocol and code.",
			Buckets: latencyBuckets,
		}, []string{"procedure", "protocol", "code"}),
		StoreDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "backbeat_store_op_duration_seconds", Help: "Store operation latency, by store (embedded, cassandra) and operation.",
			Buckets: latencyBuckets,
		}, []string{"store", "op"}),
		StoreErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backbeat_store_op_errors_total", Help: "Store operations that failed, by store, operation and error kind.",
		}, []string{"store", "op", "kind"}),
		QueueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "backbeat_queue_depth", Help: "Jobs waiting in the broker, by kind (transcode, cleanup, play_events).",
		}, []string{"kind"}),
		ConsumerLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "backbeat_consumer_lag", Help: "Messages a consumer has not yet acknowledged (the search indexer: seconds behind).",
		}, []string{"consumer"}),
		JobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "backbeat_job_duration_seconds", Help: "Background job run time, by kind and outcome (ok, retry, failed).",
			Buckets: []float64{.01, .05, .1, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
		}, []string{"kind", "outcome"}),
		TranscodeRealtime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "backbeat_transcode_realtime_ratio", Help: "Audio seconds transcoded per wall-clock second, per ladder.",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500},
		}),
		SearchDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "backbeat_search_duration_seconds", Help: "Search latency, by engine (store, opensearch).",
			Buckets: latencyBuckets,
		}, []string{"engine"}),
		Refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backbeat_refusals_total", Help: "Requests refused before doing their work, by reason (rate_limited, overloaded, breaker_open).",
		}, []string{"reason"}),
		MediaBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backbeat_media_bytes_total", Help: "Media bytes served (stream) and received (upload).",
		}, []string{"kind"}),
		BreakerState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "backbeat_breaker_state", Help: "Circuit breaker state per dependency: 0 closed, 1 half-open, 2 open.",
		}, []string{"dependency"}),
		PlayEventsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "backbeat_play_events_dropped_total", Help: "Play events not recorded because the broker was unavailable.",
		}),
		Ready: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "backbeat_ready", Help: "1 when /readyz answers ready, else 0.",
		}),
	}
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.RPCRequests, m.RPCDuration, m.StoreDuration, m.StoreErrors, m.QueueDepth, m.ConsumerLag,
		m.JobDuration, m.TranscodeRealtime, m.SearchDuration, m.Refusals, m.MediaBytes, m.BreakerState,
		m.PlayEventsDropped, m.Ready,
	)
	return m
}

// Refused counts one refusal for reason.
func (m *Metrics) Refused(reason string) {
	if m != nil {
		m.Refusals.WithLabelValues(reason).Inc()
	}
}

// AddMediaBytes counts n media bytes of kind (stream, upload).
func (m *Metrics) AddMediaBytes(kind string, n int64) {
	if m != nil && n > 0 {
		m.MediaBytes.WithLabelValues(kind).Add(float64(n))
	}
}
