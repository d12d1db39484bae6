package app_test

import (
	"context"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// testConfig is a quiet server on a free loopback port in dir.
func testConfig(dir string) app.Config {
	c := app.Defaults()
	// The admin listener's default port is fixed: parallel tests (and other
	// servers on the machine) would collide on it.
	c.DataDir, c.Addr, c.AdminAddr = dir, "127.0.0.1:0", "127.0.0.1:0"
	c.Media.Workers, c.Media.JobAckWait = 0, time.Second
	c.Logger = slog.New(slog.DiscardHandler)
	return c
}

// serve runs s until the returned stop is called, which waits for Serve
// to return and closes s.
func serve(t *testing.T, s *app.Server) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
}

// TestRestartInProcess closes a server and opens another on the same data
// directory: Close released the store and the broker's files, and what the
// first wrote is there for the second.
func TestRestartInProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i := range 2 {
		s, err := app.New(context.Background(), testConfig(dir))
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		stop := serve(t, s)
		c := apptest.NewAPI(apptest.HTTP1Client(), s.URL(), "")
		ctx := apptest.Context(t)
		if i == 0 {
			_, err = c.Users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{Username: "alice", Email: "alice@example.com", Password: apptest.Password}))
			apptest.MustOK(t, "Register", err)
		} else {
			_, err = c.Users.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Login: "alice", Password: apptest.Password}))
			apptest.MustOK(t, "Login after restart", err)
		}
		stop()
	}
}

// TestCloseWithoutServe releases the port and everything else even when
// the server never served, and a second Close is harmless.
func TestCloseWithoutServe(t *testing.T) {
	t.Parallel()
	s, err := app.New(context.Background(), testConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	addr := s.Addr().String()
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || s.TLS() {
		t.Fatalf("URL %q, TLS %v; want http on the bound loopback address", s.URL(), s.TLS())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port %s still bound after Close: %v", addr, err)
	}
	ln.Close()
}

// TestGivenListener serves on a listener the caller holds, and the public
// URL follows the configured one.
func TestGivenListener(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := testConfig(t.TempDir())
	c.Addr, c.Listener = "", ln
	c.PublicURL = "http://" + ln.Addr().String() + "/"
	s, err := app.New(context.Background(), c)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	defer serve(t, s)()
	if s.Addr().String() != ln.Addr().String() || s.URL() != "http://"+ln.Addr().String() {
		t.Fatalf("addr %s, URL %s; want the given listener's, without the trailing slash", s.Addr(), s.URL())
	}
	res, err := apptest.HTTP1Client().Get(s.URL() + "/.well-known/openid-configuration")
	apptest.MustOK(t, "discovery", err)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("discovery: %d", res.StatusCode)
	}
}

// TestNoLeaks starts and stops a server and checks the goroutines it ran
// are gone: a test process can run many.
func TestNoLeaks(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	before := runtime.NumGoroutine()
	s, err := app.New(context.Background(), testConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	stop := serve(t, s)
	res, err := apptest.H2CClient().Get(s.URL() + "/.well-known/jwks.json")
	apptest.MustOK(t, "jwks", err)
	res.Body.Close()
	stop()
	// Goroutines end shortly after Close returns (a closed connection's
	// reader notices); wait for that rather than for a fixed time.
	var stacks string
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%d goroutines before, %d after closing the server:\n%s", before, runtime.NumGoroutine(), stacks)
}
