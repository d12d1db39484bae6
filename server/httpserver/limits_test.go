package httpserver_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/httpserver"
	"github.com/backbeat/backbeat/server/httpserver/httpservertest"
)

// readAll answers with what reading the body gave: its size, or the error.
var readAll = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		w.WriteHeader(http.StatusRequestTimeout)
		fmt.Fprintf(w, "read failed after %d bytes: %v", n, err)
		return
	}
	fmt.Fprintf(w, "read %d", n)
})

// serveLimited starts a loopback server with a short body deadline: any
// body must be done within 300 ms plus 1 MiB/s.
func serveLimited(t *testing.T, l httpserver.Limits, h http.Handler) string {
	t.Helper()
	s, err := httpserver.Listen(httpserver.Config{Addr: "127.0.0.1:0", Limits: l, Logger: quiet()}, h)
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	return s.Addr().String()
}

var shortBody = httpserver.Limits{BodyGrace: 300 * time.Millisecond, BodyMinRate: 1 << 20}

// bound is how long a test waits for the server to cut a slow body before
// failing: far above the configured deadline, so the test is not a timing
// assertion, and below the trickle's length, so without the limit the
// server would still be waiting.
const bound = 20 * time.Second

// TestSlowBodyIsCutHTTP1: a client sending one byte every 50 ms (far below
// the minimum rate) gets an answer, and its connection closed, long before
// it finishes; without the limit the server waits for the whole body.
func TestSlowBodyIsCutHTTP1(t *testing.T) {
	addr := serveLimited(t, shortBody, readAll)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const size = 1 << 20 // at 20 B/s, about 14 hours
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", addr, size)
	httpservertest.Trickle(t, conn, 'x')
	conn.SetReadDeadline(time.Now().Add(bound))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response to a 20 B/s body within %v: %v", bound, err)
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), "timeout") {
		t.Fatalf("got %d %q, want the handler's read to fail with a deadline", res.StatusCode, body)
	}
	httpservertest.WantClosed(t, conn, "the cut body")
}

// trickle is a request body that yields one byte every 50 ms until closed.
type trickle struct{ stop chan struct{} }

func (b trickle) Read(p []byte) (int, error) {
	select {
	case <-b.stop:
		return 0, io.EOF
	case <-time.After(50 * time.Millisecond):
	}
	p[0] = 'x'
	return 1, nil
}

// TestSlowBodyIsCutHTTP2: the same over cleartext HTTP/2, where the
// deadline is the stream's and the connection stays up for others.
func TestSlowBodyIsCutHTTP2(t *testing.T) {
	addr := serveLimited(t, shortBody, readAll)
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	c := &http.Client{Transport: &http.Transport{Protocols: protocols}}
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	stop := make(chan struct{})
	defer close(stop)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/", trickle{stop})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(req)
	if ctx.Err() != nil {
		t.Fatalf("no answer to a 20 B/s body within %v", bound)
	}
	if err == nil { // the server may answer before it resets the stream
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestTimeout {
			t.Fatalf("got %d %q, want the handler's read to fail", res.StatusCode, body)
		}
	}
	// The connection still serves other requests.
	res, err = c.Post("http://"+addr+"/", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatalf("next request on the connection: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "read 5" || res.Proto != "HTTP/2.0" {
		t.Errorf("next request: %s %q", res.Proto, body)
	}
}

// TestBodyDeadlineEndsWithBody: once a body is complete its deadline no
// longer applies: a handler may work longer than the grace and still answer,
// on either protocol. It guards the choice not to clear the deadline at the
// body's end (net/http does it for HTTP/1; an HTTP/2 stream's deadline only
// bounds the body).
func TestBodyDeadlineEndsWithBody(t *testing.T) {
	addr := serveLimited(t, shortBody, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
			fmt.Fprint(w, "cancelled")
		case <-time.After(3 * shortBody.BodyGrace):
			fmt.Fprint(w, "ok")
		}
	}))
	h2c := new(http.Protocols)
	h2c.SetUnencryptedHTTP2(true)
	for name, c := range map[string]*http.Client{
		"HTTP/1.1": {Transport: &http.Transport{}},
		"HTTP/2":   {Transport: &http.Transport{Protocols: h2c}},
	} {
		for range 2 { // the second request reuses the connection
			res, err := c.Post("http://"+addr+"/", "text/plain", strings.NewReader("hello"))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil || string(body) != "ok" {
				t.Fatalf("%s: handler after its body: %q, %v; want ok", name, body, err)
			}
		}
		c.CloseIdleConnections()
	}
}

