// Package blobtest is the conformance suite every blob.Store must pass:
// the promises of the Store interface (atomic replacement, seekable reads,
// ErrNotFound, key checking, prefix deletion) and what the media pipeline
// leans on (streamed uploads of any size in bounded memory, concurrent
// writers of one key).
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/media/blob"
)

// Options adjusts the suite to what a store legitimately does differently.
type Options struct {
	// ReadsMayFailDuringReplace allows a read of an object that is being
	// replaced to fail (S3 pins the version it opened and refuses to mix
	// in the new one). Returning wrong bytes without an error never passes.
	ReadsMayFailDuringReplace bool
	// MaxPutHeap bounds how much the heap may grow during the big streamed
	// Put; 0 means 24 MiB, room for one 16 MiB upload part but far below
	// the object's size.
	MaxPutHeap uint64
}

// BigSize is the size of the streamed-upload object: over 40 MiB and not a
// multiple of any likely part size, so the last part is a short one.
const BigSize = 40<<20 + 12345

// Run runs the suite. newStore returns an empty store (or an empty corner
// of one) for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store, opts Options) {
	if opts.MaxPutHeap == 0 {
		opts.MaxPutHeap = 24 << 20
	}
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newStore(t)) })
	t.Run("EmptyObject", func(t *testing.T) { testEmpty(t, newStore(t)) })
	t.Run("Replace", func(t *testing.T) { testReplace(t, newStore(t)) })
	t.Run("Seek", func(t *testing.T) { testSeek(t, newStore(t)) })
	t.Run("ServeContentRanges", func(t *testing.T) { testServeContent(t, newStore(t)) })
	t.Run("Missing", func(t *testing.T) { testMissing(t, newStore(t)) })
	t.Run("BadKeys", func(t *testing.T) { testBadKeys(t, newStore(t)) })
	t.Run("OddCharacters", func(t *testing.T) { testOddKey(t, newStore(t)) })
	t.Run("DeletePrefix", func(t *testing.T) { testDeletePrefix(t, newStore(t)) })
	t.Run("FailedPutKeepsOld", func(t *testing.T) { testFailedPut(t, newStore(t)) })
	t.Run("BigStreamedPut", func(t *testing.T) { testBigPut(t, newStore(t), opts) })
	t.Run("ConcurrentPutSameKey", func(t *testing.T) { testConcurrentPut(t, newStore(t), opts) })
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func put(t *testing.T, s blob.Store, key string, data []byte) {
	t.Helper()
	n, err := s.Put(ctxT(t), key, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put %s: %v", key, err)
	}
	if n != int64(len(data)) {
		t.Fatalf("Put %s = %d bytes, want %d", key, n, len(data))
	}
}

// read opens key and reads it whole, checking Size against what it read.
func read(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	obj, err := s.Open(ctxT(t), key)
	if err != nil {
		t.Fatalf("Open %s: %v", key, err)
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	if obj.Size() != int64(len(b)) {
		t.Fatalf("%s: Size() = %d but %d bytes read", key, obj.Size(), len(b))
	}
	return b
}

func wantContent(t *testing.T, s blob.Store, key string, want []byte) {
	t.Helper()
	if got := read(t, s, key); !bytes.Equal(got, want) {
		t.Fatalf("%s holds %d bytes %.40q..., want %d bytes %.40q...", key, len(got), got, len(want), want)
	}
}

func wantNotFound(t *testing.T, s blob.Store, key string) {
	t.Helper()
	obj, err := s.Open(ctxT(t), key)
	if err == nil {
		obj.Close()
		t.Fatalf("Open %s succeeded, want ErrNotFound", key)
	}
	if !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Open %s: %v, want ErrNotFound", key, err)
	}
}

// pattern is a deterministic stream of n bytes that differs per seed and
// never repeats with a short period, so misplaced ranges show.
type pattern struct {
	seed, off, n int64
}

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if rest := p.n - p.off; int64(len(b)) > rest {
		b = b[:rest]
	}
	for i := range b {
		x := p.off + int64(i)
		b[i] = byte(x*31 + p.seed + x>>11 + x>>19)
	}
	p.off += int64(len(b))
	return len(b), nil
}

func patternBytes(seed, n int64) []byte {
	b, _ := io.ReadAll(&pattern{seed: seed, n: n})
	return b
}

