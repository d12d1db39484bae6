package blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/backbeat/backbeat/server/media/blob"
	"github.com/backbeat/backbeat/server/media/blob/blobtest"
	"github.com/backbeat/backbeat/server/testenv/s3test"
)

func TestLocal(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		l, err := blob.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return l
	}, blobtest.Options{})
}

// TestLocalLeavesNoTemporaries checks that failed and replaced Puts clean
// up after themselves.
func TestLocalLeavesNoTemporaries(t *testing.T) {
	dir := t.TempDir()
	l, err := blob.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		if _, err := l.Put(ctx, "a/b", strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Put(ctx, "a/c", io.MultiReader(strings.NewReader("x"), errReader{})); err == nil {
		t.Fatal("failing Put succeeded")
	}
	if left, _ := os.ReadDir(filepath.Join(dir, ".tmp")); len(left) != 0 {
		t.Fatalf("%d temporary files left behind", len(left))
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

// s3Store connects a store to bucket on the shared server.
func s3Store(t *testing.T, srv *s3test.Server, cfg blob.S3Config) *blob.S3 {
	t.Helper()
	cfg.Endpoint = srv.URL()
	cfg.Region = srv.Region
	if cfg.AccessKey == "" {
		cfg.AccessKey, cfg.SecretKey = srv.AccessKey, srv.SecretKey
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := blob.NewS3(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestS3 runs the conformance suite against a real S3 server, each subtest
// in its own key prefix of one bucket.
func TestS3(t *testing.T) {
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t)
	var n atomic.Int64
	blobtest.Run(t, func(t *testing.T) blob.Store {
		return s3Store(t, srv, blob.S3Config{Bucket: bucket, Prefix: fmt.Sprintf("conformance-%d", n.Add(1))})
	}, blobtest.Options{ReadsMayFailDuringReplace: true})
}

func TestS3Bucket(t *testing.T) {
	srv := s3test.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := blob.S3Config{
		Endpoint: srv.URL(), Region: srv.Region, Bucket: s3test.BucketName(),
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
	}
	_, err := blob.NewS3(ctx, cfg)
	if !errors.Is(err, blob.ErrNoBucket) {
		t.Fatalf("NewS3 with a missing bucket: %v, want ErrNoBucket", err)
	}
	cfg.CreateBucket = true
	srv.RemoveAtCleanup(t, cfg.Bucket)
	s, err := blob.NewS3(ctx, cfg)
	if err != nil {
		t.Fatalf("NewS3 creating the bucket: %v", err)
	}
	if _, err := s.Put(ctx, "k", strings.NewReader("v")); err != nil {
		t.Fatal(err)
	}
	// Starting again finds the bucket there.
	if _, err := blob.NewS3(ctx, cfg); err != nil {
		t.Fatalf("NewS3 on an existing bucket with CreateBucket: %v", err)
	}

	bad := cfg
	bad.SecretKey = "wrong"
	if _, err := blob.NewS3(ctx, bad); err == nil {
		t.Fatal("NewS3 with a wrong secret key succeeded")
	} else {
		t.Logf("wrong secret key: %v", err)
	}
}

// TestS3Layout checks where objects land: under the prefix, with the key
// as given, and nowhere else; and that two prefixes in one bucket are
// separate stores.
func TestS3Layout(t *testing.T) {
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t)
	a := s3Store(t, srv, blob.S3Config{Bucket: bucket, Prefix: "/deploy-a/"})
	b := s3Store(t, srv, blob.S3Config{Bucket: bucket, Prefix: "deploy-b"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, s := range []*blob.S3{a, b} {
		for _, k := range []string{"media/t/m/master.m3u8", "media/t/m/seg 1.m4s", "uploads/t/u"} {
			if _, err := s.Put(ctx, k, strings.NewReader(s.Prefix()+k)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := a.DeletePrefix(ctx, "media/t/"); err != nil {
		t.Fatal(err)
	}
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, o.Key)
	}
	want := "deploy-a/uploads/t/u deploy-b/media/t/m/master.m3u8 deploy-b/media/t/m/seg 1.m4s deploy-b/uploads/t/u"
	if got := strings.Join(keys, " "); got != want {
		t.Fatalf("bucket holds %q,\nwant %q", got, want)
	}
	obj, err := c.GetObject(ctx, bucket, "deploy-b/media/t/m/seg 1.m4s", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	if body, err := io.ReadAll(obj); err != nil || string(body) != "deploy-b/media/t/m/seg 1.m4s" {
		t.Fatalf("raw object = %q, %v", body, err)
	}
}

// TestS3MultipartCleanup checks that a Put failing part-way through a
// multipart upload aborts it, leaving no parts to pay for, and that a
// successful one completes it.
func TestS3MultipartCleanup(t *testing.T) {
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t)
	s := s3Store(t, srv, blob.S3Config{Bucket: bucket, PartSize: 5 << 20})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	big := bytes.Repeat([]byte("0123456789"), (12<<20)/10) // three 5 MiB parts, the last short
	if n, err := s.Put(ctx, "ok", bytes.NewReader(big)); err != nil || n != int64(len(big)) {
		t.Fatalf("Put = %d, %v", n, err)
	}
	if _, err := s.Put(ctx, "broken", io.MultiReader(bytes.NewReader(big), errReader{})); err == nil {
		t.Fatal("failing Put succeeded")
	}
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	for up := range c.ListIncompleteUploads(ctx, bucket, "", true) {
		if up.Err != nil {
			t.Fatal(up.Err)
		}
		t.Errorf("unfinished upload left behind: %s (%s)", up.Key, up.UploadID)
	}
	st, err := c.StatObject(ctx, bucket, "ok", minio.StatObjectOptions{})
	if err != nil || st.Size != int64(len(big)) || !strings.HasSuffix(st.ETag, "-3") {
		t.Fatalf("stat ok = %d bytes etag %q, %v; want a 3-part object", st.Size, st.ETag, err)
	}
	if _, err := c.StatObject(ctx, bucket, "broken", minio.StatObjectOptions{}); minio.ToErrorResponse(err).Code != minio.NoSuchKey {
		t.Fatalf("failed Put left an object: %v", err)
	}
	// Small objects go up in one PUT: a plain ETag, no "-N" suffix.
	if _, err := s.Put(ctx, "small", strings.NewReader("tiny")); err != nil {
		t.Fatal(err)
	}
	if st, err := c.StatObject(ctx, bucket, "small", minio.StatObjectOptions{}); err != nil || strings.Contains(st.ETag, "-") {
		t.Fatalf("stat small: etag %q, %v", st.ETag, err)
	}
}

// TestS3ReadOfReplacedObject: a reader that opened the old version fails
// rather than returning the new bytes under the old size.
func TestS3ReadOfReplacedObject(t *testing.T) {
	srv := s3test.Shared(t)
	s := s3Store(t, srv, blob.S3Config{Bucket: srv.NewBucket(t)})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.Put(ctx, "k", strings.NewReader("old version")); err != nil {
		t.Fatal(err)
	}
	obj, err := s.Open(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	if _, err := s.Put(ctx, "k", strings.NewReader("the new version")); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(obj)
	if err == nil {
		t.Fatalf("read %q of a replaced object without an error", b)
	}
	t.Logf("read of a replaced object: %v", err)
	if err := s.DeletePrefix(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, "k"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Open after delete: %v", err)
	}
}

func TestS3Config(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cfg  blob.S3Config
		want string
	}{
		{"no bucket", blob.S3Config{Endpoint: "127.0.0.1:1"}, "no bucket"},
		{"bad scheme", blob.S3Config{Endpoint: "ftp://127.0.0.1:1", Bucket: "b"}, "scheme"},
		{"path in endpoint", blob.S3Config{Endpoint: "http://127.0.0.1:1/x", Bucket: "b"}, "want host:port"},
		{"https but insecure", blob.S3Config{Endpoint: "https://127.0.0.1:1", Bucket: "b", Insecure: true}, "plain HTTP"},
		{"half the keys", blob.S3Config{Endpoint: "127.0.0.1:1", Bucket: "b", AccessKey: "a"}, "go together"},
		{"bad prefix", blob.S3Config{Endpoint: "127.0.0.1:1", Bucket: "b", Prefix: "a/../b"}, "bad prefix"},
		{"small parts", blob.S3Config{Endpoint: "127.0.0.1:1", Bucket: "b", PartSize: 1 << 20}, "5 MiB"},
	} {
		_, err := blob.NewS3(ctx, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %q", tc.name, err, tc.want)
		}
	}
}
