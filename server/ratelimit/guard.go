package ratelimit

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
)

// Procedures names the RPCs the guard treats specially; the wiring fills it
// from the generated service descriptions.
type Procedures struct {
	// SignIn is the strict class, budgeted per client address.
	SignIn []string
	// Login is the procedure whose failures grow delays; LoginName reads the
	// login name from its request message.
	Login     string
	LoginName func(msg any) string
	// PasswordCheck is ChangePassword: it checks the current password, so
	// its failures (permission_denied) grow the account's delay as failed
	// logins do; a stolen access token must not become a password oracle.
	PasswordCheck string
	// Plays is ReportPlayback, budgeted apart from the writes.
	Plays string
	// Searches are bounded by Config.Searches in flight.
	Searches []string
	// UploadURL is refused while the transcode backlog is over its bound.
	UploadURL string
}

// Deps are what the guard reads from the rest of the server.
type Deps struct {
	Logger *slog.Logger
	// UserID is the authenticated caller's id ("" for none).
	UserID func(ctx context.Context) string
	// IsUpload tells an upload body's request.
	IsUpload func(r *http.Request) bool
	// WrongPassword tells a PasswordCheck call refused for its password
	// (the account interceptor sits inside the error conversion, so it sees
	// the domain's errors, not codes).
	WrongPassword func(err error) bool
	// Backlog counts waiting transcode jobs.
	Backlog func(ctx context.Context) (int, error)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Refused, when set, is told of every refusal: "rate_limited" for a
	// spent budget, "overloaded" for shed load (metrics count them).
	Refused func(reason string)
}

// Guard holds one replica's tables and hands out the middleware and
// interceptors that consult them.
type Guard struct {
	enabled  bool
	proxies  Proxies
	procs    Procedures
	deps     Deps
	log      *slog.Logger
	signIn   map[string]bool
	searches map[string]bool

	address, signInRate, writes, plays *Buckets
	accountFails, addressFails         *Failures
	hashes, searchSlots, uploads       *Slots
	backlog                            backlogCache
	held                               atomic.Int64
}

// TarpitHold is how long a request refused for a spent budget (per address,
// sign-in) is held before its answer, and MaxHeld how many are held at once.
// A client that honours the retry delay waits longer than this anyway; a
// flood that sends its next request as soon as the last is answered is
// slowed to a few requests a second per connection, instead of thousands of
// refusals a second taking the cores from everyone else. Past MaxHeld (a
// few MB of goroutines) refusals are answered at once: holding must not
// become a queue of its own.
const (
	TarpitHold = 500 * time.Millisecond
	MaxHeld    = 512
)

// tarpit holds a refused request for TarpitHold, if fewer than MaxHeld are
// held already.
func (g *Guard) tarpit(ctx context.Context) {
	if g.held.Add(1) > MaxHeld {
		g.held.Add(-1)
		return
	}
	defer g.held.Add(-1)
	t := time.NewTimer(TarpitHold)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// New builds a guard; an invalid TrustedProxies entry is an error.
func New(cfg Config, procs Procedures, deps Deps) (*Guard, error) {
	proxies, err := ParseProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	g := &Guard{
		enabled: cfg.Enabled, proxies: proxies, procs: procs, deps: deps, log: deps.Logger,
		signIn: set(procs.SignIn), searches: set(procs.Searches),
	}
	if !cfg.Enabled {
		return g, nil
	}
	g.address = NewBuckets(cfg.Address, cfg.MaxKeys, deps.Now)
	g.signInRate = NewBuckets(cfg.SignIn, cfg.MaxKeys, deps.Now)
	g.writes = NewBuckets(cfg.Writes, cfg.MaxKeys, deps.Now)
	g.plays = NewBuckets(cfg.Plays, cfg.MaxKeys, deps.Now)
	g.accountFails = NewFailures(cfg.LoginAccount, cfg.MaxKeys, deps.Now)
	g.addressFails = NewFailures(cfg.LoginAddress, cfg.MaxKeys, deps.Now)
	g.hashes = NewSlots(cfg.Hashes, HashWait)
	g.searchSlots = NewSlots(cfg.Searches, SearchWait)
	g.uploads = NewSlots(cfg.Uploads, 0)
	g.backlog = backlogCache{max: cfg.TranscodeBacklog, count: deps.Backlog, now: deps.Now}
	if g.backlog.now == nil {
		g.backlog.now = time.Now
	}
	return g, nil
}

func set(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}

// HashSlots bounds password hashing (nil, unbounded, when disabled); the
// wiring wraps the password port with it (see LimitedHash).
func (g *Guard) HashSlots() *Slots { return g.hashes }

// Middleware budgets every request per client address before anything
// reads its body or checks its token, bounds upload bodies in flight, and
// records the client address for the interceptors and the logs.
func (g *Guard) Middleware(next http.Handler) http.Handler {
	errw := connect.NewErrorWriter()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := AddrKey(g.proxies.ClientAddr(r))
		ctx := WithAddr(r.Context(), key)
		if g.enabled {
			if ok, wait := g.address.Take(key); !ok {
				g.tarpit(ctx)
				writeRefusal(errw, w, r, g.limited("too many requests from this address", wait))
				return
			}
			if g.deps.IsUpload != nil && g.deps.IsUpload(r) {
				release, ok := g.uploads.Acquire(ctx)
				if !ok {
					writeRefusal(errw, w, r, g.overloaded("too many uploads in progress", UploadRetry))
					return
				}
				defer release()
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// maxLoginKey bounds a login name kept as a key (the longest valid login
// is an email of 320 bytes): the interceptor runs before validation.
const maxLoginKey = 320

func loginKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > maxLoginKey {
		s = s[:maxLoginKey]
	}
	return s
}

// SignIn is the interceptor for the public procedures; it goes outside
// the error conversion, so it sees the codes clients see. It budgets the
// strict class per address and, for Login, refuses an account or address
// still blocked after failed attempts before any password hash is
// computed. Every failed login is logged at info with the client address.
func (g *Guard) SignIn() connect.Interceptor {
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			proc := req.Spec().Procedure
			addr := AddrFrom(ctx)
			if g.enabled && g.signIn[proc] {
				if ok, wait := g.signInRate.Take(addr); !ok {
					g.tarpit(ctx)
					return nil, g.limited("too many sign-in requests from this address", wait)
				}
			}
			if proc != g.procs.Login || g.procs.LoginName == nil {
				return next(ctx, req)
			}
			name := loginKey(g.procs.LoginName(req.Any()))
			if g.enabled {
				if wait := max(g.accountFails.Blocked(name), g.addressFails.Blocked(addr)); wait > 0 {
					// Debug: a flood of refusals must not become a flood of
					// log lines; the failures that caused the block were logged.
					g.log.DebugContext(ctx, "login refused after failed attempts", "client_addr", addr, "login", name, "retry_in", roundUp(wait))
					return nil, g.limited("too many failed sign-ins", wait)
				}
			}
			resp, err := next(ctx, req)
			switch {
			case err == nil:
				g.accountFails.Reset(name)
			case connect.CodeOf(err) == connect.CodeUnauthenticated:
				next := max(g.accountFails.Fail(name), g.addressFails.Fail(addr))
				g.log.InfoContext(ctx, "login failed", "client_addr", addr, "login", name, "blocked_for", next)
			}
			return resp, err
		}
	})
}

