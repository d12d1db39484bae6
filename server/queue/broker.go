package queue

import (
	"context"
	"errors"
	"fmt"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/backbeat/backbeat/server/domain"
)

// Stream, subject and consumer names. They are part of the deployment's
// persistent state: renaming one strands what the old name holds.
const (
	// JobsStream holds pending jobs (work-queue retention: a job is removed
	// once a worker acks or terminates it).
	JobsStream = "BACKBEAT_JOBS"
	// TranscodeSubject is the subject transcode jobs are published on.
	TranscodeSubject = "backbeat.jobs.transcode"
	// TranscodeConsumer is the one durable pull consumer every replica's
	// workers share, so each job goes to exactly one worker at a time.
	TranscodeConsumer = "transcoders"
	// UrgentTranscodeSubject carries the transcode jobs of tracks someone
	// tried to play before their ladder was ready; UrgentTranscodeConsumer
	// is its shared consumer. Workers take from it before the bulk subject.
	UrgentTranscodeSubject  = "backbeat.jobs.transcode-urgent"
	UrgentTranscodeConsumer = "transcoders-urgent"

	// PlaysStream keeps play events for later consumers (analytics,
	// royalties), one subject per user: PlaySubject(userID).
	PlaysStream = "BACKBEAT_PLAYS"
	// PlaySubjectPrefix prefixes every play event subject.
	PlaySubjectPrefix = "backbeat.plays."

	// JobsDedupeWindow is how long a job's UploadID is remembered: enqueueing
	// the same upload again within it yields no second job.
	JobsDedupeWindow = 10 * time.Minute
	// PlaysDedupeWindow is how long a play event's id is remembered, long
	// enough to absorb a client's retry of a failed request.
	PlaysDedupeWindow = 5 * time.Minute
	// DefaultPlayRetention is how long play events are kept.
	DefaultPlayRetention = 30 * 24 * time.Hour
)

// ErrClosed is returned by a Broker's methods once Close has been called.
var ErrClosed = errors.New("queue: broker closed")

// Config configures a Broker.
type Config struct {
	// URL of a NATS cluster with JetStream enabled (nats://host:port, or
	// tls://host:port; a comma separated list for several seeds;
	// user:password@ in the URL for authentication). Empty runs an embedded
	// NATS server in-process.
	URL string
	// StoreDir is the JetStream file storage of the embedded server (e.g.
	// <data-dir>/nats). Required when URL is empty, unused otherwise. Streams,
	// pending jobs and consumer state survive restarts there.
	StoreDir string
	// Listen, when set (host:port; port 0 picks a free one), makes the
	// embedded server also accept NATS clients there, so other replicas can
	// share it by URL. Empty keeps it in-process only: no TCP port is opened.
	// The host must be named (127.0.0.1 for this machine only, 0.0.0.0 for
	// every interface), and User and Password are then required.
	Listen string
	// User and Password authenticate NATS clients. With Listen the embedded
	// server refuses every client without them, and this process's own
	// in-process connection presents them too; with URL they are sent to the
	// cluster (user:password@ in the URL works as well).
	User, Password string
	// TLSCert and TLSKey (PEM files) make the embedded server's Listen port
	// speak TLS only. TLSCA (a PEM file) is the CA trusted for the server
	// certificate of URL; with it the connection requires TLS.
	TLSCert, TLSKey, TLSCA string
	// Replicas is the number of stream replicas on a cluster (default 1). The
	// embedded server is a single node: only 1 is allowed there.
	Replicas int
	// PlayRetention is how long play events are kept (default 30 days).
	PlayRetention time.Duration
	// Name identifies this process's connection to the NATS server (default
	// "backbeat").
	Name   string
	Logger *slog.Logger
	// TracerProvider traces each job as a child of the request that queued
	// it (the trace context travels in the message headers); nil traces
	// nothing.
	TracerProvider trace.TracerProvider
	// JobDone, when set, is told of every job run: its kind (transcode,
	// cleanup), outcome (ok, retry, failed, abandoned) and run time.
	JobDone func(kind, outcome string, took time.Duration)
}

