package obs

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/backbeat/backbeat/server/httpserver"
)

// LogHandler adds the trace id and the request id of the context to every
// record logged inside a request, so a request's lines can be found
// together and next to its trace.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()))
	}
	if info := httpserver.InfoFrom(ctx); info != nil {
		r.AddAttrs(slog.String("request_id", info.ID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(as)}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return logHandler{h.Handler.WithGroup(name)}
}
