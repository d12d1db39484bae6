package app

import (
	"go.opentelemetry.io/otel/trace"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/backbeat/backbeat/server/cache"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/httpserver"
	"github.com/backbeat/backbeat/server/media/transcode"
	"github.com/backbeat/backbeat/server/media/urlsign"
	"github.com/backbeat/backbeat/server/obs"
	"github.com/backbeat/backbeat/server/ratelimit"
	"github.com/backbeat/backbeat/server/store/cassandra"
)

// Config is everything a server process is told. Start from Defaults: a
// zero field means "not set" only where its comment says what then applies.
type Config struct {
	Addr string
	// Listener, when set, is served instead of binding Addr (tests hand in
	// a loopback listener they already hold). New takes it over: Close, or a
	// failed New, closes it. Not a flag.
	Listener net.Listener
	// PublicURL is the externally visible base URL; the embedded issuer uses
	// it as its issuer identifier. Empty: http(s)://<bound address>.
	PublicURL string
	DataDir   string
	Store     string
	// Role is what this process does: RoleAll (the default) serves the API
	// and transcodes; RoleAPI only serves the API (as --transcode-workers
	// 0); RoleWorker only transcodes and cleans up media, answering health
	// checks but no RPC, so it scales apart from the API (Kubernetes'
	// transcode-worker Deployment).
	Role string
	// Cassandra is used with Store "cassandra". An empty Replication means
	// <LocalDC>:1 on a single-datacenter cluster, and is refused on a
	// cluster of several.
	Cassandra cassandra.Config
	// SearchURL, with Store "cassandra", is the OpenSearch endpoint the
	// Search RPC queries; the store's change feed keeps it indexed. Empty:
	// the store searches itself (the embedded store's in-memory index, the
	// Cassandra store's prefix table).
	SearchURL string
	TLSCert   string
	TLSKey    string
	// OIDCIssuer and OIDCAudience switch auth to an external provider.
	OIDCIssuer   string
	OIDCAudience string
	// CORSOrigins are the browser origins allowed; empty disables CORS.
	CORSOrigins []string
	AccessTTL   time.Duration
	RefreshTTL  time.Duration
	// RPCTimeout caps each RPC's deadline.
	RPCTimeout time.Duration
	// MaxRequestBytes caps a request message.
	MaxRequestBytes int
	// Limits bounds connections and slow request bodies; zero fields take
	// httpserver.DefaultLimits.
	Limits httpserver.Limits
	Media  MediaConfig

	// RateLimit budgets clients per address and per account and bounds the
	// expensive work in flight, per replica (see server/ratelimit).
	RateLimit ratelimit.Config
	// MaxCountedPerHour caps a user's counted plays per hour.
	MaxCountedPerHour int

	// AdminAddr is the admin listener (host:port): /metrics, /healthz,
	// /readyz and /debug/pprof/. Empty: none. AdminListener, when set, is
	// served instead (tests); New takes it over. Not a flag.
	AdminAddr     string
	AdminListener net.Listener
	// Metrics collects Prometheus metrics (served on the admin listener).
	Metrics bool
	// OTLPEndpoint, when set, exports traces over OTLP/HTTP there, sampling
	// TraceSampleRatio of the traces that start here. TracerProvider, when
	// set, is used instead (tests). Not a flag.
	OTLPEndpoint     string
	TraceSampleRatio float64
	TracerProvider   trace.TracerProvider
	// DrainDelay is how long the server answers /readyz 503 after it is
	// told to stop, before it stops accepting connections: time for load
	// balancers to take it out of rotation.
	DrainDelay time.Duration
	// Breaker tunes the circuit breaker of each external dependency.
	Breaker obs.BreakerConfig
	// SearchEngine, when set, answers Search instead of the store or
	// OpenSearch (a test's engine). Not a flag.
	SearchEngine domain.SearchEngine

	// CacheSize bounds the metadata cache in front of the store (approximate
	// bytes of its entries; 0 turns it off); CacheTTL is how long an entry is
	// served, the staleness bound when another replica's invalidation is
	// missed (see server/cache).
	CacheSize int64
	CacheTTL  time.Duration

	// Demo seeds a demo catalog and users into an empty store.
	Demo bool
	// LogLevel and LogFormat ("text" or "json") shape the logger that
	// NewLogger builds; Logger, when set, is used as is.
	LogLevel  slog.Level
	LogFormat string
	Logger    *slog.Logger
}