func testRoundTrip(t *testing.T, s blob.Store) {
	data := patternBytes(1, 100_000)
	before := time.Now()
	put(t, s, "media/t1/m1/master.m3u8", data)
	obj, err := s.Open(ctxT(t), "media/t1/m1/master.m3u8")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	if obj.Size() != int64(len(data)) {
		t.Errorf("Size() = %d, want %d", obj.Size(), len(data))
	}
	// S3 keeps whole seconds; a server's clock may be a little off.
	if mt := obj.ModTime(); mt.IsZero() || mt.Before(before.Add(-time.Hour)) || mt.After(time.Now().Add(time.Hour)) {
		t.Errorf("ModTime() = %v, want about now (%v)", mt, before)
	}
	got, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want the %d put", len(got), err, len(data))
	}
	if err := obj.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	// Sibling keys are independent objects.
	put(t, s, "media/t1/m1/a.m4s", []byte("segment a"))
	wantContent(t, s, "media/t1/m1/master.m3u8", data)
	wantContent(t, s, "media/t1/m1/a.m4s", []byte("segment a"))
}

func testEmpty(t *testing.T, s blob.Store) {
	put(t, s, "empty", nil)
	obj, err := s.Open(ctxT(t), "empty")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	if obj.Size() != 0 {
		t.Errorf("Size() = %d, want 0", obj.Size())
	}
	if n, err := obj.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("Read of an empty object = %d, %v; want 0, EOF", n, err)
	}
}

func testReplace(t *testing.T, s blob.Store) {
	put(t, s, "k", patternBytes(1, 70_000))
	short := []byte("shorter replacement")
	put(t, s, "k", short)
	wantContent(t, s, "k", short)
	long := patternBytes(2, 300_000)
	put(t, s, "k", long)
	wantContent(t, s, "k", long)
}

func testSeek(t *testing.T, s blob.Store) {
	data := patternBytes(3, 300_000)
	size := int64(len(data))
	put(t, s, "seek/me", data)
	obj, err := s.Open(ctxT(t), "seek/me")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()

	seek := func(off int64, whence int, want int64) {
		t.Helper()
		got, err := obj.Seek(off, whence)
		if err != nil || got != want {
			t.Fatalf("Seek(%d, %d) = %d, %v; want %d", off, whence, got, err, want)
		}
	}
	readN := func(n int, from int64) {
		t.Helper()
		b := make([]byte, n)
		if _, err := io.ReadFull(obj, b); err != nil {
			t.Fatalf("reading %d bytes at %d: %v", n, from, err)
		}
		if !bytes.Equal(b, data[from:from+int64(n)]) {
			t.Fatalf("%d bytes at %d differ from what was put", n, from)
		}
	}

	// What http.ServeContent does: size, rewind, then the range.
	seek(0, io.SeekEnd, size)
	seek(0, io.SeekStart, 0)
	seek(1000, io.SeekStart, 1000)
	readN(500, 1000)
	seek(100, io.SeekCurrent, 1600)
	readN(10, 1600)
	seek(0, io.SeekCurrent, 1610)
	// Backwards after reading.
	seek(50, io.SeekStart, 50)
	readN(70_000, 50)
	seek(-10, io.SeekEnd, size-10)
	rest, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(rest, data[size-10:]) {
		t.Fatalf("tail read %q, %v", rest, err)
	}
	if n, err := obj.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("Read at the end = %d, %v; want 0, EOF", n, err)
	}
	seek(size+10, io.SeekStart, size+10)
	if n, err := obj.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("Read past the end = %d, %v; want 0, EOF", n, err)
	}
	if _, err := obj.Seek(-1, io.SeekStart); err == nil {
		t.Fatal("Seek to -1 succeeded")
	}
	seek(0, io.SeekStart, 0)
	all, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(all, data) {
		t.Fatalf("full read after seeking: %d bytes, %v", len(all), err)
	}
	// Closing part-way through is fine.
	obj2, err := s.Open(ctxT(t), "seek/me")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(obj2, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if err := obj2.Close(); err != nil {
		t.Fatalf("Close part-way: %v", err)
	}
}

