package app

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/backbeat/backbeat/server/ratelimit"
	"github.com/backbeat/backbeat/server/store/cassandra"
)

// flagRef names a setting as an operator sets it: the flag and its
// environment variable.
func flagRef(name string) string { return "--" + name + " (" + EnvVar(name) + ")" }

// FlagRef names a flag and its environment variable the way configuration
// errors do, for commands that find a setting missing only later.
func FlagRef(name string) string { return flagRef(name) }

// configError is a refused setting; Validate joins all it finds so an
// operator fixes them in one go.
func configError(name, format string, args ...any) error {
	return fmt.Errorf("%s: %s", flagRef(name), fmt.Sprintf(format, args...))
}

// Validate refuses a bad or conflicting configuration before anything
// starts (store, broker, workers, listener), naming each flag at fault and
// its environment variable.
func (c Config) Validate() error {
	var errs []error
	bad := func(name, format string, args ...any) { errs = append(errs, configError(name, format, args...)) }
	positive := func(name string, d time.Duration) {
		if d <= 0 {
			bad(name, "want a positive duration like 15m, got %s", d)
		}
	}

	if c.Listener == nil {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			bad("addr", "want host:port, got %q", c.Addr)
		}
	}
	if c.AdminAddr != "" && c.AdminListener == nil {
		if _, _, err := net.SplitHostPort(c.AdminAddr); err != nil {
			bad("admin-addr", "want host:port or empty, got %q", c.AdminAddr)
		}
	}
	if c.TraceSampleRatio < 0 || c.TraceSampleRatio > 1 {
		bad("trace-sample-ratio", "want 0 to 1, got %v", c.TraceSampleRatio)
	}
	if c.DrainDelay < 0 {
		bad("drain-delay", "must not be negative, got %s", c.DrainDelay)
	}
	if c.PublicURL != "" {
		if err := checkURL(c.PublicURL); err != nil {
			bad("public-url", "%v", err)
		}
	}
	if c.DataDir == "" {
		bad("data-dir", "must not be empty")
	}
	switch c.Role {
	case RoleAll, RoleAPI:
	case RoleWorker:
		if c.Media.Workers < 1 {
			bad("role", "worker transcodes only: give it %s 1 or more", flagRef("transcode-workers"))
		}
	default:
		bad("role", "want all, api or worker, got %q", c.Role)
	}
	switch c.Store {
	case "embedded":
	case "cassandra":
		errs = append(errs, ValidateCassandra(c.Cassandra))
	default:
		bad("store", "want embedded or cassandra, got %q", c.Store)
	}
	if c.SearchURL != "" {
		if err := ValidateSearchURL(c.SearchURL); err != nil {
			bad("search-url", "%v", err)
		}
		if c.Store != "cassandra" {
			bad("search-url", "needs --store cassandra: the embedded store answers Search from its own in-memory index")
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		if c.TLSCert == "" {
			bad("tls-key", "needs --tls-cert too")
		} else {
			bad("tls-cert", "needs --tls-key too")
		}
	}
	if c.OIDCIssuer != "" {
		if err := checkURL(c.OIDCIssuer); err != nil {
			bad("oidc-issuer", "%v", err)
		}
		if c.Demo {
			bad("demo", "demo data needs the embedded issuer: drop %s or --demo", flagRef("oidc-issuer"))
		}
	}
	if c.OIDCAudience == "" {
		bad("oidc-audience", "must not be empty")
	}
	positive("access-ttl", c.AccessTTL)
	if c.CacheSize < 0 {
		bad("cache-size", "want a number of bytes, or 0 to turn the cache off, got %d", c.CacheSize)
	}
	if c.CacheSize > 0 {
		positive("cache-ttl", c.CacheTTL)
	}
	positive("refresh-ttl", c.RefreshTTL)
	// Zero takes httpserver's default; a negative limit is a typo, not a
	// wish for no limit.
	if c.Limits.MaxConns < 0 {
		bad("max-connections", "want a positive number, or 0 for the default, got %d", c.Limits.MaxConns)
	}
	if c.Limits.BodyGrace < 0 {
		bad("body-grace", "want a positive duration, or 0 for the default, got %s", c.Limits.BodyGrace)
	}
	if c.Limits.BodyMinRate < 0 {
		bad("body-min-rate", "want a positive number of bytes/s, or 0 for the default, got %d", c.Limits.BodyMinRate)
	}
	errs = append(errs, c.validateRateLimit())
	if c.MaxCountedPerHour < 1 {
		bad("max-counted-per-hour", "want 1 or more, got %d", c.MaxCountedPerHour)
	}
	if c.RPCTimeout <= 0 {
		errs = append(errs, fmt.Errorf("RPC timeout: want a positive duration, got %s", c.RPCTimeout))
	}
	if c.MaxRequestBytes <= 0 {
		errs = append(errs, fmt.Errorf("request size limit: want a positive number of bytes, got %d", c.MaxRequestBytes))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log-format", "want text or json, got %q", c.LogFormat)
	}
	errs = append(errs, c.Media.validate())
	return errors.Join(errs...)
}

