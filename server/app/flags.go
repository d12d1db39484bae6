package app

import (
	"errors"
	"flag"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/backbeat/backbeat/server/store/cassandra"
)

// flags registers flags on fs that write straight into the fields they
// name. The value each field holds when registered is the flag's default,
// so defaults live in Defaults only. Every flag's help names its
// environment variable.
type flags struct{ fs *flag.FlagSet }

func (f flags) help(name, usage string) string { return usage + " (env " + EnvVar(name) + ")" }

func (f flags) stringVar(p *string, name, usage string) {
	f.fs.StringVar(p, name, *p, f.help(name, usage))
}
func (f flags) boolVar(p *bool, name, usage string) {
	f.fs.BoolVar(p, name, *p, f.help(name, usage))
}
func (f flags) intVar(p *int, name, usage string) { f.fs.IntVar(p, name, *p, f.help(name, usage)) }
func (f flags) int64Var(p *int64, name, usage string) {
	f.fs.Int64Var(p, name, *p, f.help(name, usage))
}
func (f flags) durationVar(p *time.Duration, name, usage string) {
	f.fs.DurationVar(p, name, *p, f.help(name, usage))
}
func (f flags) listVar(p *[]string, name, usage string) {
	f.fs.Var((*listValue)(p), name, f.help(name, usage))
}

