// Package app wires Backbeat together: configuration in, a serving process
// out. It is the only place that knows every adapter; the adapters know only
// the domain.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"

	"github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1/catalogv1connect"
	"github.com/backbeat/backbeat/gen/go/backbeat/library/v1/libraryv1connect"
	"github.com/backbeat/backbeat/gen/go/backbeat/playback/v1/playbackv1connect"
	"github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1/playlistv1connect"
	"github.com/backbeat/backbeat/gen/go/backbeat/user/v1/userv1connect"
	"github.com/backbeat/backbeat/server/api/apierr"
	"github.com/backbeat/backbeat/server/api/catalogapi"
	"github.com/backbeat/backbeat/server/api/libraryapi"
	"github.com/backbeat/backbeat/server/api/playbackapi"
	"github.com/backbeat/backbeat/server/api/playlistapi"
	"github.com/backbeat/backbeat/server/api/userapi"
	"github.com/backbeat/backbeat/server/auth"
	"github.com/backbeat/backbeat/server/cache"
	"github.com/backbeat/backbeat/server/demo"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/httpserver"
	"github.com/backbeat/backbeat/server/media/mediahttp"
	"github.com/backbeat/backbeat/server/media/source"
	"github.com/backbeat/backbeat/server/media/transcode"
	"github.com/backbeat/backbeat/server/media/urlsign"
	"github.com/backbeat/backbeat/server/media/worker"
	"github.com/backbeat/backbeat/server/obs"
	"github.com/backbeat/backbeat/server/queue"
	"github.com/backbeat/backbeat/server/search/indexer"
	"github.com/backbeat/backbeat/server/store/cassandra"
	"github.com/backbeat/backbeat/server/store/embedded"
)

// publicProcedures need no access token: they are how one gets one, or (Logout)
// how one gives up a refresh token, whose holding is the only authority
// needed; a client whose access token has lapsed must still be able to sign
// out. They run without a principal.
var publicProcedures = []string{
	userv1connect.UserServiceRegisterProcedure,
	userv1connect.UserServiceLoginProcedure,
	userv1connect.UserServiceRefreshTokenProcedure,
	userv1connect.UserServiceLogoutProcedure,
}

// publicMaxAge is how long a shared cache may keep a Connect GET answer that
// does not depend on the caller (one asked without a token).
const publicMaxAge = time.Minute

// smallRequestBytes caps a message to UserService, health and reflection:
// credentials, names and symbols, a few KiB at most.
const smallRequestBytes = 64 << 10

// serviceNames are served, reflected and health-checked.
var serviceNames = []string{
	userv1connect.UserServiceName,
	catalogv1connect.CatalogServiceName,
	playlistv1connect.PlaylistServiceName,
	playbackv1connect.PlaybackServiceName,
	libraryv1connect.LibraryServiceName,
}

// Server is a wired Backbeat: store, broker, auth, media and the HTTP
// handler over them, bound to its listener but not yet serving. Close
// releases all of it, so one process (a test) can run many in turn.
type Server struct {
	cfg       Config
	log       *slog.Logger
	http      *httpserver.Server
	admin     *httpserver.Server // nil without an admin listener
	tel       *telemetry
	handler   http.Handler
	publicURL string

	// stop ends the background work (queue consumers, demo audio); wg
	// waits for it before the broker and store close under it.
	stop       context.CancelFunc
	wg         sync.WaitGroup
	broker     *queue.Broker
	closeStore func() error
	// cache is the metadata cache in front of the store; nil when off.
	cache *cache.Cache
	// indexer tails the store's change feed into the search engine; nil
	// without --search-url.
	indexer *indexer.Indexer

	closeOnce sync.Once
	closeErr  error
}

