package ratelimit

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }
func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestBucketsBurstThenRefill(t *testing.T) {
	c := newClock()
	b := NewBuckets(Rate{Limit: 10, Per: time.Second, Burst: 3}, 0, c.now)
	for i := range 3 {
		if ok, _ := b.Take("a"); !ok {
			t.Fatalf("take %d of the burst refused", i)
		}
	}
	ok, wait := b.Take("a")
	if ok || wait != 100*time.Millisecond {
		t.Fatalf("fourth take: ok %v wait %s; want refused, retry in 100ms (one token at 10/s)", ok, wait)
	}
	if ok, _ := b.Take("b"); !ok {
		t.Fatal("another key shares a's bucket")
	}
	c.add(100 * time.Millisecond)
	if ok, _ := b.Take("a"); !ok {
		t.Fatal("no token back after the wait the refusal named")
	}
	if ok, _ := b.Take("a"); ok {
		t.Fatal("one refilled token gave two takes")
	}
}

func TestBucketsZeroLimitIsUnlimited(t *testing.T) {
	b := NewBuckets(Rate{}, 0, nil)
	for range 1000 {
		if ok, _ := b.Take("a"); !ok {
			t.Fatal("refused with no limit set")
		}
	}
}

func TestBucketsBoundedKeys(t *testing.T) {
	c := newClock()
	b := NewBuckets(Rate{Limit: 1, Per: time.Hour, Burst: 1}, 100, c.now)
	b.Take("victim") // spent: an active key
	for i := range 10_000 {
		c.add(time.Millisecond)
		b.Take(fmt.Sprint("k", i))
		if n := b.Len(); n > 100 {
			t.Fatalf("table holds %d keys after %d inserts; bound is 100", n, i+1)
		}
	}
}

func TestBucketsEvictIdleFirst(t *testing.T) {
	c := newClock()
	b := NewBuckets(Rate{Limit: 1, Per: time.Second, Burst: 1}, 4, c.now)
	b.Take("idle")
	c.add(time.Hour) // refilled: same as absent
	for _, k := range []string{"a", "b", "c"} {
		b.Take(k)
	}
	b.Take("d") // table full: the idle key goes, the spent ones stay
	for _, k := range []string{"a", "b", "c", "d"} {
		if ok, _ := b.Take(k); ok {
			t.Fatalf("key %s lost its spent bucket to eviction while an idle key was there", k)
		}
	}
}

func TestFailuresGrowingDelayCappedAndReset(t *testing.T) {
	c := newClock()
	f := NewFailures(Backoff{Free: 3, Base: time.Second, Max: 8 * time.Second, Forget: time.Hour}, 0, c.now)
	for i := range 2 {
		if d := f.Fail("ana"); d != 0 {
			t.Fatalf("failure %d (of 3 free) blocks for %s", i+1, d)
		}
	}
	var got []time.Duration
	for range 6 {
		got = append(got, f.Fail("ana"))
		if b := f.Blocked("ana"); b != got[len(got)-1] {
			t.Fatalf("Blocked says %s right after a failure blocking %s", b, got[len(got)-1])
		}
		c.add(got[len(got)-1])
		if b := f.Blocked("ana"); b != 0 {
			t.Fatalf("still blocked %s after the delay passed", b)
		}
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("delays %v; want %v (doubling, capped)", got, want)
	}
	if f.Blocked("bob") != 0 {
		t.Fatal("another key is blocked")
	}
	f.Reset("ana")
	if d := f.Fail("ana"); d != 0 {
		t.Fatalf("after a reset the first failure blocks for %s", d)
	}
}

func TestFailuresForgetOldFailures(t *testing.T) {
	c := newClock()
	f := NewFailures(Backoff{Free: 1, Base: time.Second, Max: time.Minute, Forget: 10 * time.Minute}, 0, c.now)
	f.Fail("a")
	f.Fail("a")
	c.add(11 * time.Minute)
	if d := f.Fail("a"); d != time.Second {
		t.Fatalf("a failure after the forget window blocks %s; want the first delay, 1s", d)
	}
}

func TestSlotsAnswerQuicklyWhenFull(t *testing.T) {
	s := NewSlots(2, 20*time.Millisecond)
	r1, ok1 := s.Acquire(context.Background())
	_, ok2 := s.Acquire(context.Background())
	if !ok1 || !ok2 {
		t.Fatal("free slots refused")
	}
	start := time.Now()
	if _, ok := s.Acquire(context.Background()); ok {
		t.Fatal("a third caller got one of two slots")
	}
	if waited := time.Since(start); waited > time.Second {
		t.Fatalf("a refused caller waited %s; want about the 20ms wait", waited)
	}
	r1()
	if _, ok := s.Acquire(context.Background()); !ok {
		t.Fatal("a released slot is not free again")
	}
}

