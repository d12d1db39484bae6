package s3test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/testenv/proctest"
	"github.com/minio/minio-go/v7"
)

func TestSharedServer(t *testing.T) {
	began := time.Now()
	srv := Shared(t)
	t.Logf("shared server %s ready in %s", srv.URL(), time.Since(began).Round(time.Millisecond))

	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bucket := srv.NewBucket(t)

	// A multipart upload and a ranged read: the parts of S3 a mock is most
	// likely to get subtly wrong.
	payload := bytes.Repeat([]byte("0123456789abcdef"), (6<<20)/16+1) // just over one 5 MiB part
	if _, err := c.PutObject(ctx, bucket, "dir/obj", bytes.NewReader(payload), int64(len(payload)),
		minio.PutObjectOptions{PartSize: 5 << 20}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	var opts minio.GetObjectOptions
	opts.SetRange(5<<20-3, 5<<20+4)
	obj, err := c.GetObject(ctx, bucket, "dir/obj", opts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	obj.Close()
	if err != nil || !bytes.Equal(got, payload[5<<20-3:5<<20+5]) {
		t.Fatalf("ranged GET = %q, %v; want %q", got, err, payload[5<<20-3:5<<20+5])
	}
	st, err := c.StatObject(ctx, bucket, "dir/obj", minio.StatObjectOptions{})
	if err != nil || st.Size != int64(len(payload)) || !strings.HasSuffix(st.ETag, "-2") {
		t.Fatalf("stat = size %d etag %q, %v; want a 2-part object of %d bytes", st.Size, st.ETag, err, len(payload))
	}
	_, err = c.StatObject(ctx, bucket, "dir/missing", minio.StatObjectOptions{})
	if code := minio.ToErrorResponse(err).Code; code != minio.NoSuchKey {
		t.Fatalf("stat of a missing key: %v (code %q), want NoSuchKey", err, code)
	}

	// A second call returns the same server without starting another.
	again := time.Now()
	if s2 := Shared(t); s2 != srv {
		t.Fatalf("second Shared call returned another server")
	}
	if d := time.Since(again); d > time.Second {
		t.Fatalf("second Shared call took %s", d)
	}
}

// TestStartAndClose runs a private server, as a test needing its own
// (or a stopped) server would.
func TestStartAndClose(t *testing.T) {
	Skip(t)
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	srv, err := Start(ctx, Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	dir := srv.Dir()
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.MakeBucket(ctx, "private", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListBuckets(ctx); err == nil {
		t.Fatal("server still answers after Close")
	}
	if proctest.Exists(dir) {
		t.Fatalf("Close left %s behind", dir)
	}
}