// MediaConfig configures uploads, transcoding, the broker and streaming.
type MediaConfig struct {
	// BlobDir holds uploads and transcoded media. Empty: <data-dir>/blobs.
	// Replicas share it, or an S3 bucket instead (S3Bucket).
	BlobDir string
	// S3Bucket, when set, keeps uploads and media in that bucket (under
	// S3Prefix) on S3Endpoint (host:port or URL; empty means Amazon S3)
	// instead of BlobDir. Empty keys use AWS_ACCESS_KEY_ID and friends.
	// S3Insecure talks plain HTTP; S3CreateBucket creates a missing bucket
	// at start-up instead of failing.
	S3Endpoint, S3Region, S3Bucket, S3Prefix string
	S3AccessKey, S3SecretKey                 string
	S3Insecure, S3CreateBucket               bool
	// SigningKey signs media URLs (hex, at least 32 bytes). Replicas must
	// share it. Empty: a random key kept in <data-dir>/media-signing.key.
	SigningKey string
	// StreamTTL is how long streaming URLs stay valid; UploadTTL likewise for
	// upload URLs.
	StreamTTL, UploadTTL time.Duration
	MaxUploadBytes       int64
	MaxDuration          time.Duration

	// PrecheckTimeout bounds the cheap decode pass that refuses silent or
	// over-long audio before the ladder is encoded.
	PrecheckTimeout time.Duration

	// NATSURL points at a NATS cluster; empty runs one embedded in-process,
	// storing in <data-dir>/nats, reachable by other replicas at NATSListen
	// when that is set (host:port with the host named; NATSUser and
	// NATSPassword are then required).
	NATSURL, NATSListen string
	// NATSUser and NATSPassword are the broker credentials: the embedded
	// broker demands them of every client on NATSListen, and they are
	// presented to NATSURL (which may also carry user:password@).
	NATSUser, NATSPassword string
	// NATSTLSCert and NATSTLSKey (PEM) make NATSListen TLS only; NATSTLSCA
	// (PEM) is the CA trusted for NATSURL's certificate.
	NATSTLSCert, NATSTLSKey, NATSTLSCA string
	// Workers bounds concurrent transcodes in this process (0 disables the
	// worker, for API-only replicas: another replica transcodes).
	Workers     int
	JobAckWait  time.Duration
	JobAttempts int
	// LiveTranscodes bounds the on-the-fly transcodes this process streams
	// at once, for tracks played before their ladder is ready.
	LiveTranscodes int
	// CleanupGrace is how long a media set replaced by a new upload stays in
	// blob storage. Zero: StreamTTL plus the 5-minute rounding of URL
	// expiries, plus 5 minutes for clocks, so URLs already handed out for it
	// keep working until they expire.
	CleanupGrace time.Duration
	FFmpeg       string
	FFprobe      string
}

// Defaults is the one source of every default: the flags show and start
// from these values, and tests start from them too.
func Defaults() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "./data",
		Store:           "embedded",
		Role:            RoleAll,
		Cassandra:       serveCassandraDefaults(),
		OIDCAudience:    "backbeat",
		CORSOrigins:     []string{"*"},
		AccessTTL:       15 * time.Minute,
		RefreshTTL:      30 * 24 * time.Hour,
		RPCTimeout:      30 * time.Second,
		MaxRequestBytes: 4 << 20,
		Limits:          httpserver.DefaultLimits,
		LogLevel:        slog.LevelInfo,
		LogFormat:       "text",
		Media: MediaConfig{
			StreamTTL:      time.Hour,
			UploadTTL:      time.Hour,
			MaxUploadBytes: 512 << 20,
			MaxDuration:    30 * time.Minute,
			Workers:        1,
			LiveTranscodes: 8,
			JobAckWait:     30 * time.Second,
			JobAttempts:    5,
			FFmpeg:         "ffmpeg",
			FFprobe:        "ffprobe",

			PrecheckTimeout: transcode.DefaultPrecheckTimeout,
		},

		AdminAddr:        "127.0.0.1:9464",
		Metrics:          true,
		TraceSampleRatio: 0.1,
		Breaker:          obs.DefaultBreaker,

		RateLimit:         RateLimitDefaults(),
		MaxCountedPerHour: domain.DefaultMaxCountedPerHour,
		CacheSize:         cache.DefaultMaxBytes,
		CacheTTL:          cache.DefaultTTL,
	}
}

