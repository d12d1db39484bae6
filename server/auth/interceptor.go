package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"connectrpc.com/connect"

	"github.com/backbeat/backbeat/server/domain"
)

// Resolver maps a verified identity to a Backbeat principal. The server's
// (server/app) reads the account behind every identity, through a short
// cache, so that roles, disabled accounts and ended sessions apply to tokens
// already issued; external identities are created on first sight.
type Resolver interface {
	Principal(ctx context.Context, id Identity) (domain.Principal, error)
}

// ResolverFunc adapts a function to Resolver.
type ResolverFunc func(ctx context.Context, id Identity) (domain.Principal, error)

func (f ResolverFunc) Principal(ctx context.Context, id Identity) (domain.Principal, error) {
	return f(ctx, id)
}

// DirectResolver trusts the token: the subject is the user id and the roles
// claim the roles. It is for tests of this package: the server does not use
// it, since a token's roles cannot be taken back before it expires. The id
// check keeps an external token from passing as a local user.
func DirectResolver() Resolver {
	return ResolverFunc(func(_ context.Context, id Identity) (domain.Principal, error) {
		if !domain.ValidID(id.Subject) {
			return domain.Principal{}, domain.Unauthenticated("token subject is not a Backbeat user id")
		}
		return domain.Principal{UserID: id.Subject, Roles: id.Roles}, nil
	})
}

// NewMiddleware returns HTTP middleware that checks the bearer token of
// every procedure not in public (request paths are procedure names) from the
// headers alone, before connect reads or decompresses the body: an anonymous
// or forged request costs the server no more than its headers. It refuses
// with Unauthenticated in the protocol the client spoke (Connect, gRPC or
// gRPC-Web) and otherwise passes the verified identity on in the context,
// where the interceptor resolves it without verifying the token again. Put
// it in front of the connect handlers, with the interceptor on them.
func NewMiddleware(v *Verifier, public []string, next http.Handler) http.Handler {
	set := make(map[string]struct{}, len(public))
	for _, p := range public {
		set[p] = struct{}{}
	}
	errw := connect.NewErrorWriter()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := set[r.URL.Path]; ok {
			next.ServeHTTP(w, r)
			return
		}
		token, err := bearerToken(r.Header)
		if err != nil {
			writeUnauthenticated(errw, w, r, unauthenticated(err, false))
			return
		}
		id, err := v.Verify(r.Context(), token)
		if err != nil {
			writeUnauthenticated(errw, w, r, unauthenticated(err, true))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
	})
}

// writeUnauthenticated sends cerr without touching the request body. The
// error writer copies an error's metadata into headers for Connect unary
// only, so the RFC 6750 challenge is set here for every protocol.
func writeUnauthenticated(errw *connect.ErrorWriter, w http.ResponseWriter, r *http.Request, cerr *connect.Error) {
	w.Header().Set("WWW-Authenticate", cerr.Meta().Get("WWW-Authenticate"))
	// A failed write means the client is gone; there is nobody to tell.
	_ = errw.Write(w, r, cerr)
}

// identityKey carries the identity the middleware verified to the
// interceptor.
type identityKey struct{}

// NewInterceptor returns a handler-side connect interceptor (unary and
// streaming) that requires `Authorization: Bearer <token>` on every
// procedure not in public (full names, e.g.
// "/backbeat.user.v1.UserService/Login"), verifies it, resolves the
// principal and puts it in the context (see PrincipalFrom). Behind
// NewMiddleware it takes the identity the middleware verified instead of
// verifying the token again; alone it verifies it itself, but only after
// connect has read the body.
//
// Missing or invalid tokens, and resolver errors of kind unauthenticated,
// become connect.CodeUnauthenticated with a WWW-Authenticate header (RFC
// 6750); the domain error stays in the chain. Any other resolver error is
// returned as is, for the server's error mapping to translate, so that
// mapping must wrap this interceptor (come before it in WithInterceptors).
func NewInterceptor(v *Verifier, r Resolver, public []string) connect.Interceptor {
	set := make(map[string]struct{}, len(public))
	for _, p := range public {
		set[p] = struct{}{}
	}
	return &interceptor{verifier: v, resolver: r, public: set}
}

type interceptor struct {
	verifier *Verifier
	resolver Resolver
	public   map[string]struct{}
}

func (i *interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		ctx, err := i.authenticate(ctx, req.Spec().Procedure, req.Header())
		if err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

// WrapStreamingClient leaves outgoing calls alone: this interceptor only
// guards the server.
func (i *interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i *interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		ctx, err := i.authenticate(ctx, conn.Spec().Procedure, conn.RequestHeader())
		if err != nil {
			return err
		}
		return next(ctx, conn)
	}
}

func (i *interceptor) authenticate(ctx context.Context, procedure string, h http.Header) (context.Context, error) {
	if _, ok := i.public[procedure]; ok {
		return ctx, nil
	}
	// The middleware verified the token already; without it in front (a
	// handler mounted on its own) the interceptor still checks it itself.
	id, ok := ctx.Value(identityKey{}).(Identity)
	if !ok {
		token, err := bearerToken(h)
		if err != nil {
			return nil, unauthenticated(err, false)
		}
		if id, err = i.verifier.Verify(ctx, token); err != nil {
			return nil, unauthenticated(err, true)
		}
	}
	p, err := i.resolver.Principal(ctx, id)
	if err != nil {
		if domain.IsKind(err, domain.KindUnauthenticated) {
			i.verifier.log.DebugContext(ctx, "auth: resolver refused identity", "issuer", id.Issuer, "subject", id.Subject, "err", err)
			return nil, unauthenticated(clientFacing(err), true)
		}
		return nil, err
	}
	return WithPrincipal(ctx, p), nil
}

func bearerToken(h http.Header) (string, error) {
	values := h.Values("Authorization")
	switch len(values) {
	case 0:
		return "", domain.Unauthenticated("missing bearer token")
	case 1:
	default:
		return "", domain.Unauthenticated("more than one Authorization header")
	}
	// RFC 7235: the scheme is case-insensitive.
	scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", domain.Unauthenticated("Authorization header must be `Bearer <token>`")
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return "", domain.Unauthenticated("missing bearer token")
	}
	return token, nil
}

// unauthenticated builds the connect error. invalidToken distinguishes "you
// sent a bad token" from "you sent none", which RFC 6750 answers differently.
func unauthenticated(err error, invalidToken bool) *connect.Error {
	cerr := connect.NewError(connect.CodeUnauthenticated, err)
	challenge := `Bearer realm="backbeat"`
	if invalidToken {
		challenge += `, error="invalid_token"`
		var de *domain.Error
		if errors.As(err, &de) && de.Msg != "" {
			challenge += `, error_description="` + quoteSafe(de.Msg) + `"`
		}
	}
	cerr.Meta().Set("WWW-Authenticate", challenge)
	return cerr
}

// clientFacing drops a domain error's cause, which is for operators (and
// may name internals), keeping the kind and message the client may see.
func clientFacing(err error) error {
	var de *domain.Error
	if !errors.As(err, &de) || de.Err == nil {
		return err
	}
	msg := de.Msg
	if msg == "" {
		msg = de.Kind.String()
	}
	return &domain.Error{Kind: de.Kind, Field: de.Field, Msg: msg}
}

// quoteSafe keeps a message legal inside an RFC 7235 quoted-string.
func quoteSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
}