// Account is the interceptor after authentication: each account's budget
// for writes and for ReportPlayback, the bound on searches in flight, and
// the transcode backlog's bound on new upload URLs.
func (g *Guard) Account() connect.Interceptor {
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		if !g.enabled {
			return next
		}
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			spec := req.Spec()
			uid := g.userID(ctx)
			if uid != "" && spec.Procedure == g.procs.PasswordCheck {
				return g.checkPassword(ctx, uid, req, next)
			}
			if uid != "" {
				switch {
				case spec.Procedure == g.procs.Plays:
					if ok, wait := g.plays.Take(uid); !ok {
						return nil, g.limited("too many playback reports from this account", wait)
					}
				case spec.IdempotencyLevel != connect.IdempotencyNoSideEffects:
					if ok, wait := g.writes.Take(uid); !ok {
						return nil, g.limited("too many changes from this account", wait)
					}
				}
			}
			if spec.Procedure == g.procs.UploadURL {
				if n, over := g.backlog.over(ctx); over {
					g.log.WarnContext(ctx, "upload URL refused: transcode backlog full", "backlog", n)
					return nil, g.overloaded("too many uploads waiting to be transcoded", BacklogRetry)
				}
			}
			if g.searches[spec.Procedure] {
				release, ok := g.searchSlots.Acquire(ctx)
				if !ok {
					return nil, g.overloaded("too many searches in progress", RetryAfter)
				}
				defer release()
			}
			return next(ctx, req)
		}
	})
}

// checkPassword guards a call that checks the caller's current password:
// refused while the account is blocked after failures, and a wrong password
// counts as a failed login of the account (keyed by user id, which a login
// name cannot take) and is logged like one. It also spends the write budget.
func (g *Guard) checkPassword(ctx context.Context, uid string, req connect.AnyRequest, next connect.UnaryFunc) (connect.AnyResponse, error) {
	key := "user:" + uid
	if wait := g.accountFails.Blocked(key); wait > 0 {
		return nil, g.limited("too many wrong passwords", wait)
	}
	if ok, wait := g.writes.Take(uid); !ok {
		return nil, g.limited("too many changes from this account", wait)
	}
	resp, err := next(ctx, req)
	switch {
	case err == nil:
		g.accountFails.Reset(key)
	case g.deps.WrongPassword != nil && g.deps.WrongPassword(err):
		blocked := g.accountFails.Fail(key)
		g.log.InfoContext(ctx, "password check failed", "client_addr", AddrFrom(ctx), "user_id", uid, "blocked_for", blocked)
	}
	return resp, err
}

func (g *Guard) userID(ctx context.Context) string {
	if g.deps.UserID == nil {
		return ""
	}
	return g.deps.UserID(ctx)
}

// backlogCache reads the transcode backlog at most once a second: the
// count is a broker round trip, and a second-old figure is good enough to
// shed load.
type backlogCache struct {
	max   int
	count func(ctx context.Context) (int, error)
	now   func() time.Time

	mu   sync.Mutex
	n    int
	read time.Time
}

func (b *backlogCache) over(ctx context.Context) (int, bool) {
	if b.max <= 0 || b.count == nil {
		return 0, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if now := b.now(); now.Sub(b.read) >= time.Second {
		n, err := b.count(ctx)
		if err != nil {
			// Unknown backlog: let the upload through rather than refuse
			// every upload while the broker hiccups.
			return 0, false
		}
		b.n, b.read = n, now
	}
	return b.n, b.n >= b.max
}

// limited is Limited, counted.
func (g *Guard) limited(msg string, wait time.Duration) *connect.Error {
	g.refused("rate_limited")
	return Limited(msg, wait)
}

// overloaded is Overloaded, counted.
func (g *Guard) overloaded(msg string, wait time.Duration) *connect.Error {
	g.refused("overloaded")
	return Overloaded(msg, wait)
}

func (g *Guard) refused(reason string) {
	if g.deps.Refused != nil {
		g.deps.Refused(reason)
	}
}
