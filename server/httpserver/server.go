// Package httpserver runs Backbeat's one HTTP listener: HTTP/2 over TLS or
// cleartext (h2c) with HTTP/1.1 beside it, so the Connect, gRPC and gRPC-Web
// protocols all reach the same handlers, plus the middleware every request
// crosses (panic recovery, access log, CORS).
package httpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Config is the listener's configuration.
type Config struct {
	// Addr is host:port to listen on; port 0 picks a free one.
	Addr string
	// TLSCertFile and TLSKeyFile switch the listener to TLS (HTTP/2 via ALPN).
	TLSCertFile, TLSKeyFile string
	// ShutdownTimeout bounds the graceful drain on shutdown.
	ShutdownTimeout time.Duration
	// Limits bounds connections and slow bodies; see DefaultLimits.
	Limits Limits
	Logger *slog.Logger
}

// Server is a started listener.
type Server struct {
	cfg  Config
	ln   net.Listener
	http *http.Server
}

// Listen binds the address so callers learn the real port before serving.
func Listen(cfg Config, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	s, err := New(cfg, ln, h)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return s, nil
}

// New serves on a listener the caller already holds (cfg.Addr is then
// unused), e.g. a test's loopback listener. The Server owns ln once New
// succeeds; on error the caller still does.
func New(cfg Config, ln net.Listener, h http.Handler) (*Server, error) {
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 15 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Limits = cfg.Limits.withDefaults()
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	if cfg.TLSCertFile != "" {
		protocols.SetHTTP2(true)
	} else {
		// Cleartext HTTP/2 with prior knowledge is what gRPC clients and
		// grpcurl -plaintext speak; the standard library serves it natively.
		protocols.SetUnencryptedHTTP2(true)
	}
	srv := &http.Server{
		Handler:   minRate(cfg.Limits, h),
		Protocols: protocols,
		// Headers must arrive within 10 s of the connection (or of the
		// previous request); the body has its own, rate-based deadline
		// (minRate), which a fixed ReadTimeout could not give uploads.
		ReadHeaderTimeout: 10 * time.Second,
		// No WriteTimeout: media responses and streams may run long; RPCs are
		// bounded by their deadline instead, and a peer that stops reading
		// is cut by HTTP2.WriteByteTimeout (HTTP/2) or TCP keep-alives.
		IdleTimeout: 2 * time.Minute,
		// 64 KiB of headers is ample for a bearer token and tracing
		// headers; for HTTP/2 it is also the advertised
		// SETTINGS_MAX_HEADER_LIST_SIZE.
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		HTTP2: &http.HTTP2Config{
			// 100 is the floor RFC 9113 recommends and what most servers
			// advertise; each stream may buffer MaxReceiveBufferPerStream,
			// so this bounds one connection's memory.
			MaxConcurrentStreams: 100,
			// Frames of up to 64 KiB: enough for throughput, and the
			// per-frame buffer a connection holds stays small.
			MaxReadFrameSize: 64 << 10,
			// Flow-control windows: a stream may have 1 MiB and a
			// connection 4 MiB unread in the server's buffers.
			MaxReceiveBufferPerStream:     1 << 20,
			MaxReceiveBufferPerConnection: 4 << 20,
			// HPACK tables at the protocol's default size, stated so a
			// future default change does not grow them silently.
			MaxDecoderHeaderTableSize: 4 << 10,
			MaxEncoderHeaderTableSize: 4 << 10,
			// A peer that accepts no response bytes for a minute is gone
			// or hostile; its connection is closed.
			WriteByteTimeout: time.Minute,
		},
	}
	if cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("load TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return &Server{cfg: cfg, ln: newLimitListener(ln, cfg.Limits.MaxConns), http: srv}, nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// TLS reports whether the listener serves TLS.
func (s *Server) TLS() bool { return s.cfg.TLSCertFile != "" }

// Serve serves until ctx ends, then drains in-flight requests gracefully.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() {
		var err error
		if s.TLS() {
			err = s.http.ServeTLS(s.ln, "", "")
		} else {
			err = s.http.Serve(s.ln)
		}
		errc <- err
	}()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil // Close ended it: that is how a caller stops it early
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.cfg.Logger.Info("shutting down", "drain_timeout", s.cfg.ShutdownTimeout)
	shutCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.http.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// Close stops serving at once: the listener and every connection close,
// requests in flight fail. It is for tear-down after Serve's graceful drain,
// or instead of Serve when the Server never served; then it releases the
// listener.
func (s *Server) Close() error {
	err := s.http.Close()
	// Serve closes the listener through http.Server; a Server that never
	// served still holds it.
	if cerr := s.ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) && err == nil {
		err = cerr
	}
	return err
}
