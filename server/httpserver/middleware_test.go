package httpserver_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/backbeat/backbeat/server/httpserver"
)

// logs collects log output for a test.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func logger(level slog.Level) (*slog.Logger, *logs) {
	l := &logs{}
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: level})), l
}

func TestRecover(t *testing.T) {
	log, out := logger(slog.LevelInfo)
	h := httpserver.Recover(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/backbeat.x/Y", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d after a panic, want 500", rec.Code)
	}
	if s := out.String(); !strings.Contains(s, "panic serving request") || !strings.Contains(s, "boom") || !strings.Contains(s, "/backbeat.x/Y") || !strings.Contains(s, "stack=") {
		t.Fatalf("log %q; want the panic, its value, the path and the stack", s)
	}
}

// TestRecoverLetsAbortThrough checks http.ErrAbortHandler keeps its meaning
// (abort the response quietly): net/http handles it, not Recover.
func TestRecoverLetsAbortThrough(t *testing.T) {
	log, out := logger(slog.LevelInfo)
	h := httpserver.Recover(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler passed on", v)
		}
		if out.String() != "" {
			t.Fatalf("logged %q for an abort", out.String())
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	t.Fatal("ErrAbortHandler was swallowed")
}

func TestAccessLog(t *testing.T) {
	handler := func(status int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Grpc-Status", "5")
			w.WriteHeader(status)
			w.Write([]byte("hello"))
		})
	}
	t.Run("info logs every request", func(t *testing.T) {
		log, out := logger(slog.LevelInfo)
		httpserver.AccessLog(log, nil, handler(http.StatusOK)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/svc/Method", nil))
		s := out.String()
		for _, want := range []string{"level=INFO", "method=POST", "path=/svc/Method", "status=200", "bytes=5", "grpc_status=5", "duration="} {
			if !strings.Contains(s, want) {
				t.Errorf("log %q lacks %s", s, want)
			}
		}
	})
	t.Run("warn skips client errors", func(t *testing.T) {
		log, out := logger(slog.LevelWarn)
		httpserver.AccessLog(log, nil, handler(http.StatusNotFound)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		if out.String() != "" {
			t.Fatalf("logged %q at warn for a 404", out.String())
		}
	})
	t.Run("server errors are warnings", func(t *testing.T) {
		log, out := logger(slog.LevelInfo)
		httpserver.AccessLog(log, nil, handler(http.StatusServiceUnavailable)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		if s := out.String(); !strings.Contains(s, "level=WARN") || !strings.Contains(s, "status=503") {
			t.Fatalf("log %q; want a warning with status 503", s)
		}
	})
	t.Run("a handler that writes nothing is a 200", func(t *testing.T) {
		log, out := logger(slog.LevelDebug)
		httpserver.AccessLog(log, nil, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		if s := out.String(); !strings.Contains(s, "status=200") {
			t.Fatalf("log %q; want status 200, what net/http sent", s)
		}
	})
	t.Run("flush and trailers reach the connection", func(t *testing.T) {
		log, _ := logger(slog.LevelDebug)
		rec := httptest.NewRecorder()
		httpserver.AccessLog(log, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("part"))
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("flush through the access log: %v", err)
			}
		})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if !rec.Flushed {
			t.Fatal("the flush did not reach the underlying writer")
		}
	})
}

func TestCORS(t *testing.T) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	preflight := func(origins []string, origin string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodOptions, "/backbeat.catalog.v1.CatalogService/Search", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "PUT")
		req.Header.Set("Access-Control-Request-Headers", "authorization,connect-protocol-version,content-type,range,x-grpc-web")
		rec := httptest.NewRecorder()
		httpserver.CORS(origins, inner).ServeHTTP(rec, req)
		return rec
	}
	t.Run("any origin", func(t *testing.T) {
		rec := preflight([]string{"*"}, "https://player.example")
		allowed := strings.ToLower(rec.Header().Get("Access-Control-Allow-Headers"))
		if rec.Header().Get("Access-Control-Allow-Origin") == "" || rec.Header().Get("Access-Control-Allow-Methods") != "PUT" {
			t.Fatalf("preflight headers %v", rec.Header())
		}
		for _, h := range []string{"authorization", "connect-protocol-version", "range", "x-grpc-web"} {
			if !strings.Contains(allowed, h) {
				t.Errorf("allow-headers %q lacks %s", allowed, h)
			}
		}
	})
	t.Run("exposed headers on a real request", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/x", nil)
		req.Header.Set("Origin", "https://player.example")
		rec := httptest.NewRecorder()
		httpserver.CORS([]string{"*"}, inner).ServeHTTP(rec, req)
		exposed := strings.ToLower(rec.Header().Get("Access-Control-Expose-Headers"))
		for _, h := range []string{"grpc-status", "grpc-message", "www-authenticate", "content-range", "etag"} {
			if !strings.Contains(exposed, h) {
				t.Errorf("expose-headers %q lacks %s", exposed, h)
			}
		}
		if rec.Code != http.StatusTeapot {
			t.Fatalf("status %d: the request did not reach the handler", rec.Code)
		}
	})
	t.Run("listed origin only", func(t *testing.T) {
		if rec := preflight([]string{"https://app.example"}, "https://app.example"); rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example" {
			t.Fatalf("listed origin refused: %v", rec.Header())
		}
		if rec := preflight([]string{"https://app.example"}, "https://evil.example"); rec.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("unlisted origin allowed: %v", rec.Header())
		}
	})
	t.Run("no origins disables CORS", func(t *testing.T) {
		rec := preflight(nil, "https://player.example")
		if rec.Header().Get("Access-Control-Allow-Origin") != "" || rec.Code != http.StatusTeapot {
			t.Fatalf("status %d, headers %v; want the request passed on untouched", rec.Code, rec.Header())
		}
	})
}
