package app

import (
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

func (f flags) str(p *string, name, usage string) { f.fs.StringVar(p, name, *p, f.help(name, usage)) }
func (f flags) boolean(p *bool, name, usage string) {
	f.fs.BoolVar(p, name, *p, f.help(name, usage))
}
func (f flags) integer(p *int, name, usage string) { f.fs.IntVar(p, name, *p, f.help(name, usage)) }
func (f flags) int64(p *int64, name, usage string) { f.fs.Int64Var(p, name, *p, f.help(name, usage)) }
func (f flags) duration(p *time.Duration, name, usage string) {
	f.fs.DurationVar(p, name, *p, f.help(name, usage))
}
func (f flags) list(p *[]string, name, usage string) {
	f.fs.Var((*listValue)(p), name, f.help(name, usage))
}

// BindFlags registers every serve flag on fs, bound to c's fields, with c's
// current values as defaults (start from Defaults).
func (c *Config) BindFlags(fs *flag.FlagSet) {
	f := flags{fs}
	m := &c.Media
	f.str(&c.Addr, "addr", "listen address host:port")
	f.str(&c.PublicURL, "public-url", "externally visible base URL (default http://<addr>)")
	f.str(&c.DataDir, "data-dir", "directory of the embedded store and signing keys")
	f.str(&c.Store, "store", "store: embedded or cassandra")
	BindCassandraFlags(fs, &c.Cassandra)
	f.str(&c.TLSCert, "tls-cert", "TLS certificate file (PEM); with --tls-key serves HTTPS/HTTP2")
	f.str(&c.TLSKey, "tls-key", "TLS private key file (PEM)")
	f.str(&c.OIDCIssuer, "oidc-issuer", "external OIDC issuer URL to trust instead of the embedded issuer")
	f.str(&c.OIDCAudience, "oidc-audience", "expected audience (client id) of access tokens")
	f.list(&c.Admins, "admins", "comma-separated usernames or emails made admin when their account is created")
	f.list(&c.CORSOrigins, "cors-origins", "comma-separated browser origins allowed by CORS; empty disables CORS")
	f.duration(&c.AccessTTL, "access-ttl", "lifetime of access tokens issued by the embedded issuer")
	f.duration(&c.RefreshTTL, "refresh-ttl", "lifetime of refresh tokens")
	fs.TextVar(&c.LogLevel, "log-level", c.LogLevel, f.help("log-level", "log level: debug, info, warn, error"))
	f.str(&c.LogFormat, "log-format", "log format: text or json")
	f.str(&m.BlobDir, "blob-dir", "directory of uploads and transcoded media, shared by replicas (default <data-dir>/blobs)")
	f.str(&m.S3Bucket, "blob-s3-bucket", "S3 bucket for uploads and transcoded media instead of --blob-dir")
	f.str(&m.S3Endpoint, "blob-s3-endpoint", "S3-compatible server, host:port or URL (default Amazon S3)")
	f.str(&m.S3Region, "blob-s3-region", "S3 region (default us-east-1)")
	f.str(&m.S3Prefix, "blob-s3-prefix", "key prefix inside the S3 bucket")
	f.str(&m.S3AccessKey, "blob-s3-access-key", "S3 access key (default AWS_ACCESS_KEY_ID, ~/.aws/credentials)")
	f.str(&m.S3SecretKey, "blob-s3-secret-key", "S3 secret key")
	f.boolean(&m.S3Insecure, "blob-s3-insecure", "plain HTTP to the S3 endpoint")
	f.boolean(&m.S3CreateBucket, "blob-s3-create-bucket", "create the S3 bucket at start-up if missing")
	f.str(&m.SigningKey, "media-signing-key", "hex key (>= 32 bytes) signing media URLs, shared by replicas (default: generated into <data-dir>)")
	f.duration(&m.StreamTTL, "stream-url-ttl", "how long streaming URLs stay valid")
	f.duration(&m.UploadTTL, "upload-url-ttl", "how long upload URLs stay valid")
	f.int64(&m.MaxUploadBytes, "max-upload-bytes", "largest accepted upload, in bytes")
	f.duration(&m.MaxDuration, "max-audio-duration", "longest accepted audio")
	f.str(&m.NATSURL, "nats-url", "NATS cluster URL(s) with JetStream; empty runs an embedded broker in <data-dir>/nats")
	f.str(&m.NATSListen, "nats-listen", "host:port where the embedded broker accepts other replicas (empty: in-process only)")
	f.integer(&m.Workers, "transcode-workers", "concurrent transcodes in this process; 0 leaves transcoding to other replicas")
	f.duration(&m.JobAckWait, "transcode-ack-wait", "how long a silent worker keeps a job before it returns to the queue")
	f.integer(&m.JobAttempts, "transcode-attempts", "attempts before a failing transcode marks the track failed")
	f.duration(&m.CleanupGrace, "media-cleanup-grace", "how long media replaced by a new upload stays in blob storage (default: --stream-url-ttl + 10m, so URLs handed out keep working)")
	f.str(&m.FFmpeg, "ffmpeg", "ffmpeg binary")
	f.str(&m.FFprobe, "ffprobe", "ffprobe binary")
	f.boolean(&c.Demo, "demo", "seed a demo catalog and demo users into an empty store")
}

// BindCassandraFlags registers the Cassandra connection flags on fs, bound
// to c's fields (start from CassandraDefaults). Serve and migrate share them.
func BindCassandraFlags(fs *flag.FlagSet, c *cassandra.Config) {
	f := flags{fs}
	f.list(&c.Hosts, "cassandra-hosts", "comma-separated Cassandra contact points")
	f.str(&c.LocalDC, "cassandra-dc", "the local datacenter: queries stay in it (LOCAL_QUORUM)")
	f.str(&c.Keyspace, "cassandra-keyspace", "keyspace")
	fs.Var((*replicationValue)(&c.Replication), "cassandra-replication",
		f.help("cassandra-replication", "replication per datacenter for 'migrate', e.g. dc1:3,dc2:3 (default <local dc>:1)"))
	f.duration(&c.Timeout, "cassandra-timeout", "per-query timeout")
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
