package httpserver_test

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/backbeat/backbeat/server/httpserver"
	"github.com/backbeat/backbeat/server/httpserver/httpservertest"
)

// protoHandler answers with the request's protocol.
var protoHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto) })

// start serves s until the test ends and checks Serve then returns nil.
func start(t *testing.T, s *httpserver.Server) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve after its context ended: %v", err)
		}
	})
}

func get(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestCleartext checks one listener speaks HTTP/2 with prior knowledge
// (gRPC, grpcurl -plaintext) and HTTP/1.1 (browsers) at once.
func TestCleartext(t *testing.T) {
	s, err := httpserver.Listen(httpserver.Config{Addr: "127.0.0.1:0", Logger: quiet()}, protoHandler)
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	if s.TLS() {
		t.Fatal("TLS() without a certificate")
	}
	url := "http://" + s.Addr().String() + "/"
	h2c := new(http.Protocols)
	h2c.SetUnencryptedHTTP2(true)
	if got := get(t, &http.Client{Transport: &http.Transport{Protocols: h2c}}, url); got != "HTTP/2.0" {
		t.Errorf("h2c client got %s", got)
	}
	if got := get(t, &http.Client{Transport: &http.Transport{}}, url); got != "HTTP/1.1" {
		t.Errorf("HTTP/1.1 client got %s", got)
	}
}

// TestTLS checks the listener serves HTTP/2 over TLS (ALPN) and HTTP/1.1.
func TestTLS(t *testing.T) {
	cert, key := httpservertest.SelfSigned(t, t.TempDir())
	s, err := httpserver.Listen(httpserver.Config{Addr: "127.0.0.1:0", TLSCertFile: cert, TLSKeyFile: key, Logger: quiet()}, protoHandler)
	if err != nil {
		t.Fatal(err)
	}
	start(t, s)
	if !s.TLS() {
		t.Fatal("TLS() false with a certificate")
	}
	url := "https://" + s.Addr().String() + "/"
	if got := get(t, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}}, url); got != "HTTP/2.0" {
		t.Errorf("HTTP/2 client got %s", got)
	}
	// An HTTP/1.1-only client offers just http/1.1 in ALPN, as curl --http1.1 does.
	h1 := new(http.Protocols)
	h1.SetHTTP1(true)
	if got := get(t, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}, Protocols: h1}}, url); got != "HTTP/1.1" {
		t.Errorf("HTTP/1.1 client got %s", got)
	}
}

// TestGracefulDrain checks a request in flight when Serve's context ends
// still gets its answer.
func TestGracefulDrain(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	s, err := httpserver.Listen(httpserver.Config{Addr: "127.0.0.1:0", Logger: quiet()}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "done")
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx) }()
	got := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + s.Addr().String() + "/")
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got <- string(b)
	}()
	<-entered
	cancel()
	close(release)
	if g := <-got; g != "done" {
		t.Fatalf("in-flight request got %q, want its answer", g)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := net.Dial("tcp", s.Addr().String()); err == nil {
		t.Fatal("still accepting after the drain")
	}
}

// TestCloseReleases checks Close frees the port of a server that never
// served, and stops one that does, making Serve return nil.
func TestCloseReleases(t *testing.T) {
	s, err := httpserver.Listen(httpserver.Config{Addr: "127.0.0.1:0", Logger: quiet()}, protoHandler)
	if err != nil {
		t.Fatal(err)
	}
	addr := s.Addr().String()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port still bound after Close: %v", err)
	}

	s, err = httpserver.New(httpserver.Config{Logger: quiet()}, ln, protoHandler)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(context.Background()) }()
	get(t, &http.Client{Transport: &http.Transport{}}, "http://"+addr+"/")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve after Close: %v", err)
	}
}

func TestListenErrors(t *testing.T) {
	if _, err := httpserver.Listen(httpserver.Config{Addr: "127.0.0.1:notaport", Logger: quiet()}, protoHandler); err == nil {
		t.Error("listened on a bad address")
	}
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = httpserver.Listen(httpserver.Config{Addr: addr, TLSCertFile: filepath.Join(dir, "missing.pem"), TLSKeyFile: filepath.Join(dir, "missing.key"), Logger: quiet()}, protoHandler)
	if err == nil {
		t.Fatal("served TLS without a certificate file")
	}
	// The failed start released the port it had bound.
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port still bound after a failed start: %v", err)
	}
	ln.Close()
}
