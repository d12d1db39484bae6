package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHealthcheck checks the container's health check command: 0 when the
// server answers 200, a failure naming the answer otherwise, and the
// listen address of the environment (0.0.0.0 in the image) asked on
// loopback.
func TestHealthcheck(t *testing.T) {
	ready := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" && !ready {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	port := srv.Listener.Addr().String()[strings.LastIndex(srv.Listener.Addr().String(), ":")+1:]
	env := func() (environ, *bytes.Buffer) {
		var out bytes.Buffer
		return environ{lookup: func(k string) (string, bool) {
			if k == "BACKBEAT_ADDR" {
				return "0.0.0.0:" + port, true
			}
			return "", false
		}, stdout: &out, stderr: &out}, &out
	}
	e, out := env()
	if err := e.run([]string{"healthcheck"}); err != nil {
		t.Fatalf("healthy server: %v\n%s", err, out)
	}
	ready = false
	e, _ = env()
	err := e.run([]string{"healthcheck", "--path", "/readyz"})
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "draining") {
		t.Fatalf("draining server: got %v, want the 503 and its reason", err)
	}
}
