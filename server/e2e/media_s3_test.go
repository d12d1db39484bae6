package e2e

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/minio/minio-go/v7"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/media/manifest"
	"github.com/backbeat/backbeat/server/testenv/s3test"
)

// s3Flags points a server at bucket on the S3 server.
func s3Flags(srv *s3test.Server, bucket, prefix string) []string {
	f := []string{"--blob-s3-endpoint", srv.URL(), "--blob-s3-bucket", bucket, "--blob-s3-prefix", prefix,
		"--blob-s3-region", srv.Region, "--blob-s3-access-key", srv.AccessKey, "--blob-s3-secret-key", srv.SecretKey}
	if srv.Insecure {
		f = append(f, "--blob-s3-insecure")
	}
	return f
}

// TestMediaOnS3 runs the media pipeline with blobs in a real S3 server:
// the upload lands in the bucket, the worker reads it back and writes the
// ladder there, and players stream it (ranges included) from there, from
// either of two replicas sharing the bucket.
func TestMediaOnS3(t *testing.T) {
	requireE2E(t)
	requireFFmpeg(t)
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t)
	const prefix = "backbeat-e2e"
	key := strings.Repeat("cd", 32)
	dirA := t.TempDir()
	s := startServer(t, dirA, append([]string{"--media-signing-key", key}, s3Flags(srv, bucket, prefix)...)...)
	st := newStudio(t, s)
	ctx := apptest.Context(t)

	const seconds = 6
	file := makeAudio(t, t.TempDir(), "in.flac", seconds)
	original, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	trackID := st.track(t, "Six Seconds on S3", 1)
	uploadID, code, body := st.upload(t, trackID, file)
	if code != http.StatusOK {
		t.Fatalf("upload PUT = %d %s", code, body)
	}
	tr := waitTrack(t, st.fan, trackID, 2*time.Minute)
	if tr.Status != catalogv1.TrackStatus_TRACK_STATUS_READY {
		t.Fatalf("track %v: %s", tr.Status, tr.StatusReason)
	}
	sp, err := st.fan.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: trackID}))
	apptest.MustOK(t, "StartPlayback", err)

	// HLS: the master playlist, a variant and its segments.
	res, master := get(t, sp.Msg.HlsUrl)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.apple.mpegurl" {
		t.Fatalf("master playlist: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	m, err := manifest.ParseMaster(bytes.NewReader(master))
	if err != nil || len(m.Variants) == 0 {
		t.Fatalf("master playlist: %v (%d variants)", err, len(m.Variants))
	}
	vres, vbody := get(t, resolve(sp.Msg.HlsUrl, m.Variants[0].URI))
	if vres.StatusCode != 200 {
		t.Fatalf("variant playlist: %d", vres.StatusCode)
	}
	media, err := manifest.ParseMedia(bytes.NewReader(vbody))
	if err != nil || len(media.Segments) == 0 {
		t.Fatalf("variant playlist: %v", err)
	}
	for _, seg := range media.Segments {
		if sres, sb := get(t, resolve(sp.Msg.HlsUrl, seg.URI)); sres.StatusCode != 200 || len(sb) == 0 {
			t.Fatalf("segment %s: %d, %d bytes", seg.URI, sres.StatusCode, len(sb))
		}
	}

	// Progressive: whole, a range, a suffix, past the end, and ffprobe
	// seeking through it with ranges of its own.
	full, whole := get(t, sp.Msg.ProgressiveUrl)
	if full.StatusCode != 200 || full.Header.Get("Accept-Ranges") != "bytes" || len(whole) < 4000 {
		t.Fatalf("progressive: %d, %d bytes, headers %v", full.StatusCode, len(whole), full.Header)
	}
	part, pb := get(t, sp.Msg.ProgressiveUrl, "Range", "bytes=1000-2999")
	if part.StatusCode != http.StatusPartialContent || !bytes.Equal(pb, whole[1000:3000]) {
		t.Fatalf("Range bytes=1000-2999: %d, %d bytes, equal=%v", part.StatusCode, len(pb), bytes.Equal(pb, whole[1000:3000]))
	}
	if cr := part.Header.Get("Content-Range"); !strings.HasPrefix(cr, "bytes 1000-2999/") {
		t.Errorf("Content-Range %q", cr)
	}
	if tail, tb := get(t, sp.Msg.ProgressiveUrl, "Range", "bytes=-100"); tail.StatusCode != http.StatusPartialContent || !bytes.Equal(tb, whole[len(whole)-100:]) {
		t.Errorf("suffix range: %d", tail.StatusCode)
	}
	if res, _ := get(t, sp.Msg.ProgressiveUrl, "Range", "bytes=99999999-"); res.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("range past the end: %d, want 416", res.StatusCode)
	}
	if codec, ch, dur, _ := ffprobe(t, sp.Msg.ProgressiveUrl); codec != "aac" || ch != 2 || !near(dur, seconds, 0.15) {
		t.Errorf("progressive over ranges: %s %dch %.2fs", codec, ch, dur)
	}
	if res, _ := get(t, strings.Replace(sp.Msg.HlsUrl, "master.m3u8", "seg-0-99999.m4s", 1)); res.StatusCode != http.StatusNotFound {
		t.Errorf("missing segment: %d, want 404", res.StatusCode)
	}

	// The objects are in the bucket, under the prefix, and nothing went to
	// the local blob directory.
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	objects := map[string]int64{}
	for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		objects[o.Key] = o.Size
	}
	uploadKey := prefix + "/uploads/" + trackID + "/" + uploadID
	if objects[uploadKey] != int64(len(original)) {
		t.Errorf("upload object %s: %d bytes, want the %d uploaded", uploadKey, objects[uploadKey], len(original))
	}
	var masters, segments, other int
	mediaDir := prefix + "/media/" + trackID + "/"
	for k := range objects {
		switch {
		case k == uploadKey:
		case k == prefix+"/uploads/"+trackID+"/newest.json":
			// The record of the newest upload, for playing it before its ladder.
		case !strings.HasPrefix(k, mediaDir):
			t.Errorf("unexpected object %s", k)
		case strings.HasSuffix(k, "/master.m3u8"):
			masters++
		case strings.HasSuffix(k, ".m4s"):
			segments++
		default:
			other++
		}
	}
	if masters != 1 || segments < len(media.Segments) || other < 3 {
		t.Errorf("bucket holds %d master playlists, %d segments, %d other media files: %v", masters, segments, other, keys(objects))
	}
	t.Logf("bucket %s: %d objects", bucket, len(objects))
	if entries, _ := os.ReadDir(filepath.Join(dirA, "blobs")); len(entries) != 0 {
		t.Errorf("the local blob directory is in use: %v", entries)
	}
	// Raw bytes in the bucket are what players get.
	obj, err := c.GetObject(ctx, bucket, progressiveKey(t, sp.Msg.ProgressiveUrl, prefix), minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	_, err = raw.ReadFrom(obj)
	obj.Close()
	if err != nil || !bytes.Equal(raw.Bytes(), whole) {
		t.Errorf("the progressive object in the bucket differs from what was streamed (%v)", err)
	}

	// A second replica with its own data directory streams the same media
	// from the shared bucket.
	b := startServer(t, t.TempDir(), append([]string{"--media-signing-key", key, "--transcode-workers", "0"}, s3Flags(srv, bucket, prefix)...)...)
	viaB := strings.Replace(sp.Msg.ProgressiveUrl, s.URL(), b.URL(), 1)
	if res, bb := get(t, viaB, "Range", "bytes=1000-2999"); res.StatusCode != http.StatusPartialContent || !bytes.Equal(bb, pb) {
		t.Errorf("range from the second replica: %d, equal=%v", res.StatusCode, bytes.Equal(bb, pb))
	}
}