// BindFlags registers every serve flag on fs, bound to c's fields, with c's
// current values as defaults (start from Defaults).
func (c *Config) BindFlags(fs *flag.FlagSet) {
	f := flags{fs}
	m := &c.Media
	f.stringVar(&c.Addr, "addr", "listen address host:port")
	f.stringVar(&c.PublicURL, "public-url", "externally visible base URL (default http://<addr>)")
	c.BindStoreFlags(fs)
	f.stringVar(&c.Role, "role", "what this process does: all (API and transcoding), api (API only) or worker (transcoding only, no RPC)")
	BindSearchFlags(fs, &c.SearchURL)
	f.stringVar(&c.TLSCert, "tls-cert", "TLS certificate file (PEM); with --tls-key serves HTTPS/HTTP2")
	f.stringVar(&c.TLSKey, "tls-key", "TLS private key file (PEM)")
	f.stringVar(&c.OIDCIssuer, "oidc-issuer", "external OIDC issuer URL to trust instead of the embedded issuer")
	f.stringVar(&c.OIDCAudience, "oidc-audience", "expected audience (client id) of access tokens")
	fs.Var(removedAdmins{}, "admins", f.help("admins", "removed: refused when set; make an existing account admin with 'backbeat admin grant USERNAME'"))
	f.listVar(&c.CORSOrigins, "cors-origins", "comma-separated browser origins allowed by CORS; empty disables CORS")
	f.intVar(&c.Limits.MaxConns, "max-connections", "open connections the listener holds at most; more wait in the backlog")
	f.durationVar(&c.Limits.BodyGrace, "body-grace", "time any request body may take before --body-min-rate applies")
	f.int64Var(&c.Limits.BodyMinRate, "body-min-rate", "slowest average request body rate after --body-grace, bytes/s; slower bodies are cut")
	c.bindRateLimitFlags(f)
	f.intVar(&c.MaxCountedPerHour, "max-counted-per-hour", "plays counted per user per hour at most; later plays stay in the history uncounted")
	f.durationVar(&c.Cassandra.PlayRollupPeriod, "play-rollup-period", "with --store cassandra, how often counted plays are added to play counts (a count shows within this plus 20s); 0: this replica never rolls up")
	f.durationVar(&c.AccessTTL, "access-ttl", "lifetime of access tokens issued by the embedded issuer")
	f.durationVar(&c.RefreshTTL, "refresh-ttl", "lifetime of refresh tokens")
	f.int64Var(&c.CacheSize, "cache-size", "bytes the metadata cache (tracks, albums, artists, playlists) may hold; 0 turns it off")
	f.durationVar(&c.CacheTTL, "cache-ttl", "longest a cached entity is served: how stale a replica may be when it misses another replica's invalidation (broker down)")
	fs.TextVar(&c.LogLevel, "log-level", c.LogLevel, f.help("log-level", "log level: debug, info, warn, error"))
	f.stringVar(&c.LogFormat, "log-format", "log format: text or json")
	f.stringVar(&c.AdminAddr, "admin-addr", "admin listener host:port serving /metrics, /healthz, /readyz and /debug/pprof/ (keep it private); empty: none")
	f.boolVar(&c.Metrics, "metrics", "collect Prometheus metrics, served on --admin-addr at /metrics")
	f.stringVar(&c.OTLPEndpoint, "otlp-endpoint", "OTLP/HTTP collector (URL, or host:port for plain HTTP) to export traces to; empty: no tracing")
	fs.Float64Var(&c.TraceSampleRatio, "trace-sample-ratio", c.TraceSampleRatio, f.help("trace-sample-ratio", "share of traces started here that are sampled, 0 to 1 (a caller's sampled trace is always followed)"))
	f.durationVar(&c.DrainDelay, "drain-delay", "on SIGTERM, how long /readyz answers 503 before the listener stops accepting (give load balancers time to notice)")
	f.stringVar(&m.BlobDir, "blob-dir", "directory of uploads and transcoded media, shared by replicas (default <data-dir>/blobs)")
	f.stringVar(&m.S3Bucket, "blob-s3-bucket", "S3 bucket for uploads and transcoded media instead of --blob-dir")
	f.stringVar(&m.S3Endpoint, "blob-s3-endpoint", "S3-compatible server, host:port or URL (default Amazon S3)")
	f.stringVar(&m.S3Region, "blob-s3-region", "S3 region (default us-east-1)")
	f.stringVar(&m.S3Prefix, "blob-s3-prefix", "key prefix inside the S3 bucket")
	f.stringVar(&m.S3AccessKey, "blob-s3-access-key", "S3 access key (default AWS_ACCESS_KEY_ID, ~/.aws/credentials)")
	f.stringVar(&m.S3SecretKey, "blob-s3-secret-key", "S3 secret key")
	f.boolVar(&m.S3Insecure, "blob-s3-insecure", "plain HTTP to the S3 endpoint")
	f.boolVar(&m.S3CreateBucket, "blob-s3-create-bucket", "create the S3 bucket at start-up if missing")
	f.stringVar(&m.SigningKey, "media-signing-key", "hex key (>= 32 bytes) signing media URLs, shared by replicas (default: generated into <data-dir>)")
	f.durationVar(&m.StreamTTL, "stream-url-ttl", "how long streaming URLs stay valid")
	f.durationVar(&m.UploadTTL, "upload-url-ttl", "how long upload URLs stay valid")
	f.int64Var(&m.MaxUploadBytes, "max-upload-bytes", "largest accepted upload, in bytes")
	f.durationVar(&m.MaxDuration, "max-audio-duration", "longest accepted audio")
	f.durationVar(&m.PrecheckTimeout, "precheck-timeout", "time the decode pass that refuses silent or over-long audio may take before the ladder is encoded")
	f.stringVar(&m.NATSURL, "nats-url", "NATS cluster URL(s) with JetStream; empty runs an embedded broker in <data-dir>/nats")
	f.stringVar(&m.NATSListen, "nats-listen", "host:port where the embedded broker accepts other replicas, with --nats-user and --nats-password (empty: in-process only)")
	f.stringVar(&m.NATSUser, "nats-user", "broker user: required of clients by --nats-listen, presented to --nats-url")
	f.stringVar(&m.NATSPassword, "nats-password", "broker password, with --nats-user (prefer the environment variable)")
	f.stringVar(&m.NATSTLSCert, "nats-tls-cert", "TLS certificate file (PEM); with --nats-tls-key, --nats-listen speaks TLS only")
	f.stringVar(&m.NATSTLSKey, "nats-tls-key", "TLS private key file (PEM) of --nats-listen")
	f.stringVar(&m.NATSTLSCA, "nats-tls-ca", "CA certificate file (PEM) trusted for --nats-url's server certificate")
	f.intVar(&m.Workers, "transcode-workers", "concurrent transcodes in this process; 0 leaves transcoding to other replicas")
	f.intVar(&m.LiveTranscodes, "live-transcodes", "on-the-fly transcodes streamed at once, for tracks played before their ladder is ready (more are refused with 503 and Retry-After)")
	f.durationVar(&m.JobAckWait, "transcode-ack-wait", "how long a silent worker keeps a job before it returns to the queue")
	f.intVar(&m.JobAttempts, "transcode-attempts", "attempts before a failing transcode marks the track failed")
	f.durationVar(&m.CleanupGrace, "media-cleanup-grace", "how long media replaced by a new upload stays in blob storage (default: --stream-url-ttl + 10m, so URLs handed out keep working)")
	f.stringVar(&m.FFmpeg, "ffmpeg", "ffmpeg binary")
	f.stringVar(&m.FFprobe, "ffprobe", "ffprobe binary")
	f.boolVar(&c.Demo, "demo", "seed a demo catalog and demo users into an empty store")
}