func TestClientAddr(t *testing.T) {
	proxies, err := ParseProxies([]string{"10.0.0.0/8", "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, remote, xff string
		proxies           Proxies
		want              string
	}{
		{"no proxies: header ignored", "198.51.100.7:5000", "203.0.113.9", nil, "198.51.100.7"},
		{"untrusted peer: header ignored", "198.51.100.7:5000", "203.0.113.9", proxies, "198.51.100.7"},
		{"trusted peer: right-most untrusted hop", "10.1.2.3:5000", "1.1.1.1, 203.0.113.9, 10.9.9.9", proxies, "203.0.113.9"},
		{"single trusted address", "192.0.2.1:80", "203.0.113.9", proxies, "203.0.113.9"},
		{"garbage hop stops the walk", "10.1.2.3:5000", "203.0.113.9, nonsense", proxies, "10.1.2.3"},
		{"ipv6 grouped by /64", "[2001:db8:1:2:aaaa::1]:443", "", nil, "2001:db8:1:2::/64"},
		{"mapped ipv4", "[::ffff:198.51.100.7]:1", "", nil, "198.51.100.7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = c.remote
			if c.xff != "" {
				r.Header.Set("X-Forwarded-For", c.xff)
			}
			if got := AddrKey(c.proxies.ClientAddr(r)); got != c.want {
				t.Fatalf("client %q; want %q", got, c.want)
			}
		})
	}
	if _, err := ParseProxies([]string{"10.0.0.0/33"}); err == nil {
		t.Fatal("a bad CIDR was accepted")
	}
	if AddrKey(netip.Addr{}) != "unknown" {
		t.Fatal("an unreadable address has no key")
	}
}

func TestRefusalCarriesRetryInfo(t *testing.T) {
	for _, c := range []struct {
		err  *connect.Error
		code connect.Code
	}{
		{Limited("slow down", 1234*time.Millisecond), connect.CodeResourceExhausted},
		{Overloaded("busy", time.Second), connect.CodeUnavailable},
	} {
		if c.err.Code() != c.code {
			t.Fatalf("code %s; want %s", c.err.Code(), c.code)
		}
		d, ok := RetryDelay(fmt.Errorf("wrapped: %w", c.err))
		if !ok || d < time.Second || d > 1300*time.Millisecond {
			t.Fatalf("retry delay %s (found %v); want about the given delay, rounded up", d, ok)
		}
	}
}

func TestMiddlewarePlainHTTPGets429WithRetryAfter(t *testing.T) {
	g, err := New(Config{Enabled: true, Address: Rate{Limit: 1, Per: time.Minute, Burst: 2}}, Procedures{}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	h := g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if AddrFrom(r.Context()) == "" {
			t.Error("the handler does not see the client address")
		}
	}))
	var codes []int
	var retry string
	for range 3 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/media/x", nil))
		codes = append(codes, w.Code)
		retry = w.Header().Get("Retry-After")
	}
	if fmt.Sprint(codes) != "[200 200 429]" || retry == "" || retry == "0" {
		t.Fatalf("codes %v, Retry-After %q; want 200 200 429 with a positive Retry-After", codes, retry)
	}
}

func TestMiddlewareUploadsBoundedWith503(t *testing.T) {
	inside := make(chan struct{})
	release := make(chan struct{})
	g, err := New(Config{Enabled: true, Uploads: 1}, Procedures{}, Deps{IsUpload: func(r *http.Request) bool { return r.Method == http.MethodPut }})
	if err != nil {
		t.Fatal(err)
	}
	h := g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inside <- struct{}{}
		<-release
	}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPut, "/upload/a", nil))
	}()
	<-inside
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPut, "/upload/b", nil))
	close(release)
	<-done
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "5" {
		t.Fatalf("second upload: %d Retry-After %q; want 503 with Retry-After 5", w.Code, w.Header().Get("Retry-After"))
	}
}

func TestDisabledGuardLimitsNothing(t *testing.T) {
	g, err := New(Config{Enabled: false, Address: Rate{Limit: 1, Per: time.Hour, Burst: 1}}, Procedures{}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	h := g.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for range 10 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		if w.Code != http.StatusOK {
			t.Fatalf("disabled guard answered %d", w.Code)
		}
	}
	if g.HashSlots() != nil {
		t.Fatal("disabled guard bounds hashing")
	}
}

// TestRefusedFloodIsHeld: a client over its address budget is answered
// after TarpitHold, so a closed-loop flood gets a few refusals a second
// per connection, not thousands.
func TestRefusedFloodIsHeld(t *testing.T) {
	g, err := New(Config{Enabled: true, Address: Rate{Limit: 1, Per: time.Hour, Burst: 1}}, Procedures{}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	h := g.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	start := time.Now()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("over budget: %d", w.Code)
	}
	if held := time.Since(start); held < TarpitHold {
		t.Fatalf("refusal answered after %s; want it held %s", held, TarpitHold)
	}
}
