package ratelimit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"
)

// TestSearchesBounded: with every search slot taken, the next search is
// refused quickly with unavailable and RetryInfo instead of queueing; a
// procedure outside the class is not held up.
func TestSearchesBounded(t *testing.T) {
	const search, other = "/test.Svc/Search", "/test.Svc/Other"
	g, err := New(Config{Enabled: true, Searches: 1}, Procedures{Searches: []string{search}}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	inside, release := make(chan struct{}, 1), make(chan struct{})
	slow := func(ctx context.Context, _ *connect.Request[emptypb.Empty]) (*connect.Response[emptypb.Empty], error) {
		inside <- struct{}{}
		<-release
		return connect.NewResponse(&emptypb.Empty{}), nil
	}
	fast := func(context.Context, *connect.Request[emptypb.Empty]) (*connect.Response[emptypb.Empty], error) {
		return connect.NewResponse(&emptypb.Empty{}), nil
	}
	mux := http.NewServeMux()
	mux.Handle(search, connect.NewUnaryHandler(search, slow, connect.WithInterceptors(g.Account())))
	mux.Handle(other, connect.NewUnaryHandler(other, fast, connect.WithInterceptors(g.Account())))
	srv := httptest.NewServer(g.Middleware(mux))
	defer srv.Close()
	call := func(proc string) error {
		_, err := connect.NewClient[emptypb.Empty, emptypb.Empty](srv.Client(), srv.URL+proc).CallUnary(context.Background(), connect.NewRequest(&emptypb.Empty{}))
		return err
	}
	first := make(chan error, 1)
	go func() { first <- call(search) }()
	<-inside
	start := time.Now()
	err = call(search)
	if connect.CodeOf(err) != connect.CodeUnavailable {
		t.Fatalf("second search with the only slot taken: %v; want unavailable", err)
	}
	if d, ok := RetryDelay(err); !ok || d <= 0 {
		t.Fatalf("refusal %v has no RetryInfo", err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Fatalf("refused after %s; want about SearchWait", waited)
	}
	if err := call(other); err != nil {
		t.Fatalf("another procedure while searches are full: %v", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first search: %v", err)
	}
}