// bindRateLimitFlags registers the limits of server/ratelimit.
func (c *Config) bindRateLimitFlags(f flags) {
	r := &c.RateLimit
	f.boolVar(&r.Enabled, "rate-limit", "rate limits and load shedding; --rate-limit=false turns every limit off")
	f.listVar(&r.TrustedProxies, "trusted-proxies", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client; empty: the peer address is the client")
	f.intVar(&r.Address.Limit, "rate-limit-address", "requests per second per client address (IPv6 per /64); 0: unlimited")
	f.intVar(&r.Address.Burst, "rate-limit-address-burst", "requests a client address may send at once above --rate-limit-address")
	f.intVar(&r.SignIn.Limit, "rate-limit-sign-in", "Login, Register and RefreshToken calls per minute per client address; 0: unlimited")
	f.intVar(&r.Writes.Limit, "rate-limit-writes", "changing RPCs per minute per account; 0: unlimited")
	f.intVar(&r.Plays.Limit, "rate-limit-plays", "ReportPlayback calls per minute per account; 0: unlimited")
	f.durationVar(&r.LoginAccount.Max, "login-delay-max-account", "longest delay after failed logins to one account (after 5 failures: 1s, doubling)")
	f.durationVar(&r.LoginAddress.Max, "login-delay-max-address", "longest delay after failed logins from one client address (after 20 failures: 1s, doubling)")
	f.intVar(&r.Hashes, "max-concurrent-hashes", "password hashes in flight; more wait briefly, then get unavailable; 0: unbounded")
	f.intVar(&r.Searches, "max-concurrent-searches", "searches in flight; more wait briefly, then get unavailable; 0: unbounded")
	f.intVar(&r.Uploads, "max-concurrent-uploads", "upload bodies in flight; more get 503; 0: unbounded")
	f.intVar(&r.TranscodeBacklog, "max-transcode-backlog", "waiting transcode jobs past which new upload URLs are refused (unavailable); 0: unbounded")
}

// BindStoreFlags registers the flags that say which store to open (data
// directory, store kind, Cassandra connection) on fs, bound to c's fields
// (start from Defaults). Serve and admin share them.
func (c *Config) BindStoreFlags(fs *flag.FlagSet) {
	f := flags{fs}
	f.stringVar(&c.DataDir, "data-dir", "directory of the embedded store and signing keys")
	f.stringVar(&c.Store, "store", "store: embedded or cassandra")
	BindCassandraFlags(fs, &c.Cassandra)
}

// BindSearchFlags registers --search-url on fs, bound to url. Serve and
// 'backbeat search' share it.
func BindSearchFlags(fs *flag.FlagSet, url *string) {
	flags{fs}.stringVar(url, "search-url", "OpenSearch URL (http://host:9200) that serves Search for --store cassandra, kept indexed from the store's change feed")
}

// ErrAdminsRemoved is what --admins (BACKBEAT_ADMINS) answers: it made
// admin whoever first registered a listed username or email, and an email
// is not verified, so anyone could claim it. The first admin now comes
// from the operator, against the store.
var ErrAdminsRemoved = errors.New(flagRef("admins") + " was removed: it trusted whoever registered first with a listed username or (unverified) email; " +
	"make an existing account admin with 'backbeat admin grant USERNAME' (same --data-dir or --store/--cassandra-* flags as serve)")

// removedAdmins is the --admins flag, kept only to refuse a value: an
// operator who still sets it learns at start what to do instead, rather
// than finding later that nobody is admin.
type removedAdmins struct{}

func (removedAdmins) String() string { return "" }

func (removedAdmins) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return ErrAdminsRemoved
}

// BindCassandraFlags registers the Cassandra connection flags on fs, bound
// to c's fields (start from CassandraDefaults). Serve and migrate share them.
func BindCassandraFlags(fs *flag.FlagSet, c *cassandra.Config) {
	f := flags{fs}
	f.listVar(&c.Hosts, "cassandra-hosts", "comma-separated Cassandra contact points")
	f.stringVar(&c.LocalDC, "cassandra-dc", "the local datacenter: queries stay in it (LOCAL_QUORUM)")
	f.stringVar(&c.Keyspace, "cassandra-keyspace", "keyspace")
	fs.Var((*replicationValue)(&c.Replication), "cassandra-replication",
		f.help("cassandra-replication", "replication per datacenter for 'migrate', e.g. dc1:3,dc2:3 (default <local dc>:1 on a single-datacenter cluster, required on several)"))
	f.durationVar(&c.Timeout, "cassandra-timeout", "per-query timeout")
}

// listValue is a comma-separated list flag. Setting it replaces the list,
// so the environment or a later flag overrides a default rather than
// adding to it; blanks are dropped, so an empty value is an empty list.
type listValue []string

func (l *listValue) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

func (l *listValue) Set(s string) error {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	*l = out
	return nil
}

// replicationValue is a dc:factor,... flag.
type replicationValue map[string]int

func (r *replicationValue) String() string {
	if r == nil || len(*r) == 0 {
		return ""
	}
	parts := make([]string, 0, len(*r))
	for dc, n := range *r {
		parts = append(parts, dc+":"+strconv.Itoa(n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (r *replicationValue) Set(s string) error {
	out := map[string]int{}
	var l listValue
	l.Set(s)
	for _, part := range l {
		name, n, ok := strings.Cut(part, ":")
		rf, err := strconv.Atoi(n)
		if !ok || name == "" || err != nil || rf < 1 {
			return fmt.Errorf("want dc:factor pairs like dc1:3,dc2:3, got %q", part)
		}
		out[name] = rf
	}
	*r = out
	return nil
}
