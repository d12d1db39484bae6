package app_test

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/ratelimit"
)

// startLimited runs a server with the limits on (apptest turns them off),
// from the defaults changed by configure.
func startLimited(t *testing.T, configure func(*ratelimit.Config)) *apptest.Server {
	t.Helper()
	return apptest.Start(t, func(c *app.Config) {
		c.RateLimit = app.RateLimitDefaults()
		if configure != nil {
			configure(&c.RateLimit)
		}
	})
}

// wantRefused fails unless err is a Connect error of code carrying a
// positive google.rpc.RetryInfo delay, which it returns.
func wantRefused(t *testing.T, what string, err error, code connect.Code) time.Duration {
	t.Helper()
	if connect.CodeOf(err) != code {
		t.Fatalf("%s: got %v (%v), want %v", what, connect.CodeOf(err), err, code)
	}
	d, ok := ratelimit.RetryDelay(err)
	if !ok || d <= 0 {
		t.Fatalf("%s: %v carries no RetryInfo delay", what, err)
	}
	return d
}

// forwardedFor sends every request as coming from addr through a trusted
// proxy (the test's loopback connection).
type forwardedFor string

func (a forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", string(a))
	return http.DefaultTransport.RoundTrip(r)
}

// TestRateLimitPerAddressEveryProtocol spends one address's budget in each
// protocol and checks the refusal is resource_exhausted with RetryInfo as
// that protocol carries it, before the token is even looked at; another
// address is not affected.
func TestRateLimitPerAddressEveryProtocol(t *testing.T) {
	s := startLimited(t, func(c *ratelimit.Config) {
		c.Address = ratelimit.Rate{Limit: 1, Per: time.Minute, Burst: 3}
		c.TrustedProxies = []string{"127.0.0.1"}
	})
	ctx := apptest.Context(t)
	for i, p := range apptest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			hc := p.HTTP()
			from := fmt.Sprintf("203.0.113.%d", i+1)
			if p.Name != "grpc" {
				hc.Transport = forwardedFor(from)
			} else {
				hc.Transport = &forwardingH2C{addr: from, next: hc.Transport}
			}
			api := apptest.NewAPI(hc, s.URL(), "not-a-token", p.Opts...)
			var err error
			for range 4 {
				_, err = api.Catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: "x"}))
				if connect.CodeOf(err) == connect.CodeResourceExhausted {
					break
				}
				apptest.WantCode(t, err, connect.CodeUnauthenticated)
			}
			wantRefused(t, "fourth call from one address", err, connect.CodeResourceExhausted)
		})
	}
	// The loopback address itself has its own, untouched budget.
	_, err := s.Anon().Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
	apptest.WantCode(t, err, connect.CodeUnauthenticated)
}

// forwardingH2C is forwardedFor over an h2c transport.
type forwardingH2C struct {
	addr string
	next http.RoundTripper
}

func (f *forwardingH2C) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.addr)
	return f.next.RoundTrip(r)
}

// TestRateLimitPlainHTTP429: a media URL past the address's budget is 429
// with Retry-After.
func TestRateLimitPlainHTTP429(t *testing.T) {
	s := startLimited(t, func(c *ratelimit.Config) { c.Address = ratelimit.Rate{Limit: 1, Per: time.Minute, Burst: 2} })
	var last *http.Response
	for range 3 {
		res, err := http.Get(s.URL() + "/media/s/token/track/media/file.m4s")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		last = res
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" || last.Header.Get("Retry-After") == "0" {
		t.Fatalf("third media request: %d, Retry-After %q; want 429 with a positive Retry-After", last.StatusCode, last.Header.Get("Retry-After"))
	}
}

