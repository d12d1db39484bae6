package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/backbeat/backbeat/server/domain"
)

const (
	privateProc  = "/backbeat.test.v1.TestService/Private"
	publicProc   = "/backbeat.test.v1.TestService/Public"
	streamProc   = "/backbeat.test.v1.TestService/Stream"
	principalHdr = "X-Test-Principal"
)

// describe renders what a handler saw, so the client can check it.
func describe(ctx context.Context) string {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return "none"
	}
	roles := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = string(r)
	}
	return p.UserID + ":" + strings.Join(roles, ",")
}

type testService struct {
	client   *http.Client
	url      string
	issuer   *Issuer
	verifier *Verifier
}

// startService serves three connect procedures behind the interceptor over
// real HTTP/2, so the test goes through connect's own header and error
// handling. mapErrors stands in for the server's domain-to-connect mapping,
// which wraps the auth interceptor.
func startService(t *testing.T, resolver Resolver) *testService {
	t.Helper()
	iss := newTestIssuer(t, IssuerConfig{})
	v := newTestVerifier(t, iss.VerifierConfig())
	opts := connect.WithInterceptors(mapErrors(), NewInterceptor(v, resolver, []string{publicProc}))

	echo := func(ctx context.Context, _ *connect.Request[emptypb.Empty]) (*connect.Response[emptypb.Empty], error) {
		res := connect.NewResponse(&emptypb.Empty{})
		res.Header().Set(principalHdr, describe(ctx))
		return res, nil
	}
	mux := http.NewServeMux()
	mux.Handle(privateProc, connect.NewUnaryHandler(privateProc, echo, opts))
	mux.Handle(publicProc, connect.NewUnaryHandler(publicProc, echo, opts))
	mux.Handle(streamProc, connect.NewServerStreamHandler(streamProc,
		func(ctx context.Context, _ *connect.Request[emptypb.Empty], s *connect.ServerStream[emptypb.Empty]) error {
			s.ResponseHeader().Set(principalHdr, describe(ctx))
			return s.Send(&emptypb.Empty{})
		}, opts))

	srv := httptest.NewUnstartedServer(mux)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &testService{client: srv.Client(), url: srv.URL, issuer: iss, verifier: v}
}

func mapErrors() connect.Interceptor {
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			res, err := next(ctx, req)
			var cerr *connect.Error
			if err != nil && !errors.As(err, &cerr) && domain.KindOf(err) == domain.KindPermissionDenied {
				return nil, connect.NewError(connect.CodePermissionDenied, err)
			}
			return res, err
		}
	})
}

func (s *testService) callUnary(t *testing.T, proc, authorization string) (*connect.Response[emptypb.Empty], error) {
	t.Helper()
	client := connect.NewClient[emptypb.Empty, emptypb.Empty](s.client, s.url+proc)
	req := connect.NewRequest(&emptypb.Empty{})
	if authorization != "" {
		req.Header().Set("Authorization", authorization)
	}
	return client.CallUnary(t.Context(), req)
}

func (s *testService) callStream(t *testing.T, authorization string) (string, error) {
	t.Helper()
	client := connect.NewClient[emptypb.Empty, emptypb.Empty](s.client, s.url+streamProc, connect.WithGRPC())
	req := connect.NewRequest(&emptypb.Empty{})
	if authorization != "" {
		req.Header().Set("Authorization", authorization)
	}
	stream, err := client.CallServerStream(t.Context(), req)
	if err != nil {
		return "", err
	}
	defer stream.Close()
	for stream.Receive() {
	}
	return stream.ResponseHeader().Get(principalHdr), stream.Err()
}

func expectUnauthenticated(t *testing.T, err error, wantMsg string, invalidToken bool) {
	t.Helper()
	if connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("err = %v, want unauthenticated", err)
	}
	var cerr *connect.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("not a connect error: %v", err)
	}
	if !strings.Contains(cerr.Message(), wantMsg) {
		t.Fatalf("message = %q, want it to contain %q", cerr.Message(), wantMsg)
	}
	challenge := cerr.Meta().Get("WWW-Authenticate")
	if !strings.HasPrefix(challenge, "Bearer") {
		t.Fatalf("WWW-Authenticate = %q", challenge)
	}
	if got := strings.Contains(challenge, `error="invalid_token"`); got != invalidToken {
		t.Fatalf("WWW-Authenticate = %q, invalid_token expected: %v", challenge, invalidToken)
	}
}

