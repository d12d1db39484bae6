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
	"strings"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"

	"github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1/catalogv1connect"
	"github.com/backbeat/backbeat/gen/go/backbeat/playback/v1/playbackv1connect"
	"github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1/playlistv1connect"
	"github.com/backbeat/backbeat/gen/go/backbeat/user/v1/userv1connect"
	"github.com/backbeat/backbeat/server/api/apierr"
	"github.com/backbeat/backbeat/server/api/catalogapi"
	"github.com/backbeat/backbeat/server/api/playbackapi"
	"github.com/backbeat/backbeat/server/api/playlistapi"
	"github.com/backbeat/backbeat/server/api/userapi"
	"github.com/backbeat/backbeat/server/auth"
	"github.com/backbeat/backbeat/server/demo"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/httpserver"
	"github.com/backbeat/backbeat/server/media/mediahttp"
	"github.com/backbeat/backbeat/server/media/urlsign"
	"github.com/backbeat/backbeat/server/media/worker"
	"github.com/backbeat/backbeat/server/queue"
	"github.com/backbeat/backbeat/server/store/cassandra"
	"github.com/backbeat/backbeat/server/store/embedded"
)

// Config is everything a server process is told.
type Config struct {
	Addr string
	// PublicURL is the externally visible base URL; the embedded issuer uses
	// it as its issuer identifier. Default: http://<listen address>.
	PublicURL string
	DataDir   string
	Store     string
	Cassandra cassandra.Config
	TLSCert   string
	TLSKey    string
	// OIDCIssuer and OIDCAudience switch auth to an external provider.
	OIDCIssuer   string
	OIDCAudience string
	Admins       []string
	CORSOrigins  []string
	AccessTTL    time.Duration
	RefreshTTL   time.Duration
	// RPCTimeout caps each RPC's deadline.
	RPCTimeout time.Duration
	// MaxRequestBytes caps a request message.
	MaxRequestBytes int
	Media           MediaConfig
	// Demo seeds a demo catalog and users into an empty store.
	Demo   bool
	Logger *slog.Logger
}

// Defaults fills unset fields.
func (c *Config) defaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.Store == "" {
		c.Store = "embedded"
	}
	if c.OIDCAudience == "" {
		c.OIDCAudience = "backbeat"
	}
	if c.AccessTTL <= 0 {
		c.AccessTTL = 15 * time.Minute
	}
	if c.RefreshTTL <= 0 {
		c.RefreshTTL = 30 * 24 * time.Hour
	}
	if c.RPCTimeout <= 0 {
		c.RPCTimeout = 30 * time.Second
	}
	if c.MaxRequestBytes <= 0 {
		c.MaxRequestBytes = 4 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Media.defaults(c.DataDir)
}

// publicProcedures need no access token: they are how one gets one.
var publicProcedures = []string{
	userv1connect.UserServiceRegisterProcedure,
	userv1connect.UserServiceLoginProcedure,
	userv1connect.UserServiceRefreshTokenProcedure,
}

// serviceNames are served, reflected and health-checked.
var serviceNames = []string{
	userv1connect.UserServiceName,
	catalogv1connect.CatalogServiceName,
	playlistv1connect.PlaylistServiceName,
	playbackv1connect.PlaybackServiceName,
}

