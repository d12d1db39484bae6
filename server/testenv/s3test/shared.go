// Package s3test runs a real S3-compatible server for tests: versitygw
// (github.com/versity/versitygw), an S3 gateway written in Go, with its
// posix backend storing each bucket as a directory and each object as a
// file. It speaks the S3 REST protocol for real (SigV4 and streaming
// signatures, multipart uploads, ranged and conditional GETs, multi-object
// delete), which is what a mock such as moto or gofakes3 would not prove.
//
// Why versitygw: it is a single Go binary that "go install" builds from
// the Go module proxy at a pinned, tagged version (its go.mod has no
// replace directives; no cgo, no downloads of its own), it starts in a
// fraction of a second and needs nothing but a directory. The MinIO
// server's module publishes no tagged versions (only pseudo-versions), and
// SeaweedFS is a much larger build with several cooperating services.
//
// The binary is built once into ~/.cache/backbeat/versitygw-<Version>/bin
// (or under $XDG_CACHE_HOME, or $BACKBEAT_S3_CACHE); a cold build downloads
// and compiles ~200 modules (AWS and Azure SDKs among them) and took 7m20s
// on a busy two-core machine. With it cached, a server is ready in about
// 100 ms.
//
// Environment:
//
//	BACKBEAT_S3=1              run S3-backed tests (they skip otherwise)
//	BACKBEAT_S3_ENDPOINT=url   Shared uses this server (http:// or https://)
//	                           instead of starting one, with
//	BACKBEAT_S3_ACCESS_KEY, BACKBEAT_S3_SECRET_KEY and BACKBEAT_S3_REGION
//	BACKBEAT_S3_CACHE=dir      where the built binary is kept
package s3test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/testenv/proctest"
)

const (
	// EnvEnable must be "1" for S3-backed tests to run; otherwise Shared
	// and Skip skip, so a plain "go test ./..." builds no server.
	EnvEnable = "BACKBEAT_S3"
	// EnvEndpoint points Shared at an existing S3 server (a URL; http://
	// means plain HTTP) instead of starting one.
	EnvEndpoint  = "BACKBEAT_S3_ENDPOINT"
	EnvAccessKey = "BACKBEAT_S3_ACCESS_KEY"
	EnvSecretKey = "BACKBEAT_S3_SECRET_KEY"
	EnvRegion    = "BACKBEAT_S3_REGION"
	// EnvCacheDir overrides ~/.cache/backbeat/versitygw-<Version>.
	EnvCacheDir = "BACKBEAT_S3_CACHE"
)

// Enabled reports whether S3-backed tests should run.
func Enabled() bool { return proctest.Enabled(EnvEnable) }

// Skip skips t unless S3-backed tests are enabled.
func Skip(t testing.TB) {
	t.Helper()
	proctest.SkipUnless(t, EnvEnable, "a real S3 server (the first run builds versitygw with go install)")
}

var shared proctest.Shared[*Server]

// Shared returns an S3 server started on first use and kept for the rest
// of the test binary; the kernel kills it when the binary exits (its data
// directory is removed by a later run). It skips t unless BACKBEAT_S3=1,
// and uses BACKBEAT_S3_ENDPOINT instead when that is set. Tests share the
// server, so each should use its own bucket (NewBucket).
func Shared(t testing.TB) *Server {
	t.Helper()
	Skip(t)
	srv, err := shared.Get(func() (*Server, error) {
		if ep := os.Getenv(EnvEndpoint); ep != "" {
			return external(ep)
		}
		dir, err := sharedDir()
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), installTimeout+time.Minute)
		defer cancel()
		// t.Logf is only called inside Start, while t is still running.
		return Start(ctx, Options{Dir: dir, Logf: t.Logf})
	})
	if err != nil {
		t.Fatalf("shared S3 server: %v", err)
	}
	return srv
}

// external describes a server the environment points at.
func external(endpoint string) (*Server, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("s3test: %s=%q: want http://host:port or https://host:port", EnvEndpoint, endpoint)
	}
	s := &Server{
		Endpoint:  u.Host,
		Insecure:  u.Scheme == "http",
		Region:    os.Getenv(EnvRegion),
		AccessKey: os.Getenv(EnvAccessKey),
		SecretKey: os.Getenv(EnvSecretKey),
		external:  true,
	}
	if s.Region == "" {
		s.Region = Region
	}
	return s, nil
}

// sharedDir is the shared server's directory (see proctest.RunDir).
func sharedDir() (string, error) {
	dir, err := proctest.RunDir("backbeat-s3")
	if err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	return dir, nil
}