// New validates cfg, opens everything a server needs and binds its
// listener (cfg.Listener, or cfg.Addr). ctx bounds the opening only; the
// background work runs until Close. On error whatever was opened is
// released again.
func New(ctx context.Context, cfg Config) (_ *Server, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.derived()
	cfg.Logger = tracedLogger(cfg.Logger)
	log := cfg.Logger
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{cfg: cfg, log: log, stop: stop}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	tel, err := newTelemetry(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s.tel = tel

	rawStores, feed, closeStore, probe, err := openStoreProbe(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s.closeStore = closeStore
	stores := tel.stores(rawStores, cfg)
	tel.ready.Checks = append(tel.ready.Checks, obs.Check{Name: "store", Probe: probe})

	// Bind before building auth: the embedded issuer's URL contains the real
	// port when the configured one is 0. Nothing is served until Serve runs,
	// so early connections wait in the backlog rather than failing.
	hc := httpserver.Config{Addr: cfg.Addr, TLSCertFile: cfg.TLSCert, TLSKeyFile: cfg.TLSKey, Limits: cfg.Limits, Logger: log}
	serveHTTP := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) })
	if cfg.Listener != nil {
		if s.http, err = httpserver.New(hc, cfg.Listener, serveHTTP); err != nil {
			cfg.Listener.Close() // New took it over, failing or not
		}
	} else {
		s.http, err = httpserver.Listen(hc, serveHTTP)
	}
	if err != nil {
		return nil, err
	}
	if s.admin, err = listenAdmin(cfg, tel.adminHandler()); err != nil {
		return nil, err
	}
	s.publicURL = cfg.PublicURL
	if s.publicURL == "" {
		scheme := "http"
		if s.http.TLS() {
			scheme = "https"
		}
		s.publicURL = scheme + "://" + s.http.Addr().String()
	}

	var (
		issuer   *auth.Issuer
		verifier *auth.Verifier
	)
	if cfg.OIDCIssuer == "" {
		issuer, err = auth.NewIssuer(auth.IssuerConfig{Dir: cfg.DataDir, URL: s.publicURL, Audience: cfg.OIDCAudience, AccessTTL: cfg.AccessTTL})
		if err != nil {
			return nil, fmt.Errorf("embedded OIDC issuer: %w", err)
		}
		vc := issuer.VerifierConfig()
		vc.Logger = log
		verifier, err = auth.NewVerifier(ctx, vc)
	} else {
		verifier, err = auth.NewVerifier(ctx, auth.VerifierConfig{IssuerURL: cfg.OIDCIssuer, Audience: cfg.OIDCAudience, Logger: log})
	}
	if err != nil {
		return nil, fmt.Errorf("OIDC verifier: %w", err)
	}

	broker, err := openBroker(ctx, cfg, tel.queueConfig)
	if err != nil {
		return nil, err
	}
	s.broker = broker
	tel.ready.Checks = append(tel.ready.Checks, obs.Check{Name: "broker", Probe: broker.Ping})
	jobs, events := obs.Broker(broker, broker, tel.metrics, obs.NewBreaker("nats", cfg.Breaker, tel.metrics), log)
	s.background(func() { tel.watchQueue(bg, broker) })
	if stores, err = s.cacheStores(bg, stores, broker); err != nil {
		return nil, err
	}
	if s.cache != nil && tel.metrics != nil {
		exportCacheStats(tel.metrics.Registry, s.cache)
	}
	if valid := cfg.Media.StreamTTL + urlsign.Bucket; cfg.Media.CleanupGrace < valid {
		log.Warn("replaced media is removed before the streaming URLs handed out for it expire: plays in progress may break",
			"media_cleanup_grace", cfg.Media.CleanupGrace, "url_validity", valid)
	}
	janitor := domain.NewJanitor(broker, cfg.Media.CleanupGrace, log, nil)
	limiter, err := newGuard(cfg, broker, tel.metrics.Refused)
	if err != nil {
		return nil, err
	}

	// Accounts are cached briefly in front of every request; a change made
	// here is forgotten at once, one made by another replica within the TTL.
	accounts := newAccountCache(AccountCacheTTL, nil)
	users := domain.NewUsers(stores, limitCredentials(credentials{issuer: issuer}, limiter, tel.metrics.Refused), domain.UsersConfig{
		ExternalIssuer: cfg.OIDCIssuer, RefreshTTL: cfg.RefreshTTL, Janitor: janitor,
		AccountChanged: accounts.forget,
	})
	catalog := domain.NewCatalog(stores, janitor, nil)
	switch {
	case cfg.SearchEngine != nil:
		catalog.SetSearchEngine(tel.searchEngine(cfg.SearchEngine, "custom", cfg))
	case cfg.SearchURL != "":
		if err := s.openSearch(bg, cfg, feed, catalog); err != nil {
			return nil, err
		}
	case feed != nil:
		// The Cassandra store has no search of its own (migration 014):
		// everything else serves, Search answers unavailable.
		log.Warn("no --search-url: Search answers unavailable; the Cassandra store serves Search through OpenSearch")
	}
	playlists := domain.NewPlaylists(stores, nil)
	rawBlobs, err := openBlobs(cfg)
	if err != nil {
		return nil, err
	}
	blobs := obs.Blobs(rawBlobs, cfg.Breaker, tel.metrics)
	key, err := signingKey(cfg.Media, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	signer, err := urlsign.New(key, s.publicURL, cfg.Media.StreamTTL, cfg.Media.UploadTTL, nil)
	if err != nil {
		return nil, err
	}
	media := domain.NewMedia(stores, catalog, jobs, janitor, signer, cfg.Media.MaxUploadBytes)
	sources := source.New(blobs)
	playback := domain.NewPlaybackConfig(stores, playlists, signer, events, domain.PlaybackConfig{
		MaxCountedPerHour: cfg.MaxCountedPerHour, Sources: sources, Signer: signer, Urgent: broker,
	})
	transcoder := newTranscoder(cfg)
	w := worker.New(blobs, media, transcoder, filepath.Join(cfg.DataDir, "work"), cfg.Media.JobAttempts, log)
	w.OnTranscoded(tel.transcoded)
	// Every replica, API-only ones too, takes a share of the cleanup: it
	// only deletes files, and the shared consumer gives each job to one.
	s.background(func() {
		err := broker.ConsumeCleanups(bg, queue.ConsumeConfig{AckWait: cfg.Media.JobAckWait, MaxDeliver: cleanupAttempts}, w.Cleanup)
		if err != nil && bg.Err() == nil {
			log.Error("media cleanup worker stopped", "err", err)
		}
	})
	if cfg.transcodes() {
		s.background(func() {
			err := broker.ConsumeTranscodes(bg, queue.ConsumeConfig{
				Concurrency: cfg.Media.Workers, AckWait: cfg.Media.JobAckWait,
				MaxDeliver: cfg.Media.JobAttempts, Backoff: backoff(cfg.Media.JobAttempts),
			}, w.Handle)
			if err != nil && bg.Err() == nil {
				log.Error("transcode worker stopped", "err", err)
			}
		})
	}

	if cfg.Demo {
		if err := demo.Seed(ctx, stores, users, catalog, playlists, log); err != nil {
			return nil, fmt.Errorf("seed demo data: %w", err)
		}
		s.background(func() {
			if err := demo.SeedAudio(bg, stores, media, blobs, cfg.Media.FFmpeg, log); err != nil {
				if bg.Err() == nil {
					log.Error("demo audio", "err", err)
				}
				return
			}
			// Client test scripts wait for this line (clients/with-server.sh).
			log.Info("demo data ready")
		})
	}

	resolver := newResolver(s.publicURL, cfg.OIDCIssuer, users, accounts)
	// Every connect handler, health and reflection too, caps each message
	// after decompression; connect also stops inflating a gzip body at the
	// cap, so a decompression bomb costs about what the largest legitimate
	// message does. The handlers an anonymous client reaches (UserService
	// for Register, Login, RefreshToken and Logout; health; reflection) take only
	// small messages, so their cap is smaller still: a bomb's cost there
	// is a few dozen KiB, not the buffers for MaxRequestBytes.
	readCap := readLimit(cfg.MaxRequestBytes)
	smallReadCap := readLimit(min(cfg.MaxRequestBytes, smallRequestBytes))
	// The limiter's sign-in interceptor goes outside the error conversion, to
	// see the codes clients see; its account interceptor inside auth, to
	// know the caller.
	// The metrics go outermost, to count every RPC with the code its
	// client sees, refusals included.
	interceptors := connect.WithInterceptors(
		obs.RPCInterceptor(tel.metrics),
		limiter.SignIn(),
		apierr.NewInterceptor(log),
		timeoutInterceptor(cfg.RPCTimeout),
		auth.NewInterceptor(verifier, resolver, publicProcedures),
		obs.NoteUser(userID),
		limiter.Account(),
	)
	opts := []connect.HandlerOption{interceptors, readCap}
	// The token is checked from the headers before connect reads the body
	// (auth.NewMiddleware); the interceptor then only resolves the principal.
	// Connect GET answers carry an ETag and Cache-Control, and revalidate to
	// 304 (httpserver.ConditionalGET).
	guard := func(path string, h http.Handler) (string, http.Handler) {
		return path, httpserver.ConditionalGET(publicMaxAge, auth.NewMiddleware(verifier, publicProcedures, h))
	}
	mux := http.NewServeMux()
	// A worker serves health checks only: its RPCs and media URLs are the
	// API replicas' (a client reaching one gets 404).
	if cfg.serves() {
		mux.Handle(guard(userv1connect.NewUserServiceHandler(userapi.New(users, auth.PrincipalFrom), interceptors, smallReadCap)))
		mux.Handle(guard(catalogv1connect.NewCatalogServiceHandler(catalogapi.New(catalog, media, auth.PrincipalFrom), opts...)))
		mux.Handle(guard(playlistv1connect.NewPlaylistServiceHandler(playlistapi.New(playlists, auth.PrincipalFrom), opts...)))
		mux.Handle(guard(playbackv1connect.NewPlaybackServiceHandler(playbackapi.New(playback, auth.PrincipalFrom), opts...)))
		mux.Handle(guard(libraryv1connect.NewLibraryServiceHandler(libraryapi.New(domain.NewLibrary(stores, nil), auth.PrincipalFrom), opts...)))
		reflector := grpcreflect.NewStaticReflector(append(serviceNames, grpchealth.HealthV1ServiceName)...)
		mux.Handle(grpcreflect.NewHandlerV1(reflector, smallReadCap))
		mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector, smallReadCap))
		mediaHandler := mediahttp.New(blobs, signer, media, cfg.Media.MaxUploadBytes, log)
		mediaHandler.CountBytes(tel.metrics.AddMediaBytes)
		mediaHandler.EnablePlayBeforeLadder(mediahttp.EarlyPlay{
			Sources: sources, Live: transcoder, LiveContentType: transcode.LiveContentType,
			MaxLive: cfg.Media.LiveTranscodes, WorkDir: filepath.Join(cfg.DataDir, "live"),
		})
		mediaHandler.Register(mux)
		if issuer != nil {
			mux.Handle("/.well-known/", issuer.Handler())
		}
	}
	mux.Handle(grpchealth.NewHandler(newHealthChecker(tel.ready, serviceNames), smallReadCap))
	health := tel.ready.Handler()
	mux.Handle("GET /healthz", health)
	mux.Handle("GET /readyz", health)

	// The raw body cap: a message of MaxRequestBytes, its 5-byte envelope
	// and compression's worst-case growth on incompressible data (well
	// under 64 KiB) fit; a reflection stream's messages share it. Uploads
	// have their own limit (MaxUploadBytes) in mediahttp.
	bodyCap := int64(cfg.MaxRequestBytes) + 64<<10
	limited := httpserver.MaxBody(bodyCap, mediahttp.IsUpload, mux)
	// The limiter sits inside CORS, so a browser can read its refusals, and in
	// front of the token check and any body read.
	s.handler = httpserver.Recover(log, tel.trace(httpserver.AccessLog(log, mediahttp.LogPath, httpserver.CORS(cfg.CORSOrigins, limiter.Middleware(limited)))))
	return s, nil
}

