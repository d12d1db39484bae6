package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/app"
)

func TestDefaultsAreValid(t *testing.T) {
	if err := app.Defaults().Validate(); err != nil {
		t.Fatalf("app.Defaults() does not validate: %v", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(*app.Config)
		want   []string // each must appear in the error
	}{
		{"tls cert without key", func(c *app.Config) { c.TLSCert = "c.pem" }, []string{"--tls-cert (BACKBEAT_TLS_CERT)", "--tls-key"}},
		{"tls key without cert", func(c *app.Config) { c.TLSKey = "k.pem" }, []string{"--tls-key (BACKBEAT_TLS_KEY)", "--tls-cert"}},
		{"negative connection cap", func(c *app.Config) { c.Limits.MaxConns = -1 }, []string{"--max-connections (BACKBEAT_MAX_CONNECTIONS)"}},
		{"negative body grace", func(c *app.Config) { c.Limits.BodyGrace = -time.Second }, []string{"--body-grace (BACKBEAT_BODY_GRACE)"}},
		{"negative body rate", func(c *app.Config) { c.Limits.BodyMinRate = -1 }, []string{"--body-min-rate (BACKBEAT_BODY_MIN_RATE)"}},
		{"demo with external issuer", func(c *app.Config) { c.Demo, c.OIDCIssuer = true, "https://id.example" }, []string{"--demo (BACKBEAT_DEMO)", "--oidc-issuer (BACKBEAT_OIDC_ISSUER)"}},
		{"malformed issuer", func(c *app.Config) { c.OIDCIssuer = "id.example" }, []string{"--oidc-issuer (BACKBEAT_OIDC_ISSUER)"}},
		{"nats listen with url", func(c *app.Config) { c.Media.NATSURL, c.Media.NATSListen = "nats://x:4222", "127.0.0.1:4222" }, []string{"--nats-listen (BACKBEAT_NATS_LISTEN)", "--nats-url"}},
		{"nats listen without credentials", func(c *app.Config) { c.Media.NATSListen = "127.0.0.1:4222" }, []string{"--nats-listen (BACKBEAT_NATS_LISTEN)", "--nats-user (BACKBEAT_NATS_USER)", "--nats-password (BACKBEAT_NATS_PASSWORD)"}},
		{"nats listen with a user only", func(c *app.Config) { c.Media.NATSListen, c.Media.NATSUser = "127.0.0.1:4222", "r" }, []string{"--nats-listen (BACKBEAT_NATS_LISTEN)", "--nats-user (BACKBEAT_NATS_USER)", "--nats-password (BACKBEAT_NATS_PASSWORD)"}},
		{"nats listen without host", func(c *app.Config) {
			c.Media.NATSListen, c.Media.NATSUser, c.Media.NATSPassword = ":4222", "r", "p"
		}, []string{"--nats-listen (BACKBEAT_NATS_LISTEN)", "127.0.0.1:4222", "0.0.0.0:4222"}},
		{"nats password without user", func(c *app.Config) { c.Media.NATSURL, c.Media.NATSPassword = "nats://x:4222", "p" }, []string{"--nats-password (BACKBEAT_NATS_PASSWORD)", "--nats-user"}},
		{"nats credentials without a network broker", func(c *app.Config) { c.Media.NATSUser, c.Media.NATSPassword = "r", "p" }, []string{"--nats-user (BACKBEAT_NATS_USER)", "--nats-listen", "--nats-url"}},
		{"nats tls cert without key", func(c *app.Config) {
			c.Media.NATSListen, c.Media.NATSUser, c.Media.NATSPassword, c.Media.NATSTLSCert = "127.0.0.1:4222", "r", "p", "c.pem"
		}, []string{"--nats-tls-cert (BACKBEAT_NATS_TLS_CERT)", "--nats-tls-key"}},
		{"nats tls without listen", func(c *app.Config) { c.Media.NATSTLSCert, c.Media.NATSTLSKey = "c.pem", "k.pem" }, []string{"--nats-tls-cert (BACKBEAT_NATS_TLS_CERT)", "--nats-listen"}},
		{"nats ca without url", func(c *app.Config) { c.Media.NATSTLSCA = "ca.pem" }, []string{"--nats-tls-ca (BACKBEAT_NATS_TLS_CA)", "--nats-url"}},
		{"s3 endpoint without bucket", func(c *app.Config) { c.Media.S3Endpoint = "s3.example:9000" }, []string{"--blob-s3-endpoint (BACKBEAT_BLOB_S3_ENDPOINT)", "--blob-s3-bucket"}},
		{"s3 create without bucket", func(c *app.Config) { c.Media.S3CreateBucket = true }, []string{"--blob-s3-create-bucket (BACKBEAT_BLOB_S3_CREATE_BUCKET)"}},
		{"blob dir and bucket", func(c *app.Config) { c.Media.BlobDir, c.Media.S3Bucket = "/blobs", "b" }, []string{"--blob-dir (BACKBEAT_BLOB_DIR)", "--blob-s3-bucket"}},
		{"unknown store", func(c *app.Config) { c.Store = "postgres" }, []string{"--store (BACKBEAT_STORE)", "postgres"}},
		{"cassandra without hosts", func(c *app.Config) { c.Store, c.Cassandra.Hosts = "cassandra", nil }, []string{"--cassandra-hosts (BACKBEAT_CASSANDRA_HOSTS)"}},
		{"search url with the embedded store", func(c *app.Config) { c.SearchURL = "http://127.0.0.1:9200" }, []string{"--search-url (BACKBEAT_SEARCH_URL)", "--store cassandra"}},
		{"malformed search url", func(c *app.Config) { c.Store, c.SearchURL = "cassandra", "opensearch:9200" }, []string{"--search-url (BACKBEAT_SEARCH_URL)", "http://"}},
		{"zero cassandra timeout", func(c *app.Config) { c.Store, c.Cassandra.Timeout = "cassandra", 0 }, []string{"--cassandra-timeout (BACKBEAT_CASSANDRA_TIMEOUT)"}},
		{"zero access ttl", func(c *app.Config) { c.AccessTTL = 0 }, []string{"--access-ttl (BACKBEAT_ACCESS_TTL)"}},
		{"negative refresh ttl", func(c *app.Config) { c.RefreshTTL = -time.Hour }, []string{"--refresh-ttl (BACKBEAT_REFRESH_TTL)"}},
		{"zero stream ttl", func(c *app.Config) { c.Media.StreamTTL = 0 }, []string{"--stream-url-ttl (BACKBEAT_STREAM_URL_TTL)"}},
		{"zero upload ttl", func(c *app.Config) { c.Media.UploadTTL = 0 }, []string{"--upload-url-ttl (BACKBEAT_UPLOAD_URL_TTL)"}},
		{"zero audio duration", func(c *app.Config) { c.Media.MaxDuration = 0 }, []string{"--max-audio-duration (BACKBEAT_MAX_AUDIO_DURATION)"}},
		{"zero ack wait", func(c *app.Config) { c.Media.JobAckWait = 0 }, []string{"--transcode-ack-wait (BACKBEAT_TRANSCODE_ACK_WAIT)"}},
		{"negative cleanup grace", func(c *app.Config) { c.Media.CleanupGrace = -time.Minute }, []string{"--media-cleanup-grace (BACKBEAT_MEDIA_CLEANUP_GRACE)"}},
		{"no attempts", func(c *app.Config) { c.Media.JobAttempts = 0 }, []string{"--transcode-attempts (BACKBEAT_TRANSCODE_ATTEMPTS)"}},
		{"negative workers", func(c *app.Config) { c.Media.Workers = -1 }, []string{"--transcode-workers (BACKBEAT_TRANSCODE_WORKERS)"}},
		{"unknown role", func(c *app.Config) { c.Role = "transcoder" }, []string{"--role (BACKBEAT_ROLE)", "transcoder"}},
		{"worker without workers", func(c *app.Config) { c.Role, c.Media.Workers = app.RoleWorker, 0 }, []string{"--role (BACKBEAT_ROLE)", "--transcode-workers"}},
		{"zero upload size", func(c *app.Config) { c.Media.MaxUploadBytes = 0 }, []string{"--max-upload-bytes (BACKBEAT_MAX_UPLOAD_BYTES)"}},
		{"log format", func(c *app.Config) { c.LogFormat = "xml" }, []string{"--log-format (BACKBEAT_LOG_FORMAT)", "xml"}},
		{"public url without scheme", func(c *app.Config) { c.PublicURL = "music.example" }, []string{"--public-url (BACKBEAT_PUBLIC_URL)"}},
		{"public url with query", func(c *app.Config) { c.PublicURL = "https://music.example/?a=b" }, []string{"--public-url (BACKBEAT_PUBLIC_URL)"}},
		{"signing key not hex", func(c *app.Config) { c.Media.SigningKey = strings.Repeat("zz", 32) }, []string{"--media-signing-key (BACKBEAT_MEDIA_SIGNING_KEY)"}},
		{"signing key short", func(c *app.Config) { c.Media.SigningKey = strings.Repeat("ab", 31) }, []string{"--media-signing-key (BACKBEAT_MEDIA_SIGNING_KEY)"}},
		{"addr without port", func(c *app.Config) { c.Addr = "localhost" }, []string{"--addr (BACKBEAT_ADDR)"}},
		{"empty audience", func(c *app.Config) { c.OIDCAudience = "" }, []string{"--oidc-audience (BACKBEAT_OIDC_AUDIENCE)"}},
		{"two at once", func(c *app.Config) { c.Store, c.LogFormat = "x", "y" }, []string{"--store", "--log-format"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := app.Defaults()
			tc.change(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}

	ok := app.Defaults()
	ok.PublicURL = "https://music.example/"
	ok.Media.SigningKey = strings.Repeat("ab", 32)
	ok.Media.S3Bucket, ok.Media.S3Endpoint, ok.Media.S3CreateBucket = "b", "s3.example:9000", true
	ok.Media.Workers = 0
	if err := ok.Validate(); err != nil {
		t.Fatalf("a good configuration is refused: %v", err)
	}
}

// TestNewRefusesBeforeOpening checks a refused configuration opens nothing:
// no data directory, store or broker appears.
func TestNewRefusesBeforeOpening(t *testing.T) {
	c := app.Defaults()
	c.DataDir = filepath.Join(t.TempDir(), "data")
	c.Addr = "127.0.0.1:0"
	c.Demo, c.OIDCIssuer = true, "https://id.example"
	if _, err := app.New(context.Background(), c); err == nil || !strings.Contains(err.Error(), "--demo") {
		t.Fatalf("New with --demo and --oidc-issuer: %v; want refused", err)
	}
	if _, err := os.Stat(c.DataDir); !os.IsNotExist(err) {
		t.Fatalf("data dir after a refused start: %v; want it never made", err)
	}
}