// progressiveKey maps a progressive streaming URL to its object key:
// .../media/s/<token>/<track>/<media>/<file>.
func progressiveKey(t *testing.T, raw, prefix string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(u.Path, "/")
	if len(parts) < 3 {
		t.Fatalf("unexpected progressive URL %s", raw)
	}
	return prefix + "/media/" + strings.Join(parts[len(parts)-3:], "/")
}

func keys(m map[string]int64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestS3Misconfigured: a server pointed at a bucket that is not there
// refuses to start, saying why, rather than failing on the first upload.
func TestS3Misconfigured(t *testing.T) {
	requireE2E(t)
	srv := s3test.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run := func(extra ...string) (string, error) {
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, extra...)
		out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput()
		return string(out), err
	}
	missing := s3test.BucketName()
	out, err := run(s3Flags(srv, missing, "")...)
	if err == nil || !strings.Contains(out, "no such bucket; create it, or start with --blob-s3-create-bucket") {
		t.Errorf("missing bucket: %v\n%s", err, out)
	}
	out, err = run("--blob-s3-endpoint", srv.URL(), "--blob-s3-insecure")
	if err == nil || !strings.Contains(out, "--blob-s3-bucket") {
		t.Errorf("endpoint without a bucket: %v\n%s", err, out)
	}
	wrong := append(s3Flags(srv, missing, ""), "--blob-s3-create-bucket", "--blob-s3-secret-key", "wrong")
	out, err = run(wrong...)
	if err == nil || !strings.Contains(out, "Access Denied") {
		t.Errorf("wrong secret key: %v\n%s", err, out)
	}
	// With --blob-s3-create-bucket the bucket is made at start-up.
	srv.RemoveAtCleanup(t, missing)
	s := startServer(t, t.TempDir(), append(s3Flags(srv, missing, ""), "--blob-s3-create-bucket")...)
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := c.BucketExists(ctx, missing); err != nil || !ok {
		t.Errorf("bucket after a start with --blob-s3-create-bucket: exists=%v, %v", ok, err)
	}
	s.stop()
}