// validateRateLimit refuses limits that are typos (negative) or that
// could not work; zero means unlimited where the flag says so.
func (c Config) validateRateLimit() error {
	var errs []error
	bad := func(name, format string, args ...any) { errs = append(errs, configError(name, format, args...)) }
	r := c.RateLimit
	if _, err := ratelimit.ParseProxies(r.TrustedProxies); err != nil {
		bad("trusted-proxies", "%v", err)
	}
	for _, n := range []struct {
		name string
		v    int
	}{
		{"rate-limit-address", r.Address.Limit}, {"rate-limit-sign-in", r.SignIn.Limit},
		{"rate-limit-writes", r.Writes.Limit}, {"rate-limit-plays", r.Plays.Limit},
		{"max-concurrent-hashes", r.Hashes}, {"max-concurrent-searches", r.Searches},
		{"max-concurrent-uploads", r.Uploads}, {"max-transcode-backlog", r.TranscodeBacklog},
	} {
		if n.v < 0 {
			bad(n.name, "want 0 (unlimited) or more, got %d", n.v)
		}
	}
	if r.Address.Limit > 0 && r.Address.Burst < 1 {
		bad("rate-limit-address-burst", "want 1 or more, got %d", r.Address.Burst)
	}
	if r.LoginAccount.Max < r.LoginAccount.Base {
		bad("login-delay-max-account", "want at least %s, got %s", r.LoginAccount.Base, r.LoginAccount.Max)
	}
	if r.LoginAddress.Max < r.LoginAddress.Base {
		bad("login-delay-max-address", "want at least %s, got %s", r.LoginAddress.Base, r.LoginAddress.Max)
	}
	return errors.Join(errs...)
}

func (m MediaConfig) validate() error {
	var errs []error
	bad := func(name, format string, args ...any) { errs = append(errs, configError(name, format, args...)) }
	positive := func(name string, d time.Duration) {
		if d <= 0 {
			bad(name, "want a positive duration like 15m, got %s", d)
		}
	}
	if m.S3Bucket == "" {
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"blob-s3-endpoint", m.S3Endpoint != ""}, {"blob-s3-region", m.S3Region != ""}, {"blob-s3-prefix", m.S3Prefix != ""},
			{"blob-s3-access-key", m.S3AccessKey != ""}, {"blob-s3-secret-key", m.S3SecretKey != ""},
			{"blob-s3-insecure", m.S3Insecure}, {"blob-s3-create-bucket", m.S3CreateBucket},
		} {
			if f.set {
				bad(f.name, "applies to S3 blob storage only: set %s too, or drop it", flagRef("blob-s3-bucket"))
			}
		}
	} else if m.BlobDir != "" {
		bad("blob-dir", "conflicts with %s: blobs go to one place", flagRef("blob-s3-bucket"))
	}
	if m.SigningKey != "" {
		if k, err := hex.DecodeString(strings.TrimSpace(m.SigningKey)); err != nil || len(k) < 32 {
			bad("media-signing-key", "want at least 64 hex digits (32 bytes)")
		}
	}
	positive("stream-url-ttl", m.StreamTTL)
	positive("upload-url-ttl", m.UploadTTL)
	positive("max-audio-duration", m.MaxDuration)
	positive("transcode-ack-wait", m.JobAckWait)
	positive("precheck-timeout", m.PrecheckTimeout)
	if m.CleanupGrace < 0 {
		bad("media-cleanup-grace", "want a positive duration, or 0 for the default, got %s", m.CleanupGrace)
	}
	if m.MaxUploadBytes <= 0 {
		bad("max-upload-bytes", "want a positive number of bytes, got %d", m.MaxUploadBytes)
	}
	if m.Workers < 0 {
		bad("transcode-workers", "want 0 or more, got %d", m.Workers)
	}
	if m.LiveTranscodes < 1 {
		bad("live-transcodes", "want 1 or more, got %d", m.LiveTranscodes)
	}
	if m.JobAttempts < 1 {
		bad("transcode-attempts", "want 1 or more, got %d", m.JobAttempts)
	}
	if m.NATSURL != "" && m.NATSListen != "" {
		bad("nats-listen", "applies to the embedded broker only: drop it or %s", flagRef("nats-url"))
	}
	errs = append(errs, m.validateNATS())
	if m.FFmpeg == "" {
		bad("ffmpeg", "must not be empty")
	}
	if m.FFprobe == "" {
		bad("ffprobe", "must not be empty")
	}
	return errors.Join(errs...)
}

