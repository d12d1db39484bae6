package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config says where an S3 store keeps its objects.
type S3Config struct {
	// Endpoint is the server: host[:port], or a URL whose scheme (http or
	// https) says whether to use TLS. Empty means Amazon S3.
	Endpoint string
	// Region is the bucket's region; empty means us-east-1 (or, on Amazon
	// S3, whatever the bucket's location turns out to be).
	Region string
	// Bucket holds the objects. It must exist unless CreateBucket is set.
	Bucket string
	// Prefix is prepended to every key (a trailing "/" is added), so
	// several deployments can share a bucket.
	Prefix string
	// AccessKey and SecretKey sign requests. When both are empty the usual
	// places are tried: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
	// MINIO_ACCESS_KEY / MINIO_SECRET_KEY, then ~/.aws/credentials.
	AccessKey, SecretKey string
	// Insecure talks plain HTTP instead of HTTPS (an http:// endpoint
	// implies it). It does not mean skipping certificate checks.
	Insecure bool
	// PathStyle forces path-style requests (host/bucket/key). Otherwise
	// the style is chosen from the endpoint: virtual-host style on Amazon
	// S3 and a few other clouds, path style elsewhere.
	PathStyle bool
	// CreateBucket creates a missing bucket at start-up instead of failing.
	CreateBucket bool
	// PartSize is the size of each part of a multipart upload and the
	// largest object sent in a single PUT; a Put holds at most this much of
	// its data in memory. 0 means DefaultS3PartSize; at least 5 MiB (S3's
	// smallest part).
	PartSize int64
	// Transport overrides the HTTP transport (tests, custom TLS roots).
	Transport http.RoundTripper
}

const (
	// DefaultS3PartSize keeps a streamed upload's memory at 16 MiB while
	// allowing objects up to 160 GiB (S3's 10,000-part limit).
	DefaultS3PartSize = 16 << 20
	minS3PartSize     = 5 << 20
	maxS3Parts        = 10000
	emptySHA256       = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// ErrNoBucket is returned (wrapped) by NewS3 for a missing bucket it was
// not asked to create.
var ErrNoBucket = errors.New("no such bucket")

// S3 keeps blobs in an S3-compatible bucket (Amazon S3, MinIO, Ceph,
// versitygw, ...). Every replica may share it.
//
// Put streams: an object that fits in one part goes up in a single PUT,
// a larger one as a multipart upload, one part in memory at a time. Either
// way S3 makes the object visible only once complete, and a failed Put
// aborts its upload and leaves the previous object in place.
//
// Open stats the object and reads it lazily with ranged GETs pinned to the
// ETag it saw, so a Seek costs no request and a reader never mixes two
// versions: if the object is replaced mid-read, Read fails instead. Reads
// use the context given to Open.
type S3 struct {
	client   *minio.Client
	core     minio.Core
	bucket   string
	prefix   string
	partSize int64
	bufs     sync.Pool // *[]byte of partSize
}

// NewS3 connects to the bucket, checking that it exists (or creating it
// when cfg.CreateBucket is set) and that the credentials work.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("blob: s3: no bucket given")
	}
	host, secure, err := s3Endpoint(cfg.Endpoint, cfg.Insecure)
	if err != nil {
		return nil, err
	}
	prefix := strings.Trim(cfg.Prefix, "/")
	if prefix != "" {
		if err := CheckKey(prefix); err != nil {
			return nil, fmt.Errorf("blob: s3: bad prefix %q", cfg.Prefix)
		}
		prefix += "/"
	}
	partSize := cfg.PartSize
	if partSize == 0 {
		partSize = DefaultS3PartSize
	}
	if partSize < minS3PartSize {
		return nil, fmt.Errorf("blob: s3: part size %d is below S3's minimum of 5 MiB", partSize)
	}
	var creds *credentials.Credentials
	switch {
	case cfg.AccessKey != "" && cfg.SecretKey != "":
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	case cfg.AccessKey != "" || cfg.SecretKey != "":
		return nil, errors.New("blob: s3: access key and secret key go together")
	default:
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{}, &credentials.EnvMinio{}, &credentials.FileAWSCredentials{},
		})
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(host, &minio.Options{
		Creds: creds, Secure: secure, Region: cfg.Region, BucketLookup: lookup, Transport: cfg.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: s3 endpoint %q: %w", cfg.Endpoint, err)
	}
	s := &S3{client: client, core: minio.Core{Client: client}, bucket: cfg.Bucket, prefix: prefix, partSize: partSize}
	s.bufs.New = func() any { b := make([]byte, s.partSize); return &b }

	where := fmt.Sprintf("bucket %q at %s", cfg.Bucket, client.EndpointURL().Redacted())
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("blob: s3 %s: %w", where, err)
	}
	if !ok {
		if !cfg.CreateBucket {
			return nil, fmt.Errorf("blob: s3 %s: %w", where, ErrNoBucket)
		}
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if err != nil && minio.ToErrorResponse(err).Code != minio.BucketAlreadyOwnedByYou {
			return nil, fmt.Errorf("blob: s3 creating %s: %w", where, err)
		}
	}
	return s, nil
}

