package mediahttp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/media/blob"
	"github.com/backbeat/backbeat/server/media/blobkey"
	"github.com/backbeat/backbeat/server/media/urlsign"
)

const uploadID = "01hvpzzzzzzzzzzzzzzzzzzzzz"

// receiver stands in for domain.Media: it records the uploads it is told
// of, and refuses with the errors it is given.
type receiver struct {
	mu                 sync.Mutex
	accept, receive    error
	accepted, received []domain.TranscodeJob
}

func (r *receiver) AcceptUpload(_ context.Context, j domain.TranscodeJob) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.accepted = append(r.accepted, j)
	return r.accept
}

func (r *receiver) UploadReceived(_ context.Context, j domain.TranscodeJob) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.receive != nil {
		return r.receive
	}
	r.received = append(r.received, j)
	return nil
}

// logBuffer keeps log lines for the test to read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type uploadRig struct {
	h     http.Handler
	blobs *blob.Local
	rcv   *receiver
	logs  *logBuffer
	url   string
}

func newUploadRig(t testing.TB) *uploadRig {
	t.Helper()
	blobs, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := urlsign.New(bytes.Repeat([]byte{1}, 32), "http://media.test", time.Hour, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	rig := &uploadRig{blobs: blobs, rcv: &receiver{}, logs: &logBuffer{}}
	mux := http.NewServeMux()
	New(blobs, signer, rig.rcv, 1<<20, slog.New(slog.NewTextHandler(rig.logs, nil))).Register(mux)
	rig.h = mux
	rig.url, _ = signer.UploadURL(trackID, uploadID, userID)
	return rig
}

func (rig *uploadRig) put(t testing.TB, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	rig.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, rig.url, body))
	return rec
}

// stored returns the upload's stored bytes, or nil.
func (rig *uploadRig) stored(t testing.TB) []byte {
	t.Helper()
	obj, err := rig.blobs.Open(context.Background(), blobkey.Upload(trackID, uploadID))
	if errors.Is(err, blob.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUploadURLIsSingleUse: a second PUT to a used URL is 409 and leaves
// the first file and its one job as they were.
func TestUploadURLIsSingleUse(t *testing.T) {
	rig := newUploadRig(t)
	if rec := rig.put(t, strings.NewReader("first file")); rec.Code != http.StatusOK {
		t.Fatalf("first PUT: %d %s", rec.Code, rec.Body)
	}
	rec := rig.put(t, strings.NewReader("a different file"))
	if rec.Code != http.StatusConflict {
		t.Fatalf("second PUT: %d %s, want 409", rec.Code, rec.Body)
	}
	if got := string(rig.stored(t)); got != "first file" {
		t.Fatalf("stored %q after a second PUT, want the first file", got)
	}
	if n := len(rig.rcv.received); n != 1 {
		t.Fatalf("%d uploads received, want 1", n)
	}
}

// TestUploadRefusedBeforeTheBody: an upload the domain refuses (replaced
// by a newer one, or already playing; the track gone) is answered before
// its body is stored, and nothing is received.
func TestUploadRefusedBeforeTheBody(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
	}{
		{domain.FailedPrecondition("upload was replaced by a newer upload"), http.StatusConflict},
		{domain.NotFound("track", trackID), http.StatusNotFound},
		{domain.Unavailable("store down"), http.StatusServiceUnavailable},
	} {
		rig := newUploadRig(t)
		rig.rcv.accept = tc.err
		if rec := rig.put(t, strings.NewReader("audio")); rec.Code != tc.code {
			t.Fatalf("%v: PUT %d %s, want %d", tc.err, rec.Code, rec.Body, tc.code)
		}
		if b := rig.stored(t); b != nil || len(rig.rcv.received) != 0 {
			t.Fatalf("%v: stored %q, received %v", tc.err, b, rig.rcv.received)
		}
	}
}

// TestUploadNotQueuedCanBeRetried: when the job cannot be queued the PUT
// is 503 and its file goes, so the retry the client is asked for works;
// an upload the domain refuses once stored (a newer one won meanwhile) is
// 409.
func TestUploadNotQueuedCanBeRetried(t *testing.T) {
	rig := newUploadRig(t)
	rig.rcv.receive = domain.Unavailable("queue down")
	if rec := rig.put(t, strings.NewReader("audio")); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("PUT with the queue down: %d %s", rec.Code, rec.Body)
	}
	if b := rig.stored(t); b != nil {
		t.Fatalf("an unqueued upload's file stayed: %q", b)
	}
	rig.rcv.receive = nil
	if rec := rig.put(t, strings.NewReader("audio")); rec.Code != http.StatusOK {
		t.Fatalf("retried PUT: %d %s", rec.Code, rec.Body)
	}

	rig = newUploadRig(t)
	rig.rcv.receive = domain.FailedPrecondition("upload was replaced by a newer upload")
	if rec := rig.put(t, strings.NewReader("audio")); rec.Code != http.StatusConflict {
		t.Fatalf("PUT that lost to a newer upload: %d %s, want 409", rec.Code, rec.Body)
	}
}

// failingBody is a request body whose client goes away after some bytes.
type failingBody struct {
	data []byte
	err  error
}

func (b *failingBody) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, b.err
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

// TestAbortedUploadIsTheClients: a body that stops short (the connection
// dropped, or the request's context ended) is a 400 logged as a warning,
// not a 500 or an ERROR line, and nothing is stored or received.
func TestAbortedUploadIsTheClients(t *testing.T) {
	for name, put := range map[string]func(rig *uploadRig) *httptest.ResponseRecorder{
		"body cut short": func(rig *uploadRig) *httptest.ResponseRecorder {
			return rig.put(t, &failingBody{data: make([]byte, 10_000), err: io.ErrUnexpectedEOF})
		},
		"client gone": func(rig *uploadRig) *httptest.ResponseRecorder {
			ctx, cancel := context.WithCancel(context.Background())
			req := httptest.NewRequest(http.MethodPut, rig.url, io.MultiReader(bytes.NewReader(make([]byte, 10_000)), readerFunc(func([]byte) (int, error) {
				cancel()
				return 0, context.Canceled
			})))
			rec := httptest.NewRecorder()
			rig.h.ServeHTTP(rec, req.WithContext(ctx))
			return rec
		},
	} {
		t.Run(name, func(t *testing.T) {
			rig := newUploadRig(t)
			rec := put(rig)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("aborted PUT: %d %s, want 400", rec.Code, rec.Body)
			}
			logs := rig.logs.String()
			if strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "level=WARN") {
				t.Fatalf("aborted upload logged:\n%s\nwant a warning and no error", logs)
			}
			if b := rig.stored(t); b != nil || len(rig.rcv.received) != 0 {
				t.Fatalf("aborted upload stored %d bytes, received %v", len(b), rig.rcv.received)
			}
			// The URL was not used up: the whole file can follow.
			if rec := rig.put(t, strings.NewReader("audio")); rec.Code != http.StatusOK {
				t.Fatalf("PUT after an aborted one: %d %s", rec.Code, rec.Body)
			}
		})
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }
