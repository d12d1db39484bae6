package httpserver

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	connectcors "connectrpc.com/cors"
	"github.com/rs/cors"
)

// Recover turns a handler panic into a 500 and a logged stack, so one bad
// request cannot take the process down.
func Recover(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.Error("panic serving request", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines through the
// recorder, which gRPC streaming and trailers need.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// AccessLog logs one line per request at debug level (info for server
// errors), so a busy server does not drown its logs by default.
func AccessLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			// Nothing written: net/http sends 200 on return.
			rec.status = http.StatusOK
		}
		level := slog.LevelDebug
		if rec.status >= 500 {
			level = slog.LevelWarn
		}
		if !logger.Enabled(r.Context(), level) {
			return
		}
		logger.Log(r.Context(), level, "request",
			"method", r.Method, "path", r.URL.Path, "proto", r.Proto,
			"status", rec.status, "bytes", rec.bytes, "duration", time.Since(start),
			"grpc_status", rec.Header().Get("Grpc-Status"))
	})
}

// CORS lets browsers on the given origins call the Connect and gRPC-Web
// protocols. "*" allows any origin (bearer tokens, not cookies, carry
// credentials, so a wildcard does not expose sessions).
func CORS(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	c := cors.New(cors.Options{
		AllowedOrigins: origins,
		// PUT, HEAD and Range are for the media handler: browsers upload with
		// PUT and players fetch segments with Range requests.
		AllowedMethods: append(connectcors.AllowedMethods(), http.MethodPut, http.MethodHead),
		AllowedHeaders: append(connectcors.AllowedHeaders(), "Authorization", "Range", "If-Range", "If-None-Match"),
		ExposedHeaders: append(connectcors.ExposedHeaders(), "WWW-Authenticate", "Content-Range", "Content-Length", "Accept-Ranges", "ETag", "Last-Modified"),
		MaxAge:         7200,
	})
	return c.Handler(next)
}
