package apierr

import (
	"context"
	"log/slog"

	"connectrpc.com/connect"
)

// NewInterceptor returns a handler-side interceptor that passes every error a
// handler returns through Convert. Install it outermost of the interceptors
// that return domain errors, so all of them are converted. Client-side calls
// pass through untouched: their errors already come from the wire.
func NewInterceptor(logger *slog.Logger) connect.Interceptor {
	return &interceptor{logger: logger}
}

type interceptor struct{ logger *slog.Logger }

func (i *interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		resp, err := next(ctx, req)
		if err != nil && !req.Spec().IsClient {
			return nil, Convert(ctx, i.logger, req.Spec().Procedure, err)
		}
		return resp, err
	}
}

func (i *interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i *interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		return Convert(ctx, i.logger, conn.Spec().Procedure, next(ctx, conn))
	}
}
