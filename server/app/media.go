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

	"github.com/backbeat/backbeat/server/keyfile"
	"github.com/backbeat/backbeat/server/media/blob"
	"github.com/backbeat/backbeat/server/media/transcode"
	"github.com/backbeat/backbeat/server/queue"
)

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
	path := filepath.Join(dataDir, mediaKeyFile)
	k, err := readSigningKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	k = make([]byte, 32)
	rand.Read(k)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	if err := keyfile.WriteOnce(path, []byte(hex.EncodeToString(k)+"\n")); err != nil {
		return nil, fmt.Errorf("write media signing key: %w", err)
	}
	// Of replicas starting at once on a shared directory, one key landed:
	// everyone uses that one.
	return readSigningKey(path)
}

func readSigningKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
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

func openBroker(ctx context.Context, cfg Config, hooks func(queue.Config) queue.Config) (*queue.Broker, error) {
	m := cfg.Media
	qc := queue.Config{URL: m.NATSURL, User: m.NATSUser, Password: m.NATSPassword, TLSCA: m.NATSTLSCA, Logger: cfg.Logger}
	if qc.URL == "" {
		qc.StoreDir, qc.Listen = filepath.Join(cfg.DataDir, "nats"), m.NATSListen
		qc.TLSCert, qc.TLSKey = m.NATSTLSCert, m.NATSTLSKey
	}
	b, err := queue.Open(ctx, hooks(qc))
	if err != nil {
		return nil, fmt.Errorf("message broker: %w", err)
	}
	return b, nil
}

func newTranscoder(cfg Config) *transcode.Transcoder {
	return transcode.New(transcode.Config{
		FFmpeg: cfg.Media.FFmpeg, FFprobe: cfg.Media.FFprobe,
		MaxDuration: cfg.Media.MaxDuration, MaxBytes: cfg.Media.MaxUploadBytes, Logger: cfg.Logger,
		PrecheckTimeout: cfg.Media.PrecheckTimeout,
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