// readLimit caps each message at n bytes once decompressed, and bounds
// gzip so that refusing an oversized message does not inflate all of it.
// It also leaves answers under compressMinBytes uncompressed.
func readLimit(n int) connect.HandlerOption {
	return connect.WithHandlerOptions(connect.WithReadMaxBytes(n), httpserver.BoundedGzip(n), connect.WithCompressMinBytes(compressMinBytes))
}

// compressMinBytes: a smaller answer (a track, an album, a user) is sent as
// is; compressing it costs more CPU than its few saved bytes are worth.
const compressMinBytes = 1 << 10

// background runs f until the Server closes; Close waits for it.
func (s *Server) background(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// Handler is the whole HTTP surface: every service, reflection, health,
// media and the issuer's discovery, behind the middleware.
func (s *Server) Handler() http.Handler { return s.handler }

// Addr is the bound listen address.
func (s *Server) Addr() net.Addr { return s.http.Addr() }

// URL is the public base URL (the embedded issuer's identifier).
func (s *Server) URL() string { return s.publicURL }

// TLS reports whether the listener serves TLS.
func (s *Server) TLS() bool { return s.http.TLS() }

// Serve serves on the bound listener (and the admin listener) until ctx
// ends. Then it answers /readyz 503 for DrainDelay, so load balancers stop
// sending, and then drains requests in flight. It does not release the
// rest: call Close after.
func (s *Server) Serve(ctx context.Context) error {
	s.log.Info("backbeat serving", "addr", s.Addr().String(), "public_url", s.publicURL,
		"tls", s.TLS(), "store", s.cfg.Store, "data_dir", s.cfg.DataDir, "oidc_issuer", firstNonEmpty(s.cfg.OIDCIssuer, s.publicURL),
		"admin_addr", s.AdminAddr())
	serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServing()
	go func() {
		select {
		case <-ctx.Done():
		case <-serveCtx.Done():
			return
		}
		s.tel.ready.Drain()
		if d := s.cfg.DrainDelay; d > 0 {
			s.log.Info("draining: not ready, still serving", "drain_delay", d)
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-serveCtx.Done():
			}
		}
		stopServing()
	}()
	adminDone := make(chan error, 1)
	adminCtx, stopAdmin := context.WithCancel(context.WithoutCancel(ctx))
	if s.admin != nil {
		go func() { adminDone <- s.admin.Serve(adminCtx) }()
	} else {
		adminDone <- nil
	}
	err := s.http.Serve(serveCtx)
	// The admin listener outlives the public one's drain, so probes and
	// scrapes see it through.
	stopAdmin()
	return errors.Join(err, <-adminDone)
}