// TestMaxConns: past the cap a new connection is not served until one of
// the open ones closes.
func TestMaxConns(t *testing.T) {
	addr := serveLimited(t, httpserver.Limits{MaxConns: 2}, protoHandler)
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
		// A served request proves the server accepted this connection.
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if _, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil {
			t.Fatal(err)
		}
	}
	third, err := net.Dial("tcp", addr) // the kernel's backlog takes it
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	fmt.Fprintf(third, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	third.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := third.Read(make([]byte, 1)); err == nil {
		t.Fatal("a third connection was served with a cap of two")
	}
	held[0].Close()
	third.SetReadDeadline(time.Now().Add(bound))
	res, err := http.ReadResponse(bufio.NewReader(third), nil)
	if err != nil {
		t.Fatalf("third connection after one closed: %v", err)
	}
	res.Body.Close()
}

// TestMaxBody: bodies past the cap fail to read, except where exempt.
func TestMaxBody(t *testing.T) {
	exempt := func(r *http.Request) bool { return r.Method == http.MethodPut }
	h := httpserver.MaxBody(10, exempt, readAll)
	for _, tc := range []struct {
		method, body, want string
	}{
		{http.MethodPost, "0123456789", "read 10"},
		{http.MethodPost, "0123456789A", "read failed after 10 bytes: http: request body too large"},
		{http.MethodPut, strings.Repeat("x", 100), "read 100"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, "/", strings.NewReader(tc.body)))
		if got := rec.Body.String(); got != tc.want {
			t.Errorf("%s of %d bytes: %q, want %q", tc.method, len(tc.body), got, tc.want)
		}
	}
}

// TestUnreadBodyIsCut: a handler that answers without reading the body (an
// auth refusal) does not leave the connection to a trickling client: after
// the response net/http reads what is left of a small body to reuse the
// connection, and that read has the deadline too.
func TestUnreadBodyIsCut(t *testing.T) {
	addr := serveLimited(t, shortBody, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const size = 100 << 10 // under net/http's 256 KiB post-handler read; 85 min at 20 B/s
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", addr, size)
	httpservertest.Trickle(t, conn, 'x')
	conn.SetReadDeadline(time.Now().Add(bound))
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	httpservertest.WantClosed(t, br, "the refused, trickling body")
}

// TestHTTP2Settings reads the SETTINGS frame the server opens an h2c
// connection with: the stream, frame and header limits are the ones chosen
// in New, not whatever the standard library defaults to.
func TestHTTP2Settings(t *testing.T) {
	addr := serveLimited(t, httpserver.Limits{}, protoHandler)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(bound))
	if _, err := io.WriteString(conn, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// A frame: 24-bit length, type, flags, 32-bit stream id; SETTINGS is
	// type 4, a list of 16-bit ids with 32-bit values.
	var hdr [9]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		t.Fatal(err)
	}
	if hdr[3] != 4 {
		t.Fatalf("first frame of type %d, want SETTINGS (4)", hdr[3])
	}
	payload := make([]byte, int(hdr[0])<<16|int(hdr[1])<<8|int(hdr[2]))
	if _, err := io.ReadFull(conn, payload); err != nil {
		t.Fatal(err)
	}
	got := map[uint16]uint32{}
	for p := payload; len(p) >= 6; p = p[6:] {
		got[uint16(p[0])<<8|uint16(p[1])] = uint32(p[2])<<24 | uint32(p[3])<<16 | uint32(p[4])<<8 | uint32(p[5])
	}
	const (
		maxConcurrentStreams = 0x3
		maxFrameSize         = 0x5
		maxHeaderListSize    = 0x6
	)
	if v := got[maxConcurrentStreams]; v != 100 {
		t.Errorf("MAX_CONCURRENT_STREAMS %d, want 100", v)
	}
	if v := got[maxFrameSize]; v != 64<<10 {
		t.Errorf("MAX_FRAME_SIZE %d, want %d", v, 64<<10)
	}
	// net/http adds some slack to MaxHeaderBytes (64 KiB) for HTTP/2.
	if v := got[maxHeaderListSize]; v < 64<<10 || v > 128<<10 {
		t.Errorf("MAX_HEADER_LIST_SIZE %d, want about 64 KiB", v)
	}
}
