package e2e

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/ratelimit"
)

// fromAddr is a Connect client whose connections leave from the loopback
// address ip (all of 127.0.0.0/8 is this machine on Linux), so one test can
// be several client addresses. Each call gets a fresh connection pool only
// if the caller makes a new client.
func fromAddr(s *server, ip string) apptest.API {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	return apptest.NewAPI(hc, s.URL(), "")
}

// signIn logs in as a well-behaved client does: a busy answer is retried
// after the delay it names. It returns how long the sign-in took.
func signIn(ctx context.Context, t *testing.T, api apptest.API, login, password string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		_, err := api.Users.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Login: login, Password: password}))
		if err == nil {
			return time.Since(start)
		}
		d, ok := ratelimit.RetryDelay(err)
		if connect.CodeOf(err) != connect.CodeUnavailable || !ok || time.Since(start) > 30*time.Second {
			t.Fatalf("login %s: %v", login, err)
		}
		time.Sleep(d)
	}
}

// TestLoginFloodIsRefused floods Login from 64 connections of one address
// against the real binary with its default limits: the flood is refused
// with resource_exhausted and RetryInfo, while another user at another
// address signs in within a normal time, during the flood and after it.
// Without the limiter every flood request runs a password hash, and the
// other user's sign-in took 2.5-7.6 s.
func TestLoginFloodIsRefused(t *testing.T) {
	s := startServer(t, t.TempDir(), "--rate-limit=true")
	ctx := apptest.Context(t)
	other := fromAddr(s, "127.0.0.2")
	if _, err := other.Users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{
		Username: "calm", Email: "calm@example.com", Password: apptest.Password,
	})); err != nil {
		t.Fatal(err)
	}

	const conns = 64
	floodCtx, stop := context.WithTimeout(ctx, 6*time.Second)
	defer stop()
	var (
		refused, withRetry, hashed atomic.Int64
		wg                         sync.WaitGroup
	)
	for range conns {
		wg.Go(func() {
			api := fromAddr(s, "127.0.0.1") // its own connection
			for floodCtx.Err() == nil {
				_, err := api.Users.Login(floodCtx, connect.NewRequest(&userv1.LoginRequest{Login: "flooder", Password: "guess"}))
				switch connect.CodeOf(err) {
				case connect.CodeResourceExhausted:
					refused.Add(1)
					if d, ok := ratelimit.RetryDelay(err); ok && d > 0 {
						withRetry.Add(1)
					}
				case connect.CodeUnauthenticated:
					hashed.Add(1)
				}
			}
		})
	}
	var during []time.Duration
	for range 3 {
		time.Sleep(time.Second)
		during = append(during, signIn(ctx, t, other, "calm", apptest.Password))
	}
	wg.Wait()
	after := signIn(ctx, t, other, "calm", apptest.Password)
	t.Logf("flood: %d refused (%d with RetryInfo), %d reached the password check; other user's sign-ins during: %v, after: %s",
		refused.Load(), withRetry.Load(), hashed.Load(), during, after)
	if refused.Load() == 0 || withRetry.Load() != refused.Load() {
		t.Fatalf("flood of %d connections: %d refused, %d of them with RetryInfo; want refusals, each with RetryInfo", conns, refused.Load(), withRetry.Load())
	}
	// Generous: an unloaded sign-in takes ~50 ms; under the unlimited flood
	// it took 2.5-7.6 s.
	for _, d := range append(during, after) {
		if d > 2*time.Second {
			t.Fatalf("other user's sign-ins took %v during and %s after the flood; want each under 2s", during, after)
		}
	}
}

// TestFailedLoginsDelayGrows sends 50 wrong passwords in a row: after the
// free ones every attempt is refused (the right password too) until a delay
// passes, and the next failure doubles it. Failures are logged at info
// with the client address. The per-address sign-in budget is lifted so
// only the failure delays answer (the flood test covers the budget).
func TestFailedLoginsDelayGrows(t *testing.T) {
	s := startServer(t, t.TempDir(), "--rate-limit=true", "--rate-limit-sign-in", "0")
	ctx := apptest.Context(t)
	api := fromAddr(s, "127.0.0.3")
	if _, err := api.Users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{
		Username: "target", Email: "target@example.com", Password: apptest.Password,
	})); err != nil {
		t.Fatal(err)
	}
	login := func(pw string) error {
		_, err := api.Users.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Login: "target", Password: pw}))
		return err
	}
	var unauth, limited int
	var firstDelay time.Duration
	for range 50 {
		err := login("wrong password")
		switch connect.CodeOf(err) {
		case connect.CodeUnauthenticated:
			if limited > 0 {
				t.Fatal("a wrong password was checked again while the account was blocked")
			}
			unauth++
		case connect.CodeResourceExhausted:
			d, ok := ratelimit.RetryDelay(err)
			if !ok || d <= 0 {
				t.Fatalf("refusal without RetryInfo: %v", err)
			}
			if limited == 0 {
				firstDelay = d
			}
			limited++
		default:
			t.Fatalf("wrong password: %v", err)
		}
	}
	if unauth == 0 || unauth > 10 || limited == 0 {
		t.Fatalf("50 wrong passwords: %d checked, %d refused; want a few checked, the rest refused", unauth, limited)
	}
	err := login(apptest.Password)
	if connect.CodeOf(err) != connect.CodeResourceExhausted {
		t.Fatalf("right password while blocked: %v; want resource_exhausted", err)
	}
	time.Sleep(firstDelay)
	if err := login("wrong once more"); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("a wrong password after the delay: %v; want unauthenticated", err)
	}
	err = login(apptest.Password)
	second, ok := ratelimit.RetryDelay(err)
	if connect.CodeOf(err) != connect.CodeResourceExhausted || !ok || second <= firstDelay {
		t.Fatalf("right password after one more failure: %v (delay %s); want resource_exhausted with a delay over %s", err, second, firstDelay)
	}
	time.Sleep(second)
	if err := login(apptest.Password); err != nil {
		t.Fatalf("right password after the delay: %v", err)
	}
	var line string
	for _, l := range strings.Split(s.logs.String(), "\n") {
		if strings.Contains(l, `msg="login failed"`) {
			line = l
			break
		}
	}
	if !strings.Contains(line, "level=INFO") || !strings.Contains(line, "client_addr=127.0.0.3") || strings.Contains(line, "wrong password") {
		t.Fatalf("failed login logged as %q; want info with client_addr=127.0.0.3 and no password", line)
	}
}
