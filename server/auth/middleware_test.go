package auth

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/backbeat/backbeat/server/domain"
)

// recordingBody fails the test's expectations by being read: it records
// whether anything read from it.
type recordingBody struct {
	read atomic.Bool
	r    io.Reader
}

func (b *recordingBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.r.Read(p)
}

func (b *recordingBody) Close() error { return nil }

// guardedHandler is a real connect handler behind the middleware and the
// interceptor, as the server wires them; calls counts how often its
// function ran and who it saw.
func guardedHandler(t *testing.T) (http.Handler, *Issuer, *atomic.Int32, *atomic.Value) {
	t.Helper()
	iss := newTestIssuer(t, IssuerConfig{})
	v := newTestVerifier(t, iss.VerifierConfig())
	var calls atomic.Int32
	var seen atomic.Value
	echo := func(ctx context.Context, _ *connect.Request[emptypb.Empty]) (*connect.Response[emptypb.Empty], error) {
		calls.Add(1)
		seen.Store(describe(ctx))
		return connect.NewResponse(&emptypb.Empty{}), nil
	}
	opts := connect.WithInterceptors(mapErrors(), NewInterceptor(v, DirectResolver(), []string{publicProc}))
	mux := http.NewServeMux()
	mux.Handle(privateProc, connect.NewUnaryHandler(privateProc, echo, opts))
	mux.Handle(publicProc, connect.NewUnaryHandler(publicProc, echo, opts))
	return NewMiddleware(v, []string{publicProc}, mux), iss, &calls, &seen
}

// TestMiddlewareRefusesBeforeReadingBody: an anonymous or forged request to
// a protected procedure is answered from its headers; its body, which could
// be a decompression bomb, is never read. Before the middleware the
// interceptor ran after connect had read and decompressed the body.
func TestMiddlewareRefusesBeforeReadingBody(t *testing.T) {
	h, _, calls, _ := guardedHandler(t)
	protocols := []struct {
		name, contentType string
		header            map[string]string
		wantStatus        int
		code              func(*httptest.ResponseRecorder) string
	}{
		{"connect", "application/json", map[string]string{"Connect-Protocol-Version": "1"}, http.StatusUnauthorized,
			func(rec *httptest.ResponseRecorder) string { return rec.Body.String() }},
		{"grpc", "application/grpc", nil, http.StatusOK,
			func(rec *httptest.ResponseRecorder) string { return rec.Header().Get("Grpc-Status") }},
		{"grpc-web", "application/grpc-web+proto", nil, http.StatusOK,
			func(rec *httptest.ResponseRecorder) string { return rec.Header().Get("Grpc-Status") }},
	}
	for _, p := range protocols {
		for _, authz := range []string{"", "Bearer not-a-jwt"} {
			t.Run(p.name+"/"+authz, func(t *testing.T) {
				body := &recordingBody{r: strings.NewReader(strings.Repeat("x", 1<<20))}
				req := httptest.NewRequest(http.MethodPost, privateProc, body)
				req.Header.Set("Content-Type", p.contentType)
				req.Header.Set("Content-Encoding", "gzip")
				for k, v := range p.header {
					req.Header.Set(k, v)
				}
				if authz != "" {
					req.Header.Set("Authorization", authz)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if body.read.Load() {
					t.Error("the body of an unauthenticated request was read")
				}
				if rec.Code != p.wantStatus {
					t.Errorf("status %d, want %d", rec.Code, p.wantStatus)
				}
				got := p.code(rec)
				if p.name == "connect" && !strings.Contains(got, `"code":"unauthenticated"`) {
					t.Errorf("connect error body %q, want code unauthenticated", got)
				}
				if p.name != "connect" && got != "16" { // gRPC's UNAUTHENTICATED
					t.Errorf("grpc-status %q, want 16", got)
				}
				if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate %q, want a Bearer challenge", rec.Header().Get("WWW-Authenticate"))
				}
			})
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("handler ran %d times for unauthenticated requests", n)
	}
}

// TestMiddlewarePassesIdentity: a valid token reaches the handler with its
// principal, and a public procedure needs none.
func TestMiddlewarePassesIdentity(t *testing.T) {
	h, iss, calls, seen := guardedHandler(t)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	user := domain.NewID()

	c := connect.NewClient[emptypb.Empty, emptypb.Empty](srv.Client(), srv.URL+privateProc)
	req := connect.NewRequest(&emptypb.Empty{})
	req.Header().Set("Authorization", "Bearer "+mint(t, iss, user))
	if _, err := c.CallUnary(context.Background(), req); err != nil {
		t.Fatalf("call with a valid token: %v", err)
	}
	if got := seen.Load(); got != user+":" {
		t.Errorf("handler saw principal %v, want %s", got, user)
	}

	pub := connect.NewClient[emptypb.Empty, emptypb.Empty](srv.Client(), srv.URL+publicProc)
	if _, err := pub.CallUnary(context.Background(), connect.NewRequest(&emptypb.Empty{})); err != nil {
		t.Fatalf("public call without a token: %v", err)
	}
	if got := seen.Load(); got != "none" {
		t.Errorf("public handler saw principal %v, want none", got)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("handler ran %d times, want 2", n)
	}
}
