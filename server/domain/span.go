package domain

import "context"

// SpanStarter starts a trace span named op as a child of ctx's and returns
// the context inside it and the function that ends it with the
// operation's error. The domain knows no tracing library: the edge puts a
// SpanStarter in a request's context (WithSpanStarter) when tracing is on,
// and the traced operations mark themselves through it.
type SpanStarter func(ctx context.Context, op string) (context.Context, func(error))

type spanStarterKey struct{}

// WithSpanStarter returns ctx carrying s.
func WithSpanStarter(ctx context.Context, s SpanStarter) context.Context {
	return context.WithValue(ctx, spanStarterKey{}, s)
}

// startSpan starts op's span when ctx carries a SpanStarter; else it
// changes nothing. Use it right after the operation's derrors.Wrap:
//
//	ctx, end := startSpan(ctx, "Playback.Start")
//	defer func() { end(err) }()
func startSpan(ctx context.Context, op string) (context.Context, func(error)) {
	if s, ok := ctx.Value(spanStarterKey{}).(SpanStarter); ok {
		return s(ctx, op)
	}
	return ctx, func(error) {}
}