// AdminAddr is the admin listener's bound address ("" without one).
func (s *Server) AdminAddr() string {
	if s.admin == nil {
		return ""
	}
	return s.admin.Addr().String()
}

// Close stops the listener and the background work, then closes the broker
// and the store. Further calls return the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		// The listener first, so no request starts on a closing store; the
		// background work next, so nothing uses the broker or the store
		// after they close.
		if s.http != nil {
			errs = append(errs, s.http.Close())
		}
		if s.admin != nil {
			errs = append(errs, s.admin.Close())
		}
		s.stop()
		s.wg.Wait()
		if s.broker != nil {
			errs = append(errs, s.broker.Close())
		}
		if s.closeStore != nil {
			errs = append(errs, s.closeStore())
		}
		if s.tel != nil {
			// Spans still batched get a few seconds to reach the collector.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			errs = append(errs, s.tel.shutdown(ctx))
			cancel()
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Run serves cfg until ctx ends, then releases everything. ready, if set,
// is called with the bound address and public URL once the server is about
// to accept connections.
func Run(ctx context.Context, cfg Config, ready func(addr net.Addr, publicURL string)) error {
	s, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(s.Addr(), s.URL())
	}
	serveErr := s.Serve(ctx)
	return errors.Join(serveErr, s.Close())
}