// TestRateLimitSignInStrict: Login, Register and RefreshToken share a small
// budget per address; other RPCs are not counted in it.
func TestRateLimitSignInStrict(t *testing.T) {
	s := startLimited(t, func(c *ratelimit.Config) { c.SignIn = ratelimit.Rate{Limit: 3, Per: time.Minute} })
	ctx := apptest.Context(t)
	tok, _ := s.Register(t, "ana")
	res := s.Login(t, "ana", apptest.Password)
	_, err := s.Anon().Users.RefreshToken(ctx, connect.NewRequest(&userv1.RefreshTokenRequest{RefreshToken: res.Tokens.RefreshToken}))
	apptest.MustOK(t, "RefreshToken", err)
	_, err = s.Anon().Users.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Login: "ana", Password: apptest.Password}))
	wantRefused(t, "fourth sign-in call", err, connect.CodeResourceExhausted)
	_, err = s.Anon().Users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{Username: "bob", Email: "bob@example.com", Password: apptest.Password}))
	wantRefused(t, "register past the budget", err, connect.CodeResourceExhausted)
	_, err = s.As(tok).Users.GetMe(ctx, connect.NewRequest(&userv1.GetMeRequest{}))
	apptest.MustOK(t, "GetMe is not a sign-in call", err)
}

// TestFailedLoginsGrowingDelay: after the free failures an account is
// refused (right password too) before any hash, for a delay that grows;
// failures are logged at info with the client address; a success resets the
// account.
func TestFailedLoginsGrowingDelay(t *testing.T) {
	s := startLimited(t, func(c *ratelimit.Config) {
		c.LoginAccount = ratelimit.Backoff{Free: 3, Base: 300 * time.Millisecond, Max: 5 * time.Second, Forget: time.Hour}
	})
	ctx := apptest.Context(t)
	s.Register(t, "ana")
	s.Register(t, "bob")
	login := func(name, pw string) error {
		_, err := s.Anon().Users.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Login: name, Password: pw}))
		return err
	}
	for i := range 3 {
		apptest.WantCode(t, login("ana", fmt.Sprint("wrong", i)), connect.CodeUnauthenticated)
	}
	first := wantRefused(t, "login after 3 failures", login("ANA", apptest.Password), connect.CodeResourceExhausted)
	apptest.MustOK(t, "another account from the same address", login("bob", apptest.Password))
	time.Sleep(first)
	apptest.WantCode(t, login("ana", "wrong again"), connect.CodeUnauthenticated)
	second := wantRefused(t, "login after 4 failures", login("ana", apptest.Password), connect.CodeResourceExhausted)
	if second <= first {
		t.Fatalf("delays %s then %s; want growing", first, second)
	}
	time.Sleep(second)
	apptest.MustOK(t, "right password after the delay", login("ana", apptest.Password))
	apptest.WantCode(t, login("ana", "wrong after success"), connect.CodeUnauthenticated) // counter reset: not blocked

	logs := s.Logs.String()
	var found bool
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `msg="login failed"`) {
			found = true
			if !strings.Contains(line, "level=INFO") || !strings.Contains(line, "client_addr=127.0.0.1") || strings.Contains(line, "wrong") {
				t.Fatalf("failed login logged as %q; want info with client_addr and no password", line)
			}
		}
	}
	if !found {
		t.Fatalf("no failed login in the logs:\n%s", logs)
	}
}

// TestChangePasswordGuessesDelayed: a stolen access token is no password
// oracle. Wrong current passwords given to ChangePassword grow the account's
// delay as failed logins do, and the right one is refused while it runs;
// other accounts are untouched.
func TestChangePasswordGuessesDelayed(t *testing.T) {
	s := startLimited(t, func(c *ratelimit.Config) {
		c.LoginAccount = ratelimit.Backoff{Free: 3, Base: 300 * time.Millisecond, Max: 5 * time.Second, Forget: time.Hour}
	})
	ctx := apptest.Context(t)
	anaTok, _ := s.Register(t, "ana")
	bobTok, _ := s.Register(t, "bob")
	change := func(token, current string) error {
		_, err := s.As(token).Users.ChangePassword(ctx, connect.NewRequest(&userv1.ChangePasswordRequest{CurrentPassword: current, NewPassword: "a brand new passphrase"}))
		return err
	}
	for i := range 3 {
		apptest.WantCode(t, change(anaTok, fmt.Sprint("guess", i)), connect.CodePermissionDenied)
	}
	wait := wantRefused(t, "the right password after 3 wrong ones", change(anaTok, apptest.Password), connect.CodeResourceExhausted)
	apptest.WantCode(t, change(bobTok, "bob's own typo"), connect.CodePermissionDenied)
	time.Sleep(wait)
	apptest.MustOK(t, "the right password after the delay", change(anaTok, apptest.Password))
	if !strings.Contains(s.Logs.String(), `msg="password check failed"`) {
		t.Fatalf("wrong current passwords not logged:\n%s", s.Logs.String())
	}
}

