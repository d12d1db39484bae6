package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1/catalogv1connect"
	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/media/urlsign"
	"github.com/backbeat/backbeat/server/ratelimit"
	"github.com/backbeat/backbeat/server/store/embedded"
)

// demoServer runs a server with the demo catalog (no audio: no ffmpeg) and
// returns it with an API signed in as the demo listener.
func demoServer(t testing.TB, configure ...func(*app.Config)) (*apptest.Server, apptest.API) {
	t.Helper()
	s := apptest.Start(t, append([]func(*app.Config){func(c *app.Config) {
		c.Demo = true
		c.Media.FFmpeg = "backbeat-test-no-ffmpeg"
	}}, configure...)...)
	res, err := s.Anon().Users.Login(apptest.Context(t), connect.NewRequest(&userv1.LoginRequest{Login: "demo", Password: "backbeat-demo"}))
	apptest.MustOK(t, "Login", err)
	return s, s.As(res.Msg.Tokens.AccessToken)
}

// get fetches url and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return res.StatusCode, string(b)
}

func firstTrack(t testing.TB, c apptest.API) *catalogv1.Track {
	t.Helper()
	tracks, err := c.Catalog.ListTracks(apptest.Context(t), connect.NewRequest(&catalogv1.ListTracksRequest{PageSize: 1}))
	apptest.MustOK(t, "ListTracks", err)
	return tracks.Msg.Tracks[0]
}

func getTrack(ctx context.Context, c apptest.API, id string) error {
	_, err := c.Catalog.GetTrack(ctx, connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: id}))
	return err
}

// An operator scraping the admin port sees each RPC counted and timed by
// procedure, protocol and code, the store's operations, and the Go runtime.
func TestMetricsAfterACall(t *testing.T) {
	t.Parallel()
	s, c := demoServer(t)
	ctx := apptest.Context(t)
	apptest.MustOK(t, "GetTrack", getTrack(ctx, c, firstTrack(t, c).Id))
	apptest.WantCode(t, getTrack(ctx, c, domain.NewID()), connect.CodeNotFound)

	status, body := get(t, "http://"+s.AdminAddr()+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", status, body)
	}
	for _, want := range []string{
		`backbeat_rpc_duration_seconds_bucket{code="ok",procedure="/backbeat.catalog.v1.CatalogService/GetTrack",protocol="connect",le=`,
		`backbeat_rpc_duration_seconds_count{code="not_found",procedure="/backbeat.catalog.v1.CatalogService/GetTrack",protocol="connect"} 1`,
		`backbeat_rpc_requests_total{code="ok",procedure="/backbeat.user.v1.UserService/Login",protocol="connect"} 1`,
		`backbeat_store_op_duration_seconds_count{op="catalog.GetTrack",store="embedded"}`,
		`backbeat_store_op_errors_total{kind="not_found",op="catalog.GetTrack",store="embedded"} 1`,
		`backbeat_breaker_state{dependency="nats"} 0`,
		`backbeat_ready `,
		// One series per transcode priority (bulk work and ladders a
		// listener waits for).
		`backbeat_queue_depth{kind="transcode"} `,
		`backbeat_queue_depth{kind="transcode_urgent"} `,
		`backbeat_cache_hits_total `,
		`backbeat_cache_misses_total `,
		`backbeat_cache_evictions_total `,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}

// Health is on both ports; profiles and metrics only on the admin one.
func TestHealthAndPprofPorts(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	admin := "http://" + s.AdminAddr()
	for _, base := range []string{s.URL(), admin} {
		for _, path := range []string{"/healthz", "/readyz"} {
			if status, body := get(t, base+path); status != http.StatusOK || strings.TrimSpace(body) != "ok" {
				t.Errorf("GET %s%s = %d %q, want 200 ok", base, path, status, body)
			}
		}
	}
	if status, _ := get(t, s.URL()+"/debug/pprof/"); status != http.StatusNotFound {
		t.Errorf("public /debug/pprof/ = %d, want 404", status)
	}
	if status, _ := get(t, s.URL()+"/metrics"); status != http.StatusNotFound {
		t.Errorf("public /metrics = %d, want 404", status)
	}
	if status, body := get(t, admin+"/debug/pprof/"); status != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("admin /debug/pprof/ = %d, want 200 with the profile index", status)
	}
}