// store is what every store adapter offers the wiring.
type store interface {
	Stores() domain.Stores
	Close() error
}

// feeder is a store with a search change feed (the Cassandra store).
type feeder interface {
	SearchFeed() domain.SearchFeed
}

// pinger is a store with its own readiness probe (the embedded store).
type pinger interface {
	Ping(ctx context.Context) error
}

// storeProbe is the store's readiness probe: its own Ping, else a read of
// a user that does not exist, a round trip whose only right answer is
// "not found".
func storeProbe(st store) func(context.Context) error {
	if p, ok := st.(pinger); ok {
		return p.Ping
	}
	s := st.Stores()
	return func(ctx context.Context) error {
		_, err := s.Users.GetUser(ctx, "readyz-probe")
		if err == nil || domain.IsKind(err, domain.KindNotFound) {
			return nil
		}
		return err
	}
}

// openStore opens the configured store, and its change feed if it has one.
func openStore(ctx context.Context, cfg Config) (domain.Stores, domain.SearchFeed, func() error, error) {
	stores, feed, closeStore, _, err := openStoreProbe(ctx, cfg)
	return stores, feed, closeStore, err
}

// openStoreProbe is openStore, with the store's readiness probe.
func openStoreProbe(ctx context.Context, cfg Config) (domain.Stores, domain.SearchFeed, func() error, func(context.Context) error, error) {
	var (
		st  store
		err error
	)
	switch cfg.Store {
	case "embedded":
		st, err = embedded.Open(ctx, cfg.DataDir, cfg.Logger)
		if err != nil {
			return domain.Stores{}, nil, nil, nil, fmt.Errorf("open embedded store in %s: %w", cfg.DataDir, err)
		}
	case "cassandra":
		cc := cfg.Cassandra
		cc.Logger = cfg.Logger
		st, err = cassandra.Open(ctx, cc)
		if err != nil {
			return domain.Stores{}, nil, nil, nil, fmt.Errorf("open cassandra store (hosts %v, local DC %s): %w", cc.Hosts, cc.LocalDC, err)
		}
	default:
		return domain.Stores{}, nil, nil, nil, fmt.Errorf("unknown store %q (want embedded or cassandra)", cfg.Store)
	}
	var feed domain.SearchFeed
	if f, ok := st.(feeder); ok {
		feed = f.SearchFeed()
	}
	return st.Stores(), feed, func() error {
		if err := st.Close(); err != nil {
			return fmt.Errorf("close store: %w", err)
		}
		return nil
	}, storeProbe(st), nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// timeoutInterceptor caps every RPC's deadline, so a stuck store call
// cannot pin a request forever even when the client sets no deadline.
func timeoutInterceptor(d time.Duration) connect.Interceptor {
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			ctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			return next(ctx, req)
		}
	})
}