// testServeContent serves an object the way the media handler does.
func testServeContent(t *testing.T, s blob.Store) {
	data := patternBytes(4, 200_000)
	size := len(data)
	put(t, s, "media/t/m/progressive.m4a", data)
	serve := func(rng string) *httptest.ResponseRecorder {
		t.Helper()
		obj, err := s.Open(ctxT(t), "media/t/m/progressive.m4a")
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		req := httptest.NewRequest(http.MethodGet, "/progressive.m4a", nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		rec := httptest.NewRecorder()
		http.ServeContent(rec, req, "progressive.m4a", obj.ModTime(), obj)
		return rec
	}
	if rec := serve(""); rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), data) {
		t.Fatalf("full GET: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	rec := serve("bytes=1000-1999")
	if rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), data[1000:2000]) {
		t.Fatalf("bytes=1000-1999: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	if cr := rec.Header().Get("Content-Range"); cr != fmt.Sprintf("bytes 1000-1999/%d", size) {
		t.Errorf("Content-Range %q", cr)
	}
	if rec := serve("bytes=-100"); rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), data[size-100:]) {
		t.Fatalf("bytes=-100: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	if rec := serve("bytes=150000-"); rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), data[150000:]) {
		t.Fatalf("bytes=150000-: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	// Several ranges: a seek per part of the multipart/byteranges answer.
	rec = serve("bytes=0-9,100000-100009,199990-")
	body := rec.Body.String()
	if rec.Code != http.StatusPartialContent || !strings.HasPrefix(rec.Header().Get("Content-Type"), "multipart/byteranges") {
		t.Fatalf("multi-range: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, part := range [][]byte{data[0:10], data[100000:100010], data[199990:]} {
		if !strings.Contains(body, string(part)) {
			t.Fatalf("multi-range answer lacks a part")
		}
	}
	if rec := serve(fmt.Sprintf("bytes=%d-", size+5)); rec.Code != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("range past the end: %d, want 416", rec.Code)
	}
}

func testMissing(t *testing.T, s blob.Store) {
	wantNotFound(t, s, "no/such/key")
	put(t, s, "dir/child/file", []byte("x"))
	// A "directory" is not an object.
	wantNotFound(t, s, "dir")
	wantNotFound(t, s, "dir/child")
	wantNotFound(t, s, "dir/child/file2")
	wantNotFound(t, s, "dir/child/fil")
}

// BadKeys lists keys every store must refuse.
var BadKeys = []string{"", "/", "/abs", "trailing/", "a//b", ".", "..", "a/./b", "a/../b", "../escape", "a/..", `a\b`, "a\x00b"}

func testBadKeys(t *testing.T, s blob.Store) {
	ctx := ctxT(t)
	for _, k := range BadKeys {
		if _, err := s.Put(ctx, k, strings.NewReader("x")); err == nil {
			t.Errorf("Put(%q) succeeded", k)
		}
		obj, err := s.Open(ctx, k)
		if err == nil {
			obj.Close()
			t.Errorf("Open(%q) succeeded", k)
		} else if errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Open(%q) = %v: a bad key is not a missing one", k, err)
		}
	}
	put(t, s, "keep/me", []byte("still here"))
	// Deleting "everything" must be refused, not obeyed.
	for _, p := range []string{"", "/", "//", "..", "../", "keep/../"} {
		if err := s.DeletePrefix(ctx, p); err == nil {
			t.Errorf("DeletePrefix(%q) succeeded", p)
		}
	}
	wantContent(t, s, "keep/me", []byte("still here"))
}

func testOddKey(t *testing.T, s blob.Store) {
	keys := []string{"media/a b/c+d%2Fe=f&g?h#i~j'k@l,m;n.m4s", "uploads/ünïcødé/日本語.flac", "x/UPPER/lower.M3U8"}
	for i, k := range keys {
		put(t, s, k, []byte(k+fmt.Sprint(i)))
	}
	for i, k := range keys {
		wantContent(t, s, k, []byte(k+fmt.Sprint(i)))
	}
	if err := s.DeletePrefix(ctxT(t), "media/a b"); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, s, keys[0])
	wantContent(t, s, keys[1], []byte(keys[1]+"1"))
}