// s3Endpoint splits an endpoint setting into minio's host[:port] and
// whether to use TLS.
func s3Endpoint(endpoint string, insecure bool) (string, bool, error) {
	if endpoint == "" {
		return "s3.amazonaws.com", !insecure, nil
	}
	if !strings.Contains(endpoint, "://") {
		return endpoint, !insecure, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", false, fmt.Errorf("blob: s3: endpoint %q: want host:port or scheme://host:port", endpoint)
	}
	switch u.Scheme {
	case "http":
		return u.Host, false, nil
	case "https":
		if insecure {
			return "", false, fmt.Errorf("blob: s3: endpoint %q is https but plain HTTP was asked for", endpoint)
		}
		return u.Host, true, nil
	}
	return "", false, fmt.Errorf("blob: s3: endpoint %q: scheme must be http or https", endpoint)
}

// Bucket and Prefix say where the objects live.
func (s *S3) Bucket() string { return s.bucket }
func (s *S3) Prefix() string { return s.prefix }

func (s *S3) name(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	return s.prefix + key, nil
}

// Put reads up to one part; if that is all there is, it goes up in one
// PUT, otherwise as a multipart upload reusing the same buffer per part.
func (s *S3) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	name, err := s.name(key)
	if err != nil {
		return 0, err
	}
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	buf := *bp
	r = ctxReader{ctx, r}

	n, err := io.ReadFull(r, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		if n == 0 {
			// Over plain HTTP the body would go aws-chunked, and a
			// zero-length one of those trips some servers (versitygw
			// answers it twice); an empty body signed with its hash needs
			// no chunks.
			_, err = s.core.PutObject(ctx, s.bucket, name, bytes.NewReader(nil), 0, "", emptySHA256, minio.PutObjectOptions{DisableContentSha256: true})
		} else {
			_, err = s.client.PutObject(ctx, s.bucket, name, bytes.NewReader(buf[:n]), int64(n),
				minio.PutObjectOptions{DisableMultipart: true})
		}
		if err != nil {
			return 0, fmt.Errorf("blob: put %s: %w", key, err)
		}
		return int64(n), nil
	}
	if err != nil {
		return int64(n), fmt.Errorf("blob: put %s: %w", key, err)
	}
	total, err := s.putMultipart(ctx, name, r, buf)
	if err != nil {
		return total, fmt.Errorf("blob: put %s: %w", key, err)
	}
	return total, nil
}

// putMultipart uploads buf (full) and then the rest of r, a part at a
// time. On any failure the upload is aborted, so no parts linger.
func (s *S3) putMultipart(ctx context.Context, name string, r io.Reader, buf []byte) (total int64, err error) {
	uploadID, err := s.core.NewMultipartUpload(ctx, s.bucket, name, minio.PutObjectOptions{})
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			_ = s.core.AbortMultipartUpload(actx, s.bucket, name, uploadID)
		}
	}()
	var parts []minio.CompletePart
	n, last := len(buf), false
	for num := 1; ; num++ {
		if num > maxS3Parts {
			return total, fmt.Errorf("object exceeds %d parts of %d bytes", maxS3Parts, s.partSize)
		}
		p, err := s.core.PutObjectPart(ctx, s.bucket, name, uploadID, num, bytes.NewReader(buf[:n]), int64(n), minio.PutObjectPartOptions{})
		if err != nil {
			return total, err
		}
		parts = append(parts, minio.CompletePart{PartNumber: num, ETag: p.ETag})
		total += int64(n)
		if last {
			break
		}
		n, err = io.ReadFull(r, buf)
		if err == io.EOF {
			break
		}
		if err == io.ErrUnexpectedEOF {
			last = true
		} else if err != nil {
			return total, err
		}
	}
	if _, err := s.core.CompleteMultipartUpload(ctx, s.bucket, name, uploadID, parts, minio.PutObjectOptions{}); err != nil {
		return total, err
	}
	return total, nil
}

// Open stats the object; reading starts on the first Read.
func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	name, err := s.name(key)
	if err != nil {
		return nil, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if err != nil {
		if isS3NotFound(err) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
		}
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	return &s3Object{s: s, ctx: ctx, key: key, name: name, size: info.Size, mod: info.LastModified, etag: info.ETag}, nil
}