// Broker is Backbeat's message broker: the transcode job queue and the play
// event log, both on NATS JetStream. It is safe for concurrent use.
type Broker struct {
	log     *slog.Logger
	tracer  trace.Tracer
	jobDone func(kind, outcome string, took time.Duration)
	nc      *nats.Conn
	js      jetstream.JetStream
	srv     *server.Server // embedded server, nil when connected to a URL

	ncClosed chan struct{} // closed when nc is closed

	done      chan struct{} // closed by Close: consumers stop
	mu        sync.Mutex
	closing   bool
	consumers sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

var (
	_ domain.JobQueue     = (*Broker)(nil)
	_ domain.CleanupQueue = (*Broker)(nil)
	_ domain.PlayEventLog = (*Broker)(nil)
)

const (
	embeddedStartTimeout = time.Minute
	closeConsumersWait   = 30 * time.Second
	drainTimeout         = 10 * time.Second
)

// Open connects to the broker (starting the embedded server when cfg.URL is
// empty) and creates or updates the streams. It is idempotent: every replica
// calls it at start.
func Open(ctx context.Context, cfg Config) (*Broker, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "queue")
	replicas := cfg.Replicas
	if replicas == 0 {
		replicas = 1
	}
	if replicas < 0 || replicas > 5 {
		return nil, fmt.Errorf("queue: replicas must be between 1 and 5, got %d", cfg.Replicas)
	}
	retention := cfg.PlayRetention
	if retention == 0 {
		retention = DefaultPlayRetention
	}
	if retention < 0 {
		return nil, fmt.Errorf("queue: negative play retention %s", retention)
	}
	name := cfg.Name
	if name == "" {
		name = "backbeat"
	}

	b := &Broker{log: log, ncClosed: make(chan struct{}), done: make(chan struct{}), jobDone: cfg.JobDone}
	tp := cfg.TracerProvider
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	b.tracer = tp.Tracer(tracerName)
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DrainTimeout(drainTimeout),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("nats reconnected", "url", c.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			log.Error("nats async error", "subject", subj, "err", err)
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(b.ncClosed) }),
	}
	url := cfg.URL
	if url == "" {
		if cfg.StoreDir == "" {
			return nil, errors.New("queue: StoreDir is required for the embedded server (URL is empty)")
		}
		if replicas != 1 {
			return nil, fmt.Errorf("queue: the embedded server is a single node: replicas must be 1, got %d", replicas)
		}
		if cfg.TLSCA != "" {
			return nil, errors.New("queue: TLSCA applies to a URL only; the embedded server takes TLSCert and TLSKey")
		}
		srv, err := startEmbedded(ctx, cfg, log)
		if err != nil {
			return nil, err
		}
		b.srv = srv
		opts = append(opts, nats.InProcessServer(srv))
		url = nats.DefaultURL // unused: the connection is in-process
	} else if cfg.StoreDir != "" || cfg.Listen != "" || cfg.TLSCert != "" || cfg.TLSKey != "" {
		return nil, errors.New("queue: StoreDir, Listen, TLSCert and TLSKey apply to the embedded server only; leave them empty with a URL")
	} else if cfg.TLSCA != "" {
		opts = append(opts, nats.RootCAs(cfg.TLSCA))
	}
	if cfg.User != "" {
		opts = append(opts, nats.UserInfo(cfg.User, cfg.Password))
	}

	nc, err := nats.Connect(url, opts...)
	if err != nil {
		b.shutdownServer()
		return nil, fmt.Errorf("queue: connect to nats: %w", err)
	}
	b.nc = nc
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(10*time.Second))
	if err != nil {
		b.abort()
		return nil, fmt.Errorf("queue: jetstream: %w", err)
	}
	b.js = js

	for _, sc := range []jetstream.StreamConfig{
		{
			Name:        JobsStream,
			Description: "Backbeat background jobs, each taken by one worker",
			Subjects:    []string{"backbeat.jobs.>"},
			Retention:   jetstream.WorkQueuePolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			Duplicates:  JobsDedupeWindow,
		},
		{
			Name:        PlaysStream,
			Description: "Backbeat play events, one subject per user",
			Subjects:    []string{PlaySubjectPrefix + "*"},
			Retention:   jetstream.LimitsPolicy,
			Discard:     jetstream.DiscardOld,
			MaxAge:      retention,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			Duplicates:  PlaysDedupeWindow,
		},
	} {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			b.abort()
			return nil, fmt.Errorf("queue: create or update stream %s: %w", sc.Name, err)
		}
	}
	log.Info("queue broker open", "url", nc.ConnectedUrlRedacted(), "embedded", b.srv != nil, "listen", b.ClientURL(), "replicas", replicas)
	return b, nil
}

// ClientURL is the URL other replicas connect to when this Broker runs the
// embedded server with Listen set; empty otherwise.
func (b *Broker) ClientURL() string {
	if b.srv == nil || b.srv.Addr() == nil {
		return ""
	}
	return b.srv.ClientURL()
}

// Close stops the Broker's consumers (their handlers' contexts are cancelled;
// jobs they abandon are released to other workers), drains the connection so
// acknowledgements and publishes in flight reach the server, and shuts the
// embedded server down. Further calls return the first call's result.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closing = true
		close(b.done)
		b.mu.Unlock()

		waited := make(chan struct{})
		go func() { b.consumers.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(closeConsumersWait):
			b.log.Warn("queue close: handlers still running, closing anyway; their jobs will be redelivered", "waited", closeConsumersWait)
		}

		if err := b.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			b.closeErr = fmt.Errorf("queue: drain: %w", err)
			b.nc.Close()
		}
		select {
		case <-b.ncClosed:
		case <-time.After(drainTimeout + time.Second):
			b.nc.Close()
		}
		b.shutdownServer()
	})
	return b.closeErr
}