func testDeletePrefix(t *testing.T, s blob.Store) {
	ctx := ctxT(t)
	keys := []string{"p/a", "p/b/c", "p/b/d/e", "pq/x", "p2", "other/p/a", "q/p/b/c"}
	for _, k := range keys {
		put(t, s, k, []byte(k))
	}
	alive := func(want ...string) {
		t.Helper()
		for _, k := range keys {
			obj, err := s.Open(ctx, k)
			if err == nil {
				obj.Close()
			}
			isAlive := err == nil
			shouldLive := false
			for _, w := range want {
				shouldLive = shouldLive || w == k
			}
			if err != nil && !errors.Is(err, blob.ErrNotFound) {
				t.Fatalf("Open %s: %v", k, err)
			}
			if isAlive != shouldLive {
				t.Fatalf("after deleting: %s exists=%v, want %v", k, isAlive, shouldLive)
			}
		}
	}
	if err := s.DeletePrefix(ctx, "p/b/"); err != nil {
		t.Fatal(err)
	}
	alive("p/a", "pq/x", "p2", "other/p/a", "q/p/b/c")
	// Without the slash it is still a path prefix: "p" is not "pq" or "p2".
	if err := s.DeletePrefix(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	alive("pq/x", "p2", "other/p/a", "q/p/b/c")
	// A single object.
	if err := s.DeletePrefix(ctx, "pq/x"); err != nil {
		t.Fatal(err)
	}
	alive("p2", "other/p/a", "q/p/b/c")
	// Nothing there: not an error.
	if err := s.DeletePrefix(ctx, "nothing/here/"); err != nil {
		t.Fatalf("deleting a missing prefix: %v", err)
	}
	// The deleted place can be written again (a re-transcode).
	put(t, s, "p/b/c", []byte("again"))
	wantContent(t, s, "p/b/c", []byte("again"))
}

// failingReader returns err after n bytes.
type failingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (f *failingReader) Read(b []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	if int64(len(b)) > f.n {
		b = b[:f.n]
	}
	n, err := f.r.Read(b)
	f.n -= int64(n)
	return n, err
}

func testFailedPut(t *testing.T, s blob.Store) {
	old := patternBytes(5, 50_000)
	put(t, s, "k", old)
	boom := errors.New("client went away")
	// Small (one request) and large (a multipart upload on S3).
	for _, after := range []int64{1 << 20, 20 << 20} {
		_, err := s.Put(ctxT(t), "k", &failingReader{r: &pattern{seed: 6, n: 1 << 30}, n: after, err: boom})
		if err == nil {
			t.Fatalf("Put failing after %d bytes succeeded", after)
		}
		wantContent(t, s, "k", old)
	}
	// A context that ends mid-stream also fails the Put and keeps the old.
	ctx, cancel := context.WithCancel(ctxT(t))
	r := &cancelAfter{r: &pattern{seed: 7, n: 30 << 20}, n: 2 << 20, cancel: cancel}
	if _, err := s.Put(ctx, "k", r); err == nil {
		t.Fatal("Put with a cancelled context succeeded")
	}
	wantContent(t, s, "k", old)
	// A failed first Put leaves nothing.
	if _, err := s.Put(ctxT(t), "fresh", &failingReader{r: &pattern{n: 1 << 20}, n: 1000, err: boom}); err == nil {
		t.Fatal("failing Put succeeded")
	}
	wantNotFound(t, s, "fresh")
}

// cancelAfter cancels a context once n bytes have been read.
type cancelAfter struct {
	r      io.Reader
	n      int64
	cancel func()
}

func (c *cancelAfter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if c.n -= int64(n); c.n <= 0 {
		c.cancel()
	}
	return n, err
}

// heapObjects reads the live-and-unswept heap without stopping the world.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// skipVolume skips, in -short mode, a test that writes tens of MiB: byte
// loops take seconds each under the race detector.
func skipVolume(t *testing.T) {
	if testing.Short() {
		t.Skip("writes tens of MiB: skipped in -short mode")
	}
}

func testBigPut(t *testing.T, s blob.Store, opts Options) {
	skipVolume(t)
	ctx := ctxT(t)
	// A low GC target makes the heap track what is really held.
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	runtime.GC() // twice: sync.Pool keeps a victim generation for one cycle
	base := heapObjects()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if h := heapObjects(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	began := time.Now()
	n, err := s.Put(ctx, "big/object", &pattern{seed: 8, n: BigSize})
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if n != BigSize {
		t.Fatalf("Put = %d bytes, want %d", n, BigSize)
	}
	grew := int64(peak.Load()) - int64(base)
	t.Logf("streamed %d MiB in %s; heap grew by at most %.1f MiB", BigSize>>20, time.Since(began).Round(time.Millisecond), float64(grew)/(1<<20))
	if grew > int64(opts.MaxPutHeap) {
		t.Errorf("heap grew by %.1f MiB during the Put, more than %.1f MiB: the object is being held in memory",
			float64(grew)/(1<<20), float64(opts.MaxPutHeap)/(1<<20))
	}

	// Read it back as a stream and compare with a fresh generator.
	obj, err := s.Open(ctx, "big/object")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	if obj.Size() != BigSize {
		t.Fatalf("Size() = %d, want %d", obj.Size(), BigSize)
	}
	if err := sameStream(obj, &pattern{seed: 8, n: BigSize}); err != nil {
		t.Fatal(err)
	}
	// And a range deep inside it, across where parts would meet.
	for _, at := range []int64{16<<20 - 7, 5<<20 - 3, BigSize - 100} {
		if _, err := obj.Seek(at, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, min(100, BigSize-at))
		if _, err := io.ReadFull(obj, b); err != nil {
			t.Fatalf("read at %d: %v", at, err)
		}
		want := make([]byte, len(b))
		p := &pattern{seed: 8, n: BigSize, off: at}
		io.ReadFull(p, want)
		if !bytes.Equal(b, want) {
			t.Fatalf("bytes at %d differ", at)
		}
	}
}

// sameStream compares two streams chunk by chunk without holding either.
func sameStream(got, want io.Reader) error {
	a, b := make([]byte, 256<<10), make([]byte, 256<<10)
	var off int64
	for {
		n, errW := io.ReadFull(want, b)
		m, errG := io.ReadFull(got, a[:n])
		if errG != nil && !(n == 0 && errG == io.EOF) {
			return fmt.Errorf("reading back at %d: %w", off, errG)
		}
		if m != n || !bytes.Equal(a[:m], b[:n]) {
			return fmt.Errorf("content differs in the %d bytes at %d", n, off)
		}
		off += int64(n)
		if errW == io.EOF || errW == io.ErrUnexpectedEOF {
			if k, _ := got.Read(a[:1]); k != 0 {
				return fmt.Errorf("more than the %d bytes put", off)
			}
			return nil
		}
	}
}

func testConcurrentPut(t *testing.T, s blob.Store, opts Options) {
	skipVolume(t)
	ctx := ctxT(t)
	const key = "media/t/m/contended.m4a"
	// Each writer's version is one byte value repeated, at a size of its
	// own, so a torn or mixed object cannot pass for a real one. One is big
	// enough to be a multipart upload on S3.
	sizes := map[byte]int{'a': 3 << 20, 'b': 1<<20 + 1, 'c': 20<<20 + 3, 'd': 7 << 20, 'z': 1000}
	version := func(c byte) []byte { return bytes.Repeat([]byte{c}, sizes[c]) }
	check := func(b []byte) error {
		if len(b) == 0 {
			return errors.New("empty object")
		}
		c := b[0]
		if want, ok := sizes[c]; !ok || len(b) != want {
			return fmt.Errorf("%d bytes starting %q: no writer wrote that", len(b), c)
		}
		if i := bytes.IndexFunc(b, func(r rune) bool { return r != rune(c) }); i >= 0 {
			return fmt.Errorf("version %q has a foreign byte at %d: torn write", c, i)
		}
		return nil
	}
	put(t, s, key, version('z'))

	var writers, readers sync.WaitGroup
	stop := make(chan struct{})
	var reads, failedReads atomic.Int64
	for r := 0; r < 2; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				obj, err := s.Open(ctx, key)
				if err != nil {
					t.Errorf("Open during writes: %v", err)
					return
				}
				b, err := io.ReadAll(obj)
				obj.Close()
				if err != nil {
					if !opts.ReadsMayFailDuringReplace {
						t.Errorf("read during writes: %v", err)
						return
					}
					failedReads.Add(1)
					continue
				}
				reads.Add(1)
				if err := check(b); err != nil {
					t.Errorf("a reader saw a bad object: %v", err)
					return
				}
				if int64(len(b)) != obj.Size() {
					t.Errorf("read %d bytes of an object whose Size() was %d", len(b), obj.Size())
					return
				}
			}
		}()
	}
	for _, c := range []byte("abcd") {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for range 3 {
				if _, err := s.Put(ctx, key, bytes.NewReader(version(c))); err != nil {
					t.Errorf("Put %q: %v", c, err)
					return
				}
			}
		}()
	}
	writers.Wait()
	close(stop)
	readers.Wait()
	t.Logf("%d complete reads during the writes, %d refused (object replaced mid-read)", reads.Load(), failedReads.Load())
	final := read(t, s, key)
	if err := check(final); err != nil {
		t.Fatalf("after concurrent Puts: %v", err)
	}
	if final[0] == 'z' {
		t.Fatal("after concurrent Puts the key still holds the version from before them")
	}
}
