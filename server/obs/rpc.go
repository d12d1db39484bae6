package obs

import (
	"context"
	"errors"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/httpserver"
)

// Trace starts the server span of every HTTP request, continuing a trace
// the caller's traceparent header names, so the access-log line and every
// log line inside carry its trace id, and lets the domain's operations
// start their spans under it. The RPC interceptor renames the span after
// the procedure; other requests keep "HTTP <method>".
func Trace(tracer trace.Tracer, next http.Handler) http.Handler {
	starter := func(ctx context.Context, op string) (context.Context, func(error)) {
		ctx, span := tracer.Start(ctx, op)
		return ctx, func(err error) { endSpan(span, err) }
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer.Start(ctx, "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		ctx = domain.WithSpanStarter(ctx, starter)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// RPCInterceptor counts and times every RPC by procedure, protocol and the
// code the client sees, names the request's span after the procedure and
// notes procedure and code for the access log. It goes outermost, so
// refusals are counted with their codes.
func RPCInterceptor(m *Metrics) connect.Interceptor { return &rpcInterceptor{m: m} }

type rpcInterceptor struct{ m *Metrics }

func (i *rpcInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		done := i.begin(ctx, req.Spec().Procedure, req.Peer().Protocol)
		res, err := next(ctx, req)
		done(err)
		return res, err
	}
}

func (i *rpcInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i *rpcInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		done := i.begin(ctx, conn.Spec().Procedure, conn.Peer().Protocol)
		err := next(ctx, conn)
		done(err)
		return err
	}
}

// begin starts the bookkeeping of one RPC; the returned func ends it.
func (i *rpcInterceptor) begin(ctx context.Context, procedure, protocol string) func(error) {
	start := time.Now()
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.SetName(procedure)
		span.SetAttributes(attr("rpc.system", protocol), attr("rpc.method", procedure))
	}
	return func(err error) {
		code := CodeName(err)
		if info := httpserver.InfoFrom(ctx); info != nil {
			info.Procedure, info.Code = procedure, code
		}
		if span.IsRecording() {
			span.SetAttributes(attr("rpc.code", code))
			if err != nil {
				endSpanError(span, err)
			}
		}
		if i.m != nil {
			i.m.RPCRequests.WithLabelValues(procedure, protocol, code).Inc()
			i.m.RPCDuration.WithLabelValues(procedure, protocol, code).Observe(time.Since(start).Seconds())
		}
	}
}

// CodeName is the Connect code of err as clients see it ("ok" for nil).
func CodeName(err error) string {
	if err == nil {
		return "ok"
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Code().String()
	}
	return connect.CodeOf(err).String()
}

// NoteUser notes the caller's user id for the access log; it goes after
// authentication, which puts the principal in the context.
func NoteUser(userID func(context.Context) string) connect.Interceptor {
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if info := httpserver.InfoFrom(ctx); info != nil {
				info.UserID = userID(ctx)
			}
			return next(ctx, req)
		}
	})
}