// One StartPlayback is one trace: the RPC's span, the domain operation's
// under it, and the store reads under that.
func TestTraceOfStartPlayback(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	// The metadata cache is off: a read it answers never reaches the store,
	// so the store's span would be there only on a miss.
	_, c := demoServer(t, func(c *app.Config) { c.TracerProvider, c.CacheSize = tp, 0 })
	track := firstTrack(t, c)
	spans.Reset()

	_, err := c.Playback.StartPlayback(apptest.Context(t), connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: track.Id}))
	// The demo has no audio here, so the answer is "not yet playable";
	// the path through the layers is the same as a playing one's.
	apptest.WantCode(t, err, connect.CodeFailedPrecondition)

	var rpc, dom, store *tracetest.SpanStub
	got := spans.GetSpans()
	for i := range got {
		switch sp := &got[i]; sp.Name {
		case "/backbeat.playback.v1.PlaybackService/StartPlayback":
			rpc = sp
		case "Playback.Start":
			dom = sp
		case "catalog.GetTrack":
			store = sp
		}
	}
	if rpc == nil || dom == nil || store == nil {
		var names []string
		for _, sp := range got {
			names = append(names, sp.Name)
		}
		t.Fatalf("spans %v; want the RPC, Playback.Start and catalog.GetTrack", names)
	}
	if dom.Parent.SpanID() != rpc.SpanContext.SpanID() || store.Parent.SpanID() != dom.SpanContext.SpanID() {
		t.Errorf("parents: domain's %v (rpc %v), store's %v (domain %v); want RPC -> domain -> store",
			dom.Parent.SpanID(), rpc.SpanContext.SpanID(), store.Parent.SpanID(), dom.SpanContext.SpanID())
	}
	if rpc.SpanContext.TraceID() != store.SpanContext.TraceID() {
		t.Error("the store's span is in another trace")
	}
}

// Every request gets one access-log line at info with who asked what and
// how it went, and the trace id on its lines; a streaming URL's signature
// never reaches the log.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	s, c := demoServer(t, func(c *app.Config) { c.TracerProvider = tp })
	track := firstTrack(t, c)
	me, err := c.Users.GetMe(apptest.Context(t), connect.NewRequest(&userv1.GetMeRequest{}))
	apptest.MustOK(t, "GetMe", err)

	req := connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: track.Id})
	req.Header().Set("X-Request-Id", "req-42")
	_, err = c.Catalog.GetTrack(apptest.Context(t), req)
	apptest.MustOK(t, "GetTrack", err)

	// A genuinely signed streaming URL, as StartPlayback hands out.
	key, err := os.ReadFile(filepath.Join(s.DataDir, "media-signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := urlsign.New(key, s.URL(), time.Hour, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	urls := signer.PlaybackURLs(track.Id, "m1", me.Msg.User.Id)
	get(t, urls.HLS)
	token := strings.Split(strings.TrimPrefix(urls.HLS, s.URL()+"/media/s/"), "/")[0]
	sig := token[strings.LastIndex(token, ".")+1:]

	logs := s.Logs.String()
	var line string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "request_id=req-42") && strings.Contains(l, "msg=request") {
			line = l
		}
	}
	for _, want := range []string{"level=INFO", "procedure=/backbeat.catalog.v1.CatalogService/GetTrack", "code=ok",
		"user_id=" + me.Msg.User.Id, "client=127.0.0.1:", "duration=", "trace_id="} {
		if !strings.Contains(line, want) {
			t.Errorf("access-log line %q lacks %s", line, want)
		}
	}
	if strings.Contains(logs, sig) {
		t.Errorf("the streaming URL's signature %s is in the log", sig)
	}
	if !strings.Contains(logs, "path=/media/s/REDACTED/"+track.Id) {
		t.Errorf("no access-log line for the media request with its token redacted:\n%s", logs)
	}
	if strings.Contains(logs, "Bearer") || strings.Contains(logs, "authorization") {
		t.Error("a token header is in the log")
	}
}

// moveDatabase moves the embedded store's database file away under the
// running server, as an operator's slip does (a data directory cleaned or a
// volume swapped); the returned func puts it back.
func moveDatabase(t *testing.T, dataDir string) (restore func()) {
	t.Helper()
	path := filepath.Join(dataDir, embedded.DBFile)
	if err := os.Rename(path, path+".moved"); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.Rename(path+".moved", path); err != nil {
			t.Fatal(err)
		}
	}
}