func TestInterceptorUnary(t *testing.T) {
	s := startService(t, DirectResolver())
	user := domain.NewID()
	tok := mint(t, s.issuer, user, domain.RoleListener, domain.RoleArtist)

	t.Run("no token", func(t *testing.T) {
		_, err := s.callUnary(t, privateProc, "")
		expectUnauthenticated(t, err, "missing bearer token", false)
	})
	t.Run("wrong scheme", func(t *testing.T) {
		_, err := s.callUnary(t, privateProc, "Basic dXNlcjpwYXNz")
		expectUnauthenticated(t, err, "Bearer", false)
	})
	t.Run("bad token", func(t *testing.T) {
		_, err := s.callUnary(t, privateProc, "Bearer not.a.token")
		expectUnauthenticated(t, err, msgMalformed, true)
	})
	t.Run("forged token", func(t *testing.T) {
		_, err := s.callUnary(t, privateProc, "Bearer "+forge(t, s.issuer, user))
		expectUnauthenticated(t, err, msgSignature, true)
	})
	t.Run("good token", func(t *testing.T) {
		res, err := s.callUnary(t, privateProc, "Bearer "+tok)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Header().Get(principalHdr), user+":listener,artist"; got != want {
			t.Fatalf("handler saw %q, want %q", got, want)
		}
	})
	t.Run("scheme is case-insensitive", func(t *testing.T) {
		if _, err := s.callUnary(t, privateProc, "bearer "+tok); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("public without token", func(t *testing.T) {
		res, err := s.callUnary(t, publicProc, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Header().Get(principalHdr); got != "none" {
			t.Fatalf("handler saw %q on a public procedure", got)
		}
	})
	t.Run("public with bad token", func(t *testing.T) {
		if _, err := s.callUnary(t, publicProc, "Bearer garbage"); err != nil {
			t.Fatalf("public procedure judged the token: %v", err)
		}
	})
	t.Run("subject not a local user", func(t *testing.T) {
		c := claimsLike(s.issuer, "someone@external")
		_, err := s.callUnary(t, privateProc, "Bearer "+signWith(t, s.issuer, c))
		expectUnauthenticated(t, err, "not a Backbeat user id", true)
	})
}

func TestInterceptorStreaming(t *testing.T) {
	s := startService(t, DirectResolver())
	user := domain.NewID()

	_, err := s.callStream(t, "")
	if connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("no token: err = %v", err)
	}
	_, err = s.callStream(t, "Bearer "+forge(t, s.issuer, user))
	if connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("forged token: err = %v", err)
	}
	got, err := s.callStream(t, "Bearer "+mint(t, s.issuer, user, domain.RoleAdmin))
	if err != nil {
		t.Fatal(err)
	}
	if want := user + ":admin"; got != want {
		t.Fatalf("handler saw %q, want %q", got, want)
	}
}

func TestInterceptorResolver(t *testing.T) {
	var (
		mu   sync.Mutex
		seen Identity
	)
	s := startService(t, ResolverFunc(func(_ context.Context, id Identity) (domain.Principal, error) {
		mu.Lock()
		seen = id
		mu.Unlock()
		if id.Subject == "banned" {
			return domain.Principal{}, domain.PermissionDenied("account suspended")
		}
		if id.Subject == "gone" {
			return domain.Principal{}, &domain.Error{Kind: domain.KindUnauthenticated, Msg: "account deleted", Err: errors.New("row 42 in shard 7")}
		}
		return domain.Principal{UserID: "local-" + id.Subject, Roles: []domain.Role{domain.RoleListener}}, nil
	}))

	res, err := s.callUnary(t, privateProc, "Bearer "+mint(t, s.issuer, "ext-1", domain.RoleAdmin))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Header().Get(principalHdr); got != "local-ext-1:listener" {
		t.Fatalf("handler saw %q; the resolver's principal must win over the token's roles", got)
	}
	mu.Lock()
	got := seen
	mu.Unlock()
	if got.Subject != "ext-1" || !slices.Equal(got.Roles, []domain.Role{domain.RoleAdmin}) {
		t.Fatalf("resolver got %+v", got)
	}

	_, err = s.callUnary(t, privateProc, "Bearer "+mint(t, s.issuer, "banned"))
	if connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("resolver's permission error became %v", err)
	}

	_, err = s.callUnary(t, privateProc, "Bearer "+mint(t, s.issuer, "gone"))
	expectUnauthenticated(t, err, "account deleted", true)
	if strings.Contains(err.Error(), "shard") {
		t.Fatalf("resolver's internal cause reached the client: %v", err)
	}
}

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   string
		ok     bool
	}{
		{nil, "", false},
		{[]string{"Bearer abc"}, "abc", true},
		{[]string{"BEARER  abc "}, "abc", true},
		{[]string{"Bearer"}, "", false},
		{[]string{"Bearer "}, "", false},
		{[]string{"Token abc"}, "", false},
		{[]string{"Bearer a", "Bearer b"}, "", false},
	} {
		h := http.Header{}
		for _, v := range tc.values {
			h.Add("Authorization", v)
		}
		got, err := bearerToken(h)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%q: got %q, %v", tc.values, got, err)
		}
		if err != nil && !domain.IsKind(err, domain.KindUnauthenticated) {
			t.Errorf("%q: kind %v", tc.values, domain.KindOf(err))
		}
	}
}

func TestPrincipalContext(t *testing.T) {
	if _, ok := PrincipalFrom(context.Background()); ok {
		t.Fatal("principal in an empty context")
	}
	p := domain.Principal{UserID: domain.NewID(), Roles: []domain.Role{domain.RoleAdmin}}
	got, ok := PrincipalFrom(WithPrincipal(context.Background(), p))
	if !ok || got.UserID != p.UserID || !got.IsAdmin() {
		t.Fatalf("got %+v, %v", got, ok)
	}
}