// TestAccountBudgets: each account's writes and ReportPlayback calls are
// budgeted apart; reads and other accounts are untouched.
func TestAccountBudgets(t *testing.T) {
	s := startLimited(t, func(c *ratelimit.Config) {
		c.Writes = ratelimit.Rate{Limit: 2, Per: time.Minute}
		c.Plays = ratelimit.Rate{Limit: 2, Per: time.Minute}
	})
	ctx := apptest.Context(t)
	anaTok, _ := s.Register(t, "ana")
	bobTok, _ := s.Register(t, "bob")
	ana, bob := s.As(anaTok), s.As(bobTok)
	create := func(api apptest.API) error {
		_, err := api.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "mix"}}))
		return err
	}
	apptest.MustOK(t, "first write", create(ana))
	apptest.MustOK(t, "second write", create(ana))
	wantRefused(t, "third write", create(ana), connect.CodeResourceExhausted)
	apptest.MustOK(t, "another account's write", create(bob))
	_, err := ana.Playlists.ListPlaylists(ctx, connect.NewRequest(&playlistv1.ListPlaylistsRequest{}))
	apptest.MustOK(t, "a read past the write budget", err)

	report := func() error {
		_, err := ana.Playback.ReportPlayback(ctx, connect.NewRequest(&playbackv1.ReportPlaybackRequest{}))
		return err
	}
	for i := range 2 {
		if err := report(); connect.CodeOf(err) == connect.CodeResourceExhausted {
			t.Fatalf("report %d refused within the plays budget (the writes budget is spent, plays are apart): %v", i+1, err)
		}
	}
	wantRefused(t, "third report", report(), connect.CodeResourceExhausted)
}

// TestPasswordHashingBounded: a burst of registrations past the hashing
// slots gets quick unavailable answers with RetryInfo, not a queue.
func TestPasswordHashingBounded(t *testing.T) {
	s := startLimited(t, func(c *ratelimit.Config) { c.Hashes = 1 })
	ctx := apptest.Context(t)
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			api := apptest.NewAPI(apptest.HTTP1Client(), s.URL(), "")
			_, errs[i] = api.Users.Register(ctx, connect.NewRequest(&userv1.RegisterRequest{
				Username: fmt.Sprintf("user%02d", i), Email: fmt.Sprintf("user%02d@example.com", i), Password: apptest.Password,
			}))
		})
	}
	wg.Wait()
	var ok, busy int
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case connect.CodeOf(err) == connect.CodeUnavailable:
			wantRefused(t, "register while hashing is full", err, connect.CodeUnavailable)
			busy++
		default:
			t.Fatalf("register: %v", err)
		}
	}
	if ok == 0 || busy == 0 {
		t.Fatalf("%d registered, %d told busy; want some of each with one hashing slot and %d at once", ok, busy, n)
	}
}

