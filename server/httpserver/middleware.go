package httpserver

import (
	"context"
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

// AccessLog logs one line per request at info (a server error at warn):
// method, path as redact returns it (nil: as is; never the query, which may
// hold a signature), status, bytes, duration, client address, request id,
// and what the RPC layer noted in the request's RequestInfo (procedure,
// code, user id). The request id is the client's X-Request-Id when it
// sends a sane one, else a new one; the response carries it back.
func AccessLog(logger *slog.Logger, redact func(string) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &RequestInfo{ID: requestID(r.Header.Get(RequestIDHeader))}
		w.Header().Set(RequestIDHeader, info.ID)
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
		if rec.status == 0 {
			// Nothing written: net/http sends 200 on return.
			rec.status = http.StatusOK
		}
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelWarn
		}
		if !logger.Enabled(r.Context(), level) {
			return
		}
		path := r.URL.Path
		if redact != nil {
			path = redact(path)
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method), slog.String("path", path), slog.String("proto", r.Proto),
			slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes), slog.Duration("duration", time.Since(start)),
			slog.String("client", r.RemoteAddr), slog.String("request_id", info.ID),
		}
		if info.Procedure != "" {
			attrs = append(attrs, slog.String("procedure", info.Procedure), slog.String("code", info.Code))
		}
		if info.UserID != "" {
			attrs = append(attrs, slog.String("user_id", info.UserID))
		}
		if gs := rec.Header().Get("Grpc-Status"); gs != "" {
			attrs = append(attrs, slog.String("grpc_status", gs))
		}
		logger.LogAttrs(r.Context(), level, "request", attrs...)
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
