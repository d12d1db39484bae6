package obs

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// TracerName names the spans Backbeat makes.
const TracerName = "github.com/backbeat/backbeat"

// Propagator reads and writes the W3C traceparent header, on RPCs and on
// job messages.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// NewTracerProvider exports spans over OTLP/HTTP to endpoint (a URL such as
// http://collector:4318, or host:port), sampling ratio of the traces that
// start here and following the caller's decision for those that arrive with
// one. An empty endpoint gives a no-op provider and a no-op shutdown.
func NewTracerProvider(ctx context.Context, endpoint string, ratio float64) (trace.TracerProvider, func(context.Context) error, error) {
	if endpoint == "" {
		return noop.NewTracerProvider(), func(context.Context) error { return nil }, nil
	}
	var opts []otlptracehttp.Option
	if strings.Contains(endpoint, "://") {
		opts = append(opts, otlptracehttp.WithEndpointURL(strings.TrimRight(endpoint, "/")+"/v1/traces"))
	} else {
		opts = append(opts, otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure())
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("OTLP exporter for %s: %w", endpoint, err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	)
	return tp, tp.Shutdown, nil
}

// endSpan records err on span (if any) and ends it.
func endSpan(span trace.Span, err error) {
	if err != nil {
		endSpanError(span, err)
	}
	span.End()
}

// endSpanError marks span failed with err.
func endSpanError(span trace.Span, err error) {
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}

// attr is shorthand for a string attribute.
func attr(k, v string) attribute.KeyValue { return attribute.String(k, v) }