// validateNATS refuses a broker configuration that would expose the broker
// or silently ignore a setting.
func (m MediaConfig) validateNATS() error {
	var errs []error
	bad := func(name, format string, args ...any) { errs = append(errs, configError(name, format, args...)) }
	if m.NATSListen != "" {
		host, port, err := net.SplitHostPort(m.NATSListen)
		switch {
		case err != nil:
			bad("nats-listen", "want host:port, got %q", m.NATSListen)
		case host == "":
			// ":port" used to mean every interface: refused rather than
			// reinterpreted, so nobody exposes or hides the broker by accident.
			bad("nats-listen", "name the host: 127.0.0.1:%s (this machine only) or 0.0.0.0:%s (every interface), got %q", port, port, m.NATSListen)
		}
		if m.NATSUser == "" || m.NATSPassword == "" {
			bad("nats-listen", "needs credentials: every client of the broker must present %s and %s", flagRef("nats-user"), flagRef("nats-password"))
		}
	}
	if m.NATSUser != "" && m.NATSPassword == "" {
		bad("nats-user", "needs %s too", flagRef("nats-password"))
	}
	if m.NATSPassword != "" && m.NATSUser == "" {
		bad("nats-password", "needs %s too", flagRef("nats-user"))
	}
	if (m.NATSUser != "" || m.NATSPassword != "") && m.NATSListen == "" && m.NATSURL == "" {
		bad("nats-user", "applies to %s or %s only: the in-process broker has no network clients", flagRef("nats-listen"), flagRef("nats-url"))
	}
	if (m.NATSTLSCert == "") != (m.NATSTLSKey == "") {
		if m.NATSTLSCert == "" {
			bad("nats-tls-key", "needs %s too", flagRef("nats-tls-cert"))
		} else {
			bad("nats-tls-cert", "needs %s too", flagRef("nats-tls-key"))
		}
	}
	if m.NATSTLSCert != "" && m.NATSListen == "" {
		bad("nats-tls-cert", "applies to %s only", flagRef("nats-listen"))
	}
	if m.NATSTLSCA != "" && m.NATSURL == "" {
		bad("nats-tls-ca", "applies to %s only", flagRef("nats-url"))
	}
	return errors.Join(errs...)
}

// ValidateCassandra refuses a Cassandra connection configuration that
// cannot work, naming the flags at fault.
func ValidateCassandra(c cassandra.Config) error {
	var errs []error
	bad := func(name, format string, args ...any) { errs = append(errs, configError(name, format, args...)) }
	if len(c.Hosts) == 0 {
		bad("cassandra-hosts", "want at least one contact point")
	}
	if c.LocalDC == "" {
		bad("cassandra-dc", "must not be empty")
	}
	if c.Keyspace == "" {
		bad("cassandra-keyspace", "must not be empty")
	}
	if c.Timeout <= 0 {
		bad("cassandra-timeout", "want a positive duration like 5s, got %s", c.Timeout)
	}
	return errors.Join(errs...)
}

// checkURL accepts an absolute http(s) URL without query or fragment: the
// form an issuer identifier and a public base URL take.
func checkURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("not a URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("want an http:// or https:// URL, got %q", s)
	case u.Host == "":
		return fmt.Errorf("want a URL with a host, got %q", s)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("want a URL without query or fragment, got %q", s)
	}
	return nil
}

// ValidateSearchURL checks an OpenSearch endpoint URL.
func ValidateSearchURL(s string) error { return checkURL(s) }