// abort tears a half-opened Broker down.
func (b *Broker) abort() {
	b.nc.Close()
	b.shutdownServer()
}

func (b *Broker) shutdownServer() {
	if b.srv == nil {
		return
	}
	b.srv.Shutdown()
	b.srv.WaitForShutdown()
	b.log.Info("embedded nats server stopped")
}

// startEmbedded runs a single-node NATS server with JetStream stored in
// cfg.StoreDir, listening on cfg.Listen (if set) for authenticated clients.
func startEmbedded(ctx context.Context, cfg Config, log *slog.Logger) (*server.Server, error) {
	dir, listen := cfg.StoreDir, cfg.Listen
	// Private whatever the umask: the streams hold every user's play events.
	// The server's file store creates its own files 0600 inside.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("queue: store dir: %w", err)
	}
	opts := &server.Options{
		ServerName: "backbeat-embedded",
		JetStream:  true,
		StoreDir:   dir,
		NoSigs:     true,
		Username:   cfg.User,
		Password:   cfg.Password,
	}
	if (cfg.User == "") != (cfg.Password == "") {
		return nil, errors.New("queue: User and Password go together")
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("queue: TLSCert and TLSKey go together")
	}
	if listen == "" {
		if cfg.TLSCert != "" {
			return nil, errors.New("queue: TLSCert and TLSKey apply to Listen only")
		}
		opts.DontListen = true
	} else {
		if cfg.User == "" {
			// Any client reaching the port could read every user's play
			// events, delete streams and inject jobs.
			return nil, fmt.Errorf("queue: listen address %q: User and Password are required to accept network clients", listen)
		}
		host, port, err := net.SplitHostPort(listen)
		if err != nil {
			return nil, fmt.Errorf("queue: listen address %q: %w", listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return nil, fmt.Errorf("queue: listen address %q: bad port", listen)
		}
		if p == 0 {
			p = server.RANDOM_PORT
		}
		if host == "" {
			// An empty host used to mean every interface: refuse it rather
			// than guess, so nobody exposes (or hides) the broker by accident.
			return nil, fmt.Errorf("queue: listen address %q: name the host, e.g. 127.0.0.1:%s (this machine only) or 0.0.0.0:%s (every interface)", listen, port, port)
		}
		opts.Host, opts.Port = host, p
		if cfg.TLSCert != "" {
			tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: cfg.TLSCert, KeyFile: cfg.TLSKey})
			if err != nil {
				return nil, fmt.Errorf("queue: embedded nats server TLS: %w", err)
			}
			opts.TLSConfig, opts.TLS = tc, true
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("queue: embedded nats server: %w", err)
	}
	sl := &serverLogger{log: log.With("nats", "server")}
	srv.SetLoggerV2(sl, log.Enabled(ctx, slog.LevelDebug), false, false)
	go srv.Start()

	deadline := time.Now().Add(embeddedStartTimeout)
	for !srv.ReadyForConnections(100 * time.Millisecond) {
		var err error
		switch {
		case sl.fatal.Load() != nil:
			err = fmt.Errorf("queue: embedded nats server: %s", *sl.fatal.Load())
		case ctx.Err() != nil:
			err = fmt.Errorf("queue: embedded nats server: %w", ctx.Err())
		case time.Now().After(deadline):
			err = fmt.Errorf("queue: embedded nats server not ready after %s", embeddedStartTimeout)
		}
		if err != nil {
			srv.Shutdown()
			srv.WaitForShutdown()
			return nil, err
		}
	}
	if msg := sl.fatal.Load(); msg != nil { // e.g. JetStream failed to start
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("queue: embedded nats server: %s", *msg)
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, errors.New("queue: embedded nats server started without JetStream")
	}
	addr := "in-process"
	if a := srv.Addr(); a != nil {
		addr = a.String()
	}
	log.Info("embedded nats server started", "store_dir", dir, "listen", addr)
	return srv, nil
}

// serverLogger routes the embedded server's log to slog. Its notices (the
// startup banner and the like) are debug-level here; warnings and errors keep
// their level. A fatal error is also remembered so Open can report it.
type serverLogger struct {
	log   *slog.Logger
	fatal atomic.Pointer[string]
}

func (l *serverLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.fatal.CompareAndSwap(nil, &msg)
	l.log.Error(msg, "fatal", true)
}

// unavailable wraps a broker failure as a domain error callers may retry.
func unavailable(msg string, err error) error {
	return &domain.Error{Kind: domain.KindUnavailable, Msg: msg, Err: err}
}

// Ping asks JetStream for the account's state: a round trip that fails
// when the broker cannot serve (readiness).
func (b *Broker) Ping(ctx context.Context) error {
	if _, err := b.js.AccountInfo(ctx); err != nil {
		return unavailable("queue: ping", err)
	}
	return nil
}
