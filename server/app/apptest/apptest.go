// Package apptest runs the whole Backbeat server in the test's process: the
// real wiring of server/app over the embedded store in a temporary
// directory, the embedded broker and real HTTP/2 (h2c) on a loopback
// listener. A server starts in well under a second and everything it opened
// is released when the test ends, so the fast test tier covers what users
// rely on without a built binary.
package apptest

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app"
)

// Server is one in-process server.
type Server struct {
	*app.Server
	// DataDir holds its store and signing keys.
	DataDir string
	// Logs is everything it logged, at debug level.
	Logs *Logs
}

// Start runs a server for the test, configured from app.Defaults with a
// temporary data directory, a free loopback port, no transcode workers (no
// ffmpeg needed) and the given changes. It stops and releases everything
// when the test ends, and prints the server's logs if the test failed.
func Start(t testing.TB, configure ...func(*app.Config)) *Server {
	t.Helper()
	logs := &Logs{}
	cfg := app.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	cfg.AdminAddr = "127.0.0.1:0"
	cfg.Media.Workers = 0
	// The queue's consumers finish their current pull, up to the ack wait,
	// before Close returns; nothing here transcodes, so keep it short.
	cfg.Media.JobAckWait = time.Second
	// One loopback address stands for every user of a test here, so the
	// limits are off; the tests of the limits turn them on.
	cfg.RateLimit.Enabled = false
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, f := range configure {
		f(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := app.New(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("start server: %v\n%s", err, logs)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
		if t.Failed() {
			t.Logf("server logs:\n%s", logs)
		}
	})
	return &Server{Server: srv, DataDir: cfg.DataDir, Logs: logs}
}

// Logs collects a server's log output; it is safe for concurrent use.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Context is a context for a test's calls, ended with the test; the bound
// keeps a hung call from hanging the whole run.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// GrantAdmin makes the existing account username an admin as the operator
// does (backbeat admin grant): through app.OpenUsers on the server's data
// directory, while it runs. It signs the user in (password Password) and
// returns the access token once the server acts on the role: a change made
// outside the server reaches it within app.AccountCacheTTL.
func (s *Server) GrantAdmin(t testing.TB, username string) string {
	t.Helper()
	cfg := app.Defaults()
	cfg.DataDir = s.DataDir
	users, closeStore, err := app.OpenUsers(Context(t), cfg)
	if err != nil {
		t.Fatalf("open store to grant admin: %v", err)
	}
	_, _, err = users.OperatorSetAdmin(Context(t), username, true)
	if cerr := closeStore(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("grant admin to %s: %v", username, err)
	}
	tok := s.Login(t, username, Password).Tokens.AccessToken
	WaitAdmin(t, s.As(tok))
	return tok
}

// WaitAdmin waits until c's calls act as an admin's (ListUsers answers),
// for at most app.AccountCacheTTL and a margin for a loaded machine.
func WaitAdmin(t testing.TB, c API) {
	t.Helper()
	WaitCode(t, "waiting for the admin role to apply", 0, app.AccountCacheTTL+10*time.Second, func() error {
		_, err := c.Users.ListUsers(Context(t), connect.NewRequest(&userv1.ListUsersRequest{PageSize: 1}))
		return err
	})
}

// WaitCode calls call until it answers want (0: success), failing the test
// if it has not within bound, and returns how long that took: for changes
// that apply within a bound (another replica's account cache) rather than
// at once.
func WaitCode(t testing.TB, what string, want connect.Code, bound time.Duration, call func() error) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := call()
		if err == nil && want == 0 || err != nil && connect.CodeOf(err) == want {
			return time.Since(start)
		}
		if time.Since(start) > bound {
			t.Fatalf("%s: got %v after %v, want code %v", what, err, bound, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// RegisterAdmin registers username and makes it admin (GrantAdmin),
// returning an access token that acts as an admin's, and the user.
func (s *Server) RegisterAdmin(t testing.TB, username string) (string, *userv1.User) {
	t.Helper()
	_, u := s.Register(t, username)
	return s.GrantAdmin(t, username), u
}
