package httpserver

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// Limits bounds what one client can make the server hold: connections and
// the time a request body may take. Zero fields take the defaults below.
type Limits struct {
	// MaxConns caps open connections on the listener; past it, Accept waits
	// for one to close, so a connection flood queues in the kernel's backlog
	// instead of exhausting file descriptors and memory.
	MaxConns int
	// BodyGrace is how long any request body may take before BodyMinRate
	// starts to count: a body must be complete by
	// start + BodyGrace + bytesRead/BodyMinRate, so a client trickling bytes
	// is cut off while a slow but honest upload keeps going.
	BodyGrace time.Duration
	// BodyMinRate is the slowest sustained body rate, in bytes per second.
	BodyMinRate int64
}

// DefaultLimits suit a small deployment. 1024 connections with up to 100
// HTTP/2 streams each is far above what one replica's store serves, and
// stays under the usual 4096 open-file limit with room for the store. A body
// gets 30 s, then must average 4 KiB/s (32 kbit/s, a poor mobile link): a
// 4 MiB RPC body may take about 17 minutes, a 1 byte/s body is cut at 30 s.
// The one streaming request body Backbeat serves is gRPC reflection's: such
// a stream lasts 30 s plus a quarter second per byte sent, which a tool's
// lookups fit in; a client holding one open longer reconnects.
var DefaultLimits = Limits{MaxConns: 1024, BodyGrace: 30 * time.Second, BodyMinRate: 4 << 10}

func (l Limits) withDefaults() Limits {
	if l.MaxConns <= 0 {
		l.MaxConns = DefaultLimits.MaxConns
	}
	if l.BodyGrace <= 0 {
		l.BodyGrace = DefaultLimits.BodyGrace
	}
	if l.BodyMinRate <= 0 {
		l.BodyMinRate = DefaultLimits.BodyMinRate
	}
	return l
}

// MaxBody caps every request body at max bytes, except where exempt says so
// (the upload PUT, which enforces its own, larger limit). It caps the bytes
// on the wire: connect's WithReadMaxBytes caps each message after
// decompression, this caps what a client can make the server read at all,
// on paths that have no cap of their own too.
func MaxBody(max int64, exempt func(*http.Request) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody && (exempt == nil || !exempt(r)) {
			r.Body = http.MaxBytesReader(w, r.Body, max)
		}
		next.ServeHTTP(w, r)
	})
}

// minRate enforces l's body deadline on every request through
// http.ResponseController, which sets the connection's read deadline on
// HTTP/1 and the stream's on HTTP/2: a body that falls behind fails its
// read with os.ErrDeadlineExceeded and its connection (or stream) is ended.
// It must see the server's own ResponseWriter (or one that unwraps to it).
func minRate(l Limits, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			b := &minRateBody{
				ReadCloser: r.Body, rc: http.NewResponseController(w),
				start: time.Now(), grace: l.BodyGrace, rate: l.BodyMinRate,
			}
			if r.ProtoMajor == 1 {
				b.header = w.Header()
			}
			// Set the first deadline now, not at the first read: a
			// handler that answers without reading (an auth refusal)
			// leaves net/http to read the rest of a small HTTP/1 body
			// before the response goes out, and that read needs a bound.
			b.extend()
			r.Body = b
		}
		next.ServeHTTP(w, r)
	})
}

type minRateBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	start time.Time
	grace time.Duration
	rate  int64
	read  int64
	set   time.Time // the deadline last set; zero before the first read
	done  bool
	// header is the HTTP/1 response's, nil on HTTP/2 (whose stream the
	// deadline resets by itself).
	header http.Header
}

// extend moves the deadline to what the bytes read so far earn.
func (b *minRateBody) extend() {
	deadline := b.start.Add(b.grace + time.Duration(b.read)*time.Second/time.Duration(b.rate))
	if b.set.IsZero() || deadline.Sub(b.set) >= setEvery {
		// An error means the writer cannot set deadlines (a test
		// recorder); the body then has none, as before.
		_ = b.rc.SetReadDeadline(deadline)
		b.set = deadline
	}
}

// setEvery avoids a deadline update (a timer reset) on every small read:
// the deadline only moves forward, so lagging it by this much only ever
// cuts a body off slightly early relative to the formula, never late.
const setEvery = time.Second

func (b *minRateBody) Read(p []byte) (int, error) {
	if !b.done {
		b.extend()
	}
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	if errors.Is(err, io.EOF) {
		// The body is complete: no more deadlines. The one set stays,
		// harmlessly: net/http clears the connection's when it starts its
		// background read at the body's end, and an HTTP/2 stream's only
		// bounds its body (TestBodyDeadlineEndsWithBody).
		b.done = true
	} else if err != nil && b.header != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		// Without this, net/http keeps an HTTP/1 connection whose body
		// failed midway and parses the rest of the trickle as the next
		// request. The handler has not answered yet (it is reading), so
		// the header still reaches the response.
		b.header.Set("Connection", "close")
	}
	return n, err
}
