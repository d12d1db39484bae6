package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/backbeat/backbeat/server/media/blob"
	"github.com/backbeat/backbeat/server/media/transcode"
	"github.com/backbeat/backbeat/server/media/urlsign"
	"github.com/backbeat/backbeat/server/queue"
)

// MediaConfig configures uploads, transcoding, the broker and streaming.
type MediaConfig struct {
	// BlobDir holds uploads and transcoded media (default <data-dir>/blobs).
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
	// share it. Default: a random key kept in <data-dir>/media-signing.key.
	SigningKey string
	// StreamTTL is how long streaming URLs stay valid; UploadTTL likewise for
	// upload URLs.
	StreamTTL, UploadTTL time.Duration
	MaxUploadBytes       int64
	MaxDuration          time.Duration
	// NATSURL points at a NATS cluster; empty runs one embedded in-process,
	// storing in <data-dir>/nats, reachable by other replicas at NATSListen
	// when that is set.
	NATSURL, NATSListen string
	// Workers bounds concurrent transcodes in this process (0 disables the
	// worker, for API-only replicas: another replica transcodes).
	Workers     int
	JobAckWait  time.Duration
	JobAttempts int
	// CleanupGrace is how long a media set replaced by a new upload stays in
	// blob storage (default: StreamTTL plus the 5-minute rounding of URL
	// expiries, plus 5 minutes for clocks), so URLs already handed out for it
	// keep working until they expire.
	CleanupGrace time.Duration
	FFmpeg       string
	FFprobe      string
}

func (c *MediaConfig) defaults(dataDir string) {
	if c.BlobDir == "" {
		c.BlobDir = filepath.Join(dataDir, "blobs")
	}
	if c.StreamTTL <= 0 {
		c.StreamTTL = time.Hour
	}
	if c.UploadTTL <= 0 {
		c.UploadTTL = time.Hour
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = 512 << 20
	}
	if c.MaxDuration <= 0 {
		c.MaxDuration = 30 * time.Minute
	}
	if c.Workers < 0 {
		c.Workers = 0
	}
	if c.JobAckWait <= 0 {
		c.JobAckWait = 30 * time.Second
	}
	if c.JobAttempts <= 0 {
		c.JobAttempts = 5
	}
	if c.CleanupGrace <= 0 {
		c.CleanupGrace = c.StreamTTL + urlsign.Bucket + 5*time.Minute
	}
	if c.FFmpeg == "" {
		c.FFmpeg = "ffmpeg"
	}
	if c.FFprobe == "" {
		c.FFprobe = "ffprobe"
	}
}

// signingKey returns the configured key, or the data dir's key file,
// creating it on first start.
func signingKey(cfg MediaConfig, dataDir string) ([]byte, error) {
	if cfg.SigningKey != "" {
		k, err := hex.DecodeString(strings.TrimSpace(cfg.SigningKey))
		if err != nil || len(k) < 32 {
			return nil, errors.New("media signing key: want at least 64 hex digits (32 bytes)")
		}
		return k, nil
	}
	path := filepath.Join(dataDir, "media-signing.key")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k := make([]byte, 32)
		rand.Read(k)
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write media signing key: %w", err)
		}
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read media signing key: %w", err)
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) < 32 {
		return nil, fmt.Errorf("media signing key in %s is malformed", path)
	}
	return k, nil
}

func openBroker(ctx context.Context, cfg Config) (*queue.Broker, error) {
	qc := queue.Config{URL: cfg.Media.NATSURL, Logger: cfg.Logger}
	if qc.URL == "" {
		qc.StoreDir, qc.Listen = filepath.Join(cfg.DataDir, "nats"), cfg.Media.NATSListen
	} else if cfg.Media.NATSListen != "" {
		return nil, errors.New("--nats-listen applies to the embedded broker only; drop it or --nats-url")
	}
	b, err := queue.Open(ctx, qc)
	if err != nil {
		return nil, fmt.Errorf("message broker: %w", err)
	}
	return b, nil
}

func newTranscoder(cfg Config) *transcode.Transcoder {
	return transcode.New(transcode.Config{
		FFmpeg: cfg.Media.FFmpeg, FFprobe: cfg.Media.FFprobe,
		MaxDuration: cfg.Media.MaxDuration, MaxBytes: cfg.Media.MaxUploadBytes, Logger: cfg.Logger,
	})
}

// cleanupAttempts bounds retries of a failing cleanup (blob storage down):
// with the default backoff, about an hour and a half of trying.
const cleanupAttempts = 20

// backoff spaces retries of a failing transcode.
func backoff(attempts int) []time.Duration {
	out := make([]time.Duration, 0, attempts)
	d := 5 * time.Second
	for range attempts {
		out = append(out, d)
		d = min(d*3, 5*time.Minute)
	}
	return out
}

func openBlobs(cfg Config) (blob.Store, error) {
	m := cfg.Media
	if m.S3Bucket == "" {
		if m.S3Endpoint != "" {
			return nil, errors.New("blob storage: an S3 endpoint needs a bucket (--blob-s3-bucket)")
		}
		return blob.NewLocal(m.BlobDir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := blob.NewS3(ctx, blob.S3Config{
		Endpoint: m.S3Endpoint, Region: m.S3Region, Bucket: m.S3Bucket, Prefix: m.S3Prefix,
		AccessKey: m.S3AccessKey, SecretKey: m.S3SecretKey, Insecure: m.S3Insecure, CreateBucket: m.S3CreateBucket,
	})
	if errors.Is(err, blob.ErrNoBucket) {
		return nil, fmt.Errorf("blob storage: %w; create it, or start with --blob-s3-create-bucket", err)
	}
	if err != nil {
		return nil, fmt.Errorf("blob storage: %w", err)
	}
	return s, nil
}
