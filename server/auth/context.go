package auth

import (
	"context"

	"github.com/backbeat/backbeat/server/domain"
)

type principalKey struct{}

// WithPrincipal returns ctx carrying p, as the interceptor does for every
// authenticated call. Handlers read it back with PrincipalFrom and pass it
// to services explicitly.
func WithPrincipal(ctx context.Context, p domain.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller established by the interceptor; false on
// public procedures and outside a request.
func PrincipalFrom(ctx context.Context) (domain.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(domain.Principal)
	return p, ok
}
