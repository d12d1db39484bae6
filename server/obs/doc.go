// Package obs is how an operator sees a running Backbeat: Prometheus
// metrics (one registry per server, so a process can run many), OpenTelemetry
// traces, the trace id in every log line of a request, readiness, and the
// circuit breakers that make an outage of one dependency fail fast instead
// of tying up every request. It wraps the domain's ports (stores, search
// engine) and knows no adapter; server/app wires it.
package obs