// A replica whose store is gone is taken out of rotation (/readyz 503 on
// both ports, gRPC health NOT_SERVING, backbeat_ready 0) and comes back
// once the store does.
func TestReadyFollowsTheStore(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	admin := "http://" + s.AdminAddr()
	wantReady := func(base string, ready bool) {
		t.Helper()
		err := apptest.Eventually(t, func() error {
			status, body := get(t, base+"/readyz")
			if (status == http.StatusOK) != ready {
				return errors.New(body)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s/readyz: want ready=%v: %v", base, ready, err)
		}
	}
	wantReady(admin, true)

	restore := moveDatabase(t, s.DataDir)
	wantReady(admin, false)
	status, body := get(t, s.URL()+"/readyz")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "store") {
		t.Errorf("public /readyz = %d %q, want 503 naming the store", status, body)
	}
	if _, m := get(t, admin+"/metrics"); !strings.Contains(m, "backbeat_ready 0") {
		t.Error("backbeat_ready is not 0 while not ready")
	}

	health := grpchealth.NewClient(apptest.H2CClient(), s.URL())
	res, err := health.Check(apptest.Context(t), &grpchealth.CheckRequest{Service: catalogv1connect.CatalogServiceName})
	if err != nil || res.Status != grpchealth.StatusNotServing {
		t.Errorf("gRPC health of CatalogService = %v, %v; want NOT_SERVING", res, err)
	}

	restore()
	wantReady(admin, true)
	wantReady(s.URL(), true)
}

// failingEngine is a search engine that is down: each query fails with
// unavailable, as the OpenSearch port reports a refused connection.
type failingEngine struct {
	domain.SearchEngine
	calls atomic.Int64
}

func (e *failingEngine) Search(context.Context, string, []domain.ItemType, domain.Page) ([]domain.SearchRef, string, error) {
	e.calls.Add(1)
	return nil, "", domain.Unavailable("search engine: connection refused")
}

// With the search engine down, Search fails until its breaker opens, then
// fails at once with a retry hint without calling the engine, while
// browsing and playback go on.
func TestSearchBreaker(t *testing.T) {
	t.Parallel()
	eng := &failingEngine{}
	s, c := demoServer(t, func(c *app.Config) {
		c.SearchEngine = eng
		c.Breaker.Failures = 3
		c.Breaker.Open = time.Hour
	})
	ctx := apptest.Context(t)
	search := func() error {
		_, err := c.Catalog.Search(ctx, connect.NewRequest(&catalogv1.SearchRequest{Query: "daft"}))
		return err
	}
	for range 3 {
		apptest.WantCode(t, search(), connect.CodeUnavailable)
	}
	if n := eng.calls.Load(); n != 3 {
		t.Fatalf("engine called %d times, want 3", n)
	}
	for range 5 {
		err := search()
		apptest.WantCode(t, err, connect.CodeUnavailable)
		if d, ok := ratelimit.RetryDelay(err); !ok || d <= 0 {
			t.Errorf("refusal %v carries no retry hint", err)
		}
	}
	if n := eng.calls.Load(); n != 3 {
		t.Errorf("engine called %d times with the breaker open, want still 3", n)
	}

	track := firstTrack(t, c)
	apptest.MustOK(t, "GetTrack", getTrack(ctx, c, track.Id))
	_, err := c.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: track.Id}))
	apptest.WantCode(t, err, connect.CodeFailedPrecondition) // no audio, as without the outage

	_, m := get(t, "http://"+s.AdminAddr()+"/metrics")
	for _, want := range []string{`backbeat_breaker_state{dependency="search"} 2`, `backbeat_refusals_total{reason="breaker_open"} 5`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Readiness ignores the search engine here (it is a test's, not a
	// configured one): the replica stays in rotation for what works.
	if status, _ := get(t, s.URL()+"/readyz"); status != http.StatusOK {
		t.Errorf("/readyz = %d with search down, want 200", status)
	}
}

// On shutdown the replica first says it is not ready, and keeps serving
// while load balancers notice, then drains.
func TestDrainingIsNotReady(t *testing.T) {
	t.Parallel()
	cfg := app.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.Addr, cfg.AdminAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Media.Workers = 0
	cfg.Media.JobAckWait = time.Second
	cfg.DrainDelay = time.Hour // ended by Close below
	cfg.Logger = apptestLogger(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	if status, _ := get(t, srv.URL()+"/readyz"); status != http.StatusOK {
		t.Fatalf("/readyz = %d before shutdown", status)
	}
	cancel()
	err = apptest.Eventually(t, func() error {
		if status, body := get(t, srv.URL()+"/readyz"); status != http.StatusServiceUnavailable || !strings.Contains(body, "draining") {
			return errors.New(body)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("public /readyz while draining: %v", err)
	}
	if status, _ := get(t, "http://"+srv.AdminAddr()+"/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("admin /readyz = %d while draining, want 503", status)
	}
	if status, _ := get(t, srv.URL()+"/healthz"); status != http.StatusOK {
		t.Errorf("/healthz = %d while draining, want 200: the process is alive", status)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

// apptestLogger logs to the test's output at debug level.
func apptestLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}