// TestUploadsBoundedAndTranscodeBacklog: an upload body past the bound in
// flight is 503 with Retry-After; once the transcode backlog is at its
// bound, new upload URLs are unavailable with RetryInfo.
func TestUploadsBoundedAndTranscodeBacklog(t *testing.T) {
	s := startLimited(t, func(c *ratelimit.Config) {
		c.Uploads = 1
		c.TranscodeBacklog = 1
	})
	ctx := apptest.Context(t)
	tok, _ := s.RegisterAdmin(t, "root")
	root := s.As(tok)
	art, err := root.Catalog.CreateArtist(ctx, connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Band"}}))
	apptest.MustOK(t, "CreateArtist", err)
	newUpload := func(title string) (*url.URL, error) {
		trk, err := root.Catalog.CreateTrack(ctx, connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{Title: title, ArtistIds: []string{art.Msg.Artist.Id}}}))
		apptest.MustOK(t, "CreateTrack", err)
		up, err := root.Catalog.CreateTrackUpload(ctx, connect.NewRequest(&catalogv1.CreateTrackUploadRequest{TrackId: trk.Msg.Track.Id, SizeBytes: 1024}))
		if err != nil {
			return nil, err
		}
		return url.Parse(up.Msg.UploadUrl)
	}
	u1, err := newUpload("one")
	apptest.MustOK(t, "first upload URL", err)
	u2, err := newUpload("two")
	apptest.MustOK(t, "second upload URL", err)

	// A slow first upload holds the only slot: the server asks for its body
	// (100 Continue) only once the handler, past the guard, reads it.
	conn, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 1024\r\nExpect: 100-continue\r\n\r\n", u1.RequestURI(), s.Addr())
	br := bufio.NewReader(conn)
	cont, err := http.ReadResponse(br, nil)
	if err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf("first upload: no 100 Continue (%v, %v)", cont, err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, s.URL()+u2.RequestURI(), strings.NewReader(strings.Repeat("y", 1024)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("second upload while one is in flight: %d, Retry-After %q; want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	// Finish the first upload: its job waits (no workers here) and fills the backlog.
	fmt.Fprint(conn, strings.Repeat("x", 1024))
	first, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	first.Body.Close()
	if first.StatusCode >= 300 {
		t.Fatalf("first upload: %d", first.StatusCode)
	}
	var refused error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && refused == nil; {
		time.Sleep(300 * time.Millisecond) // the backlog figure is at most a second old
		if _, err := newUpload("three"); err != nil {
			refused = err
		}
	}
	wantRefused(t, "upload URL with the transcode backlog full", refused, connect.CodeUnavailable)
}

// TestRateLimitFlags: the limits are on by default, --rate-limit=false
// turns them off, and bad values are refused naming the flag.
func TestRateLimitFlags(t *testing.T) {
	c := app.Defaults()
	if !c.RateLimit.Enabled {
		t.Fatal("limits are off by default")
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.BindFlags(fs)
	if err := fs.Parse([]string{"--rate-limit=false", "--trusted-proxies", "10.0.0.0/8", "--precheck-timeout", "5s", "--max-counted-per-hour", "30"}); err != nil {
		t.Fatal(err)
	}
	if c.RateLimit.Enabled || len(c.RateLimit.TrustedProxies) != 1 || c.Media.PrecheckTimeout != 5*time.Second || c.MaxCountedPerHour != 30 {
		t.Fatalf("flags not applied: %+v, precheck %s, counted %d", c.RateLimit, c.Media.PrecheckTimeout, c.MaxCountedPerHour)
	}
	for _, tc := range []struct {
		change func(*app.Config)
		want   string
	}{
		{func(c *app.Config) { c.RateLimit.TrustedProxies = []string{"10.0.0.0/99"} }, "--trusted-proxies (BACKBEAT_TRUSTED_PROXIES)"},
		{func(c *app.Config) { c.RateLimit.SignIn.Limit = -1 }, "--rate-limit-sign-in (BACKBEAT_RATE_LIMIT_SIGN_IN)"},
		{func(c *app.Config) { c.RateLimit.Address.Burst = 0 }, "--rate-limit-address-burst (BACKBEAT_RATE_LIMIT_ADDRESS_BURST)"},
		{func(c *app.Config) { c.RateLimit.Hashes = -2 }, "--max-concurrent-hashes (BACKBEAT_MAX_CONCURRENT_HASHES)"},
		{func(c *app.Config) { c.RateLimit.LoginAccount.Max = 0 }, "--login-delay-max-account (BACKBEAT_LOGIN_DELAY_MAX_ACCOUNT)"},
		{func(c *app.Config) { c.Media.PrecheckTimeout = 0 }, "--precheck-timeout (BACKBEAT_PRECHECK_TIMEOUT)"},
		{func(c *app.Config) { c.MaxCountedPerHour = 0 }, "--max-counted-per-hour (BACKBEAT_MAX_COUNTED_PER_HOUR)"},
	} {
		c := app.Defaults()
		tc.change(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate: %v; want an error naming %s", err, tc.want)
		}
	}
}