// isS3NotFound is a missing key. A missing bucket (NoSuchBucket) is not:
// that is a misconfiguration and must not read as "no such file". (A HEAD
// has no body to tell the two apart; NewS3 checked the bucket, though.)
func isS3NotFound(err error) bool {
	switch minio.ToErrorResponse(err).Code {
	case minio.NoSuchKey, "NotFound":
		return true
	}
	return false
}

// DeletePrefix removes the object at prefix and every object below
// prefix + "/", like Local removing a file or a directory: "media/ab"
// does not touch "media/abc".
func (s *S3) DeletePrefix(ctx context.Context, prefix string) error {
	p := trimSlash(prefix)
	name, err := s.name(p)
	if err != nil {
		return err
	}
	batch := []string{name} // deleting a missing key is not an error in S3
	flush := func() (err error) {
		ch := make(chan minio.ObjectInfo, len(batch))
		for _, k := range batch {
			ch <- minio.ObjectInfo{Key: k}
		}
		close(ch)
		batch = batch[:0]
		for e := range s.client.RemoveObjects(ctx, s.bucket, ch, minio.RemoveObjectsOptions{}) {
			if e.Err != nil && !isS3NotFound(e.Err) {
				err = errors.Join(err, fmt.Errorf("%s: %w", strings.TrimPrefix(e.ObjectName, s.prefix), e.Err))
			}
		}
		return err
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine if we return early
	for obj := range s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{Prefix: name + "/", Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("blob: delete %s: %w", prefix, obj.Err)
		}
		batch = append(batch, obj.Key)
		if len(batch) == 1000 { // S3's limit for one multi-object delete
			if err := flush(); err != nil {
				return fmt.Errorf("blob: delete %s: %w", prefix, err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("blob: delete %s: %w", prefix, err)
	}
	return nil
}

// s3Object reads an object with ranged GETs, opened lazily at the current
// offset: Seek only moves the offset, so http.ServeContent's seeks cost
// nothing and a Range request is one GET from its start.
type s3Object struct {
	s         *S3
	ctx       context.Context
	key, name string
	size      int64
	mod       time.Time
	etag      string

	off     int64
	body    io.ReadCloser // positioned at bodyOff
	bodyOff int64
	closed  bool
}

func (o *s3Object) Size() int64        { return o.size }
func (o *s3Object) ModTime() time.Time { return o.mod }

func (o *s3Object) Read(p []byte) (int, error) {
	if o.closed {
		return 0, fmt.Errorf("blob: read %s: %w", o.key, fs.ErrClosed)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if o.off >= o.size {
		return 0, io.EOF
	}
	if o.body != nil && o.bodyOff != o.off {
		o.body.Close()
		o.body = nil
	}
	if o.body == nil {
		var opts minio.GetObjectOptions
		if o.etag != "" {
			_ = opts.SetMatchETag(o.etag)
		}
		if o.off > 0 {
			_ = opts.SetRange(o.off, 0)
		}
		body, _, _, err := o.s.core.GetObject(o.ctx, o.s.bucket, o.name, opts)
		switch {
		case err == nil:
		case minio.ToErrorResponse(err).Code == minio.PreconditionFailed:
			return 0, fmt.Errorf("blob: read %s: replaced while being read: %w", o.key, err)
		case isS3NotFound(err):
			return 0, fmt.Errorf("%w: %s (deleted while being read)", ErrNotFound, o.key)
		default:
			return 0, fmt.Errorf("blob: read %s: %w", o.key, err)
		}
		o.body, o.bodyOff = body, o.off
	}
	n, err := o.body.Read(p)
	o.off += int64(n)
	o.bodyOff += int64(n)
	if err != nil {
		o.body.Close()
		o.body = nil
		if err == io.EOF {
			if o.off < o.size {
				return n, fmt.Errorf("blob: read %s: %w", o.key, io.ErrUnexpectedEOF)
			}
			return n, io.EOF
		}
		return n, fmt.Errorf("blob: read %s: %w", o.key, err)
	}
	return n, nil
}

func (o *s3Object) Seek(offset int64, whence int) (int64, error) {
	if o.closed {
		return 0, fmt.Errorf("blob: seek %s: %w", o.key, fs.ErrClosed)
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = o.off + offset
	case io.SeekEnd:
		abs = o.size + offset
	default:
		return 0, fmt.Errorf("blob: seek %s: bad whence %d", o.key, whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("blob: seek %s: negative position", o.key)
	}
	o.off = abs
	return abs, nil
}

func (o *s3Object) Close() error {
	if o.closed {
		return nil
	}
	o.closed = true
	if o.body != nil {
		err := o.body.Close()
		o.body = nil
		return err
	}
	return nil
}
