// Command backbeat is the Backbeat music streaming server.
//
//	backbeat serve [flags]   serve the API (every flag also reads BACKBEAT_<FLAG>)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/demo"
	"github.com/backbeat/backbeat/server/httpserver"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "backbeat:", err)
		os.Exit(1)
	}
}

const usage = `usage: backbeat <command> [flags]

commands:
  serve    serve the API (see 'backbeat serve -h')
  migrate  create the Cassandra keyspace and apply schema migrations (see 'backbeat migrate -h')
`

func run(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("no command")
	}
	switch args[0] {
	case "serve":
		return serve(args[1:])
	case "migrate":
		return migrate(args[1:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return nil
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

// envDefault returns BACKBEAT_<NAME> if set, else def, so every flag can come
// from the environment (handy in containers and systemd units).
func envDefault(name, def string) string {
	if v, ok := os.LookupEnv(envKey(name)); ok {
		return v
	}
	return def
}

// envKey is the environment variable behind flag name.
func envKey(name string) string {
	return "BACKBEAT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// strFlag registers a string flag and returns where its value lands.
type strFlag func(name, def, help string) *string

// envFlags registers string flags on fs whose defaults come from the
// environment, naming the variable in the help.
func envFlags(fs *flag.FlagSet) strFlag {
	return func(name, def, help string) *string {
		return fs.String(name, envDefault(name, def), help+" (env "+envKey(name)+")")
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	str := envFlags(fs)
	addr := str("addr", "127.0.0.1:8080", "listen address host:port")
	publicURL := str("public-url", "", "externally visible base URL (default http://<addr>)")
	dataDir := str("data-dir", "./data", "directory of the embedded store and signing keys")
	store := str("store", "embedded", "store: embedded or cassandra")
	cass := cassandraFlags(fs, str)
	tlsCert := str("tls-cert", "", "TLS certificate file (PEM); with --tls-key serves HTTPS/HTTP2")
	tlsKey := str("tls-key", "", "TLS private key file (PEM)")
	oidcIssuer := str("oidc-issuer", "", "external OIDC issuer URL to trust instead of the embedded issuer")
	oidcAudience := str("oidc-audience", "backbeat", "expected audience (client id) of access tokens")
	admins := str("admins", "", "comma-separated usernames or emails made admin when their account is created")
	cors := str("cors-origins", "*", "comma-separated browser origins allowed by CORS; empty disables CORS")
	accessTTL := str("access-ttl", "15m", "lifetime of access tokens issued by the embedded issuer")
	refreshTTL := str("refresh-ttl", "720h", "lifetime of refresh tokens")
	logLevel := str("log-level", "info", "log level: debug, info, warn, error")
	logFormat := str("log-format", "text", "log format: text or json")
	blobDir := str("blob-dir", "", "directory of uploads and transcoded media, shared by replicas (default <data-dir>/blobs)")
	s3Bucket := str("blob-s3-bucket", "", "S3 bucket for uploads and transcoded media instead of --blob-dir")
	s3Endpoint := str("blob-s3-endpoint", "", "S3-compatible server, host:port or URL (default Amazon S3)")
	s3Region := str("blob-s3-region", "", "S3 region (default us-east-1)")
	s3Prefix := str("blob-s3-prefix", "", "key prefix inside the S3 bucket")
	s3AccessKey := str("blob-s3-access-key", "", "S3 access key (default AWS_ACCESS_KEY_ID, ~/.aws/credentials)")
	s3SecretKey := str("blob-s3-secret-key", "", "S3 secret key")
	s3Insecure := fs.Bool("blob-s3-insecure", envDefault("blob-s3-insecure", "") == "true", "plain HTTP to the S3 endpoint (env BACKBEAT_BLOB_S3_INSECURE=true)")
	s3Create := fs.Bool("blob-s3-create-bucket", envDefault("blob-s3-create-bucket", "") == "true", "create the S3 bucket at start-up if missing (env BACKBEAT_BLOB_S3_CREATE_BUCKET=true)")
	mediaKey := str("media-signing-key", "", "hex key (>= 32 bytes) signing media URLs, shared by replicas (default: generated into <data-dir>)")
	streamTTL := str("stream-url-ttl", "1h", "how long streaming URLs stay valid")
	uploadTTL := str("upload-url-ttl", "1h", "how long upload URLs stay valid")
	maxUpload := str("max-upload-bytes", "536870912", "largest accepted upload, in bytes")
	maxAudio := str("max-audio-duration", "30m", "longest accepted audio")
	natsURL := str("nats-url", "", "NATS cluster URL(s) with JetStream; empty runs an embedded broker in <data-dir>/nats")
	natsListen := str("nats-listen", "", "host:port where the embedded broker accepts other replicas (empty: in-process only)")
	workers := str("transcode-workers", "1", "concurrent transcodes in this process; 0 leaves transcoding to other replicas")
	ackWait := str("transcode-ack-wait", "30s", "how long a silent worker keeps a job before it returns to the queue")
	attempts := str("transcode-attempts", "5", "attempts before a failing transcode marks the track failed")
	cleanupGrace := str("media-cleanup-grace", "", "how long media replaced by a new upload stays in blob storage (default: --stream-url-ttl + 10m, so URLs handed out keep working)")
	ffmpeg := str("ffmpeg", "ffmpeg", "ffmpeg binary")
	ffprobe := str("ffprobe", "ffprobe", "ffprobe binary")
	demoData := fs.Bool("demo", envDefault("demo", "") == "true", "seed a demo catalog and demo users into an empty store (env BACKBEAT_DEMO=true)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	var handler slog.Handler
	switch *logFormat {
	case "json":
		handler = slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})
	case "text":
		handler = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})
	default:
		return fmt.Errorf("--log-format: want text or json, got %q", *logFormat)
	}
	logger := slog.New(handler)

	parseDur := func(flagName, v string) (time.Duration, error) {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("--%s: want a positive duration like 15m, got %q", flagName, v)
		}
		return d, nil
	}
	atl, err := parseDur("access-ttl", *accessTTL)
	if err != nil {
		return err
	}
	rtl, err := parseDur("refresh-ttl", *refreshTTL)
	if err != nil {
		return err
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}

	cc, err := cass()
	if err != nil {
		return err
	}
	media := app.MediaConfig{
		BlobDir: *blobDir, SigningKey: *mediaKey, NATSURL: *natsURL, NATSListen: *natsListen, FFmpeg: *ffmpeg, FFprobe: *ffprobe,
		S3Bucket: *s3Bucket, S3Endpoint: *s3Endpoint, S3Region: *s3Region, S3Prefix: *s3Prefix,
		S3AccessKey: *s3AccessKey, S3SecretKey: *s3SecretKey, S3Insecure: *s3Insecure, S3CreateBucket: *s3Create,
	}
	for _, d := range []struct {
		name, v string
		dst     *time.Duration
	}{{"stream-url-ttl", *streamTTL, &media.StreamTTL}, {"upload-url-ttl", *uploadTTL, &media.UploadTTL},
		{"max-audio-duration", *maxAudio, &media.MaxDuration}, {"transcode-ack-wait", *ackWait, &media.JobAckWait}} {
		if *d.dst, err = parseDur(d.name, d.v); err != nil {
			return err
		}
	}
	if *cleanupGrace != "" {
		if media.CleanupGrace, err = parseDur("media-cleanup-grace", *cleanupGrace); err != nil {
			return err
		}
	}
	if media.MaxUploadBytes, err = strconv.ParseInt(*maxUpload, 10, 64); err != nil || media.MaxUploadBytes <= 0 {
		return fmt.Errorf("--max-upload-bytes: want a positive number of bytes, got %q", *maxUpload)
	}
	if media.Workers, err = strconv.Atoi(*workers); err != nil || media.Workers < 0 {
		return fmt.Errorf("--transcode-workers: want 0 or more, got %q", *workers)
	}
	if media.JobAttempts, err = strconv.Atoi(*attempts); err != nil || media.JobAttempts < 1 {
		return fmt.Errorf("--transcode-attempts: want 1 or more, got %q", *attempts)
	}
	cfg := app.Config{
		Addr: *addr, PublicURL: *publicURL, DataDir: *dataDir, Store: *store, Cassandra: cc,
		TLSCert: *tlsCert, TLSKey: *tlsKey,
		OIDCIssuer: *oidcIssuer, OIDCAudience: *oidcAudience,
		Admins: httpserver.SplitList(*admins), CORSOrigins: httpserver.SplitList(*cors),
		AccessTTL: atl, RefreshTTL: rtl, Media: media, Demo: *demoData, Logger: logger,
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return app.Run(ctx, cfg, func(addr net.Addr, publicURL string) {
		// Tests and scripts wait for this line to learn the bound address.
		fmt.Printf("backbeat: listening on %s\n", addr)
		if *demoData {
			demo.PrintTryIt(os.Stdout, addr.String(), *tlsCert != "")
		}
	})
}