// Run serves until ctx ends. ready, if set, is called with the bound
// address once the server accepts connections.
func Run(ctx context.Context, cfg Config, ready func(addr net.Addr, publicURL string)) error {
	cfg.defaults()
	log := cfg.Logger

	stores, closeStore, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeStore()

	// Bind before building auth: the embedded issuer's URL contains the real
	// port when the configured one is 0. Nothing is served until Serve runs,
	// so early connections wait in the backlog rather than failing.
	var h http.Handler
	srv, err := httpserver.Listen(httpserver.Config{
		Addr: cfg.Addr, TLSCertFile: cfg.TLSCert, TLSKeyFile: cfg.TLSKey, Logger: log,
	}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	if err != nil {
		return err
	}
	publicURL := cfg.PublicURL
	if publicURL == "" {
		scheme := "http"
		if srv.TLS() {
			scheme = "https"
		}
		publicURL = scheme + "://" + srv.Addr().String()
	}
	publicURL = strings.TrimRight(publicURL, "/")

	var (
		issuer   *auth.Issuer
		verifier *auth.Verifier
	)
	if cfg.OIDCIssuer == "" {
		issuer, err = auth.NewIssuer(auth.IssuerConfig{Dir: cfg.DataDir, URL: publicURL, Audience: cfg.OIDCAudience, AccessTTL: cfg.AccessTTL})
		if err != nil {
			return fmt.Errorf("embedded OIDC issuer: %w", err)
		}
		vc := issuer.VerifierConfig()
		vc.Logger = log
		verifier, err = auth.NewVerifier(ctx, vc)
	} else {
		verifier, err = auth.NewVerifier(ctx, auth.VerifierConfig{IssuerURL: cfg.OIDCIssuer, Audience: cfg.OIDCAudience, Logger: log})
	}
	if err != nil {
		return fmt.Errorf("OIDC verifier: %w", err)
	}

	broker, err := openBroker(ctx, cfg)
	if err != nil {
		return err
	}
	defer broker.Close()
	if valid := cfg.Media.StreamTTL + urlsign.Bucket; cfg.Media.CleanupGrace < valid {
		log.Warn("replaced media is removed before the streaming URLs handed out for it expire: plays in progress may break",
			"media_cleanup_grace", cfg.Media.CleanupGrace, "url_validity", valid)
	}
	janitor := domain.NewJanitor(broker, cfg.Media.CleanupGrace, log, nil)

	users := domain.NewUsers(stores, credentials{issuer: issuer}, domain.UsersConfig{
		ExternalIssuer: cfg.OIDCIssuer, Admins: cfg.Admins, RefreshTTL: cfg.RefreshTTL, Janitor: janitor,
	})
	catalog := domain.NewCatalog(stores, janitor, nil)
	playlists := domain.NewPlaylists(stores, nil)
	blobs, err := openBlobs(cfg)
	if err != nil {
		return err
	}
	key, err := signingKey(cfg.Media, cfg.DataDir)
	if err != nil {
		return err
	}
	signer, err := urlsign.New(key, publicURL, cfg.Media.StreamTTL, cfg.Media.UploadTTL, nil)
	if err != nil {
		return err
	}
	media := domain.NewMedia(stores, catalog, broker, janitor, signer, cfg.Media.MaxUploadBytes)
	playback := domain.NewPlayback(stores, playlists, signer, broker, nil)
	w := worker.New(blobs, media, newTranscoder(cfg), filepath.Join(cfg.DataDir, "work"), cfg.Media.JobAttempts, log)
	// Every replica, API-only ones too, takes a share of the cleanup: it
	// only deletes files, and the shared consumer gives each job to one.
	go func() {
		err := broker.ConsumeCleanups(ctx, queue.ConsumeConfig{AckWait: cfg.Media.JobAckWait, MaxDeliver: cleanupAttempts}, w.Cleanup)
		if err != nil && ctx.Err() == nil {
			log.Error("media cleanup worker stopped", "err", err)
		}
	}()
	if cfg.Media.Workers > 0 {
		go func() {
			err := broker.ConsumeTranscodes(ctx, queue.ConsumeConfig{
				Concurrency: cfg.Media.Workers, AckWait: cfg.Media.JobAckWait,
				MaxDeliver: cfg.Media.JobAttempts, Backoff: backoff(cfg.Media.JobAttempts),
			}, w.Handle)
			if err != nil && ctx.Err() == nil {
				log.Error("transcode worker stopped", "err", err)
			}
		}()
	}

	if cfg.Demo {
		if cfg.OIDCIssuer != "" {
			return errors.New("demo data needs the embedded issuer: drop --oidc-issuer or --demo")
		}
		if err := demo.Seed(ctx, stores, users, catalog, playlists, log); err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		}
		go func() {
			if err := demo.SeedAudio(ctx, stores, media, blobs, cfg.Media.FFmpeg, log); err != nil {
				log.Error("demo audio", "err", err)
				return
			}
			// Client test scripts wait for this line (clients/with-server.sh).
			log.Info("demo data ready")
		}()
	}

	resolver := newResolver(publicURL, cfg.OIDCIssuer, users)
	opts := []connect.HandlerOption{
		connect.WithInterceptors(
			apierr.NewInterceptor(log),
			timeoutInterceptor(cfg.RPCTimeout),
			auth.NewInterceptor(verifier, resolver, publicProcedures),
		),
		connect.WithReadMaxBytes(cfg.MaxRequestBytes),
	}
	mux := http.NewServeMux()
	mux.Handle(userv1connect.NewUserServiceHandler(userapi.New(users, auth.PrincipalFrom), opts...))
	mux.Handle(catalogv1connect.NewCatalogServiceHandler(catalogapi.New(catalog, media, auth.PrincipalFrom), opts...))
	mux.Handle(playlistv1connect.NewPlaylistServiceHandler(playlistapi.New(playlists, auth.PrincipalFrom), opts...))
	mux.Handle(playbackv1connect.NewPlaybackServiceHandler(playbackapi.New(playback, auth.PrincipalFrom), opts...))

	reflector := grpcreflect.NewStaticReflector(append(serviceNames, grpchealth.HealthV1ServiceName)...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector))
	mux.Handle(grpchealth.NewHandler(grpchealth.NewStaticChecker(serviceNames...)))
	mediahttp.New(blobs, signer, media, cfg.Media.MaxUploadBytes, log).Register(mux)
	if issuer != nil {
		mux.Handle("/.well-known/", issuer.Handler())
	}

	h = httpserver.Recover(log, httpserver.AccessLog(log, httpserver.CORS(cfg.CORSOrigins, mux)))

	log.Info("backbeat serving", "addr", srv.Addr().String(), "public_url", publicURL,
		"tls", srv.TLS(), "store", cfg.Store, "data_dir", cfg.DataDir, "oidc_issuer", firstNonEmpty(cfg.OIDCIssuer, publicURL))
	if ready != nil {
		ready(srv.Addr(), publicURL)
	}
	return srv.Serve(ctx)
}

// store is what every store adapter offers the wiring.
type store interface {
	Stores() domain.Stores
	Close() error
}

func openStore(ctx context.Context, cfg Config) (domain.Stores, func(), error) {
	var (
		st  store
		err error
	)
	switch cfg.Store {
	case "embedded":
		st, err = embedded.Open(ctx, cfg.DataDir, cfg.Logger)
		if err != nil {
			return domain.Stores{}, nil, fmt.Errorf("open embedded store in %s: %w", cfg.DataDir, err)
		}
	case "cassandra":
		cc := cfg.Cassandra
		cc.Logger = cfg.Logger
		st, err = cassandra.Open(ctx, cc)
		if err != nil {
			return domain.Stores{}, nil, fmt.Errorf("open cassandra store (hosts %v, local DC %s): %w", cc.Hosts, cc.LocalDC, err)
		}
	default:
		return domain.Stores{}, nil, fmt.Errorf("unknown store %q (want embedded or cassandra)", cfg.Store)
	}
	return st.Stores(), func() {
		if err := st.Close(); err != nil {
			cfg.Logger.Error("close store", "err", err)
		}
	}, nil
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