// The roles of a process (Config.Role).
const (
	RoleAll    = "all"
	RoleAPI    = "api"
	RoleWorker = "worker"
)

// serves reports whether the process serves the API; transcodes whether
// it takes transcode jobs.
func (c Config) serves() bool     { return c.Role != RoleWorker }
func (c Config) transcodes() bool { return c.Role != RoleAPI && c.Media.Workers > 0 }

// RateLimitDefaults suit a small deployment on a few cores: a browser
// session or an SDK never meets them, a script hammering one address or one
// account does.
func RateLimitDefaults() ratelimit.Config {
	return ratelimit.Config{
		Enabled: true,
		// 50 requests/s per address with a burst of 200: a page load, a
		// playlist import or a player fetching segments stays well under.
		Address: ratelimit.Rate{Limit: 50, Per: time.Second, Burst: 200},
		// 30 sign-ins (Login, Register, RefreshToken) a minute per address:
		// a household or an office behind one NAT, not a password sprayer.
		SignIn: ratelimit.Rate{Limit: 30, Per: time.Minute},
		Writes: ratelimit.Rate{Limit: 300, Per: time.Minute},
		// A player reports every few seconds at most.
		Plays: ratelimit.Rate{Limit: 60, Per: time.Minute},
		// An account (a login name) gets 5 free failures, then 1 s doubling
		// to 30 s: a guesser from many addresses gets two tries a minute, and
		// the owner is never kept out for more than 30 s at a time.
		LoginAccount: ratelimit.Backoff{Free: 5, Base: time.Second, Max: 30 * time.Second, Forget: 15 * time.Minute},
		// An address gets 20 (a NAT shares it), then 1 s doubling to 15 min:
		// the guesser's own address bears the long delays.
		LoginAddress: ratelimit.Backoff{Free: 20, Base: time.Second, Max: 15 * time.Minute, Forget: time.Hour},
		// Argon2 uses one core per hash: twice the cores keeps them busy
		// without a queue of 19 MiB computations.
		Hashes:           2 * runtime.GOMAXPROCS(0),
		Searches:         8,
		Uploads:          4,
		TranscodeBacklog: 20,
	}
}

// CassandraDefaults are the Cassandra connection defaults, shared by serve
// and migrate.
func CassandraDefaults() cassandra.Config {
	return cassandra.Config{
		Hosts:    []string{"127.0.0.1"},
		LocalDC:  "dc1",
		Keyspace: "backbeat",
		Timeout:  5 * time.Second,
	}
}

// DefaultPlayRollupPeriod is how often a serving replica's play rollup runs
// (--play-rollup-period) on the Cassandra store.
const DefaultPlayRollupPeriod = 15 * time.Second

// serveCassandraDefaults are CassandraDefaults with the play rollup on:
// serving replicas run it (the one holding its lease does the work); the
// other commands open the store without it.
func serveCassandraDefaults() cassandra.Config {
	c := CassandraDefaults()
	c.PlayRollupPeriod = DefaultPlayRollupPeriod
	return c
}

// derived fills the defaults that depend on other fields, once they are
// final (after flags and environment).
func (c Config) derived() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Media.BlobDir == "" {
		c.Media.BlobDir = filepath.Join(c.DataDir, "blobs")
	}
	if c.Media.CleanupGrace == 0 {
		c.Media.CleanupGrace = c.Media.StreamTTL + urlsign.Bucket + 5*time.Minute
	}
	c.Cassandra = CassandraDerived(c.Cassandra)
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c
}

// CassandraDerived fills what follows from other Cassandra settings. The
// replication is deliberately not defaulted here: cassandra.Migrate gives a
// single-datacenter cluster one replica in it, and refuses to guess for a
// cluster of several datacenters (ErrReplicationRequired).
func CassandraDerived(c cassandra.Config) cassandra.Config {
	return c
}

// EnvVar is the environment variable that also sets flag name:
// BACKBEAT_<NAME>, dashes as underscores.
func EnvVar(flagName string) string {
	return "BACKBEAT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// NewLogger builds the logger LogLevel and LogFormat describe, writing to w.
func (c Config) NewLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
