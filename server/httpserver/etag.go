package httpserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ConditionalGET makes the answers to GET requests of next (Connect GET:
// side-effect-free unary RPCs) cacheable by HTTP: a 200 gets an ETag, the
// hash of its bytes, and a Cache-Control header, and a request whose
// If-None-Match names the current ETag gets 304 Not Modified with no body.
// The handler always runs, so authorization is checked every time; what a
// 304 saves is the response's bytes on the wire.
//
// What the answer may be cached as depends on who asked. A request with an
// Authorization header gets "private, no-cache": a browser or an SDK may keep
// it but must revalidate (cheap, with If-None-Match) before each use, and a
// shared cache (CDN, proxy) must not keep it at all; Vary: Authorization says
// so again to caches that key on headers. A request without one (an answer
// that cannot depend on the caller) gets "public, max-age" of publicMaxAge.
// Other methods and other statuses pass through untouched.
func ConditionalGET(publicMaxAge time.Duration, next http.Handler) http.Handler {
	public := "public, max-age=" + strconv.Itoa(int(publicMaxAge.Seconds()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			next.ServeHTTP(w, r)
			return
		}
		bw := bufferPool.Get().(*bufferedWriter)
		defer func() {
			bw.reset(nil)
			bufferPool.Put(bw)
		}()
		bw.reset(w)
		next.ServeHTTP(bw, r)
		if bw.status != http.StatusOK {
			bw.flushTo(w)
			return
		}
		sum := sha256.Sum256(bw.buf.Bytes())
		etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
		h := w.Header()
		h.Set("ETag", etag)
		h.Add("Vary", "Authorization")
		if r.Header.Get("Authorization") != "" {
			h.Set("Cache-Control", "private, no-cache")
		} else {
			h.Set("Cache-Control", public)
		}
		if etagMatches(r.Header.Values("If-None-Match"), etag) {
			// A 304 carries the validators and caching headers, no body.
			h.Del("Content-Length")
			h.Del("Content-Type")
			h.Del("Content-Encoding")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		bw.flushTo(w)
	})
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110 13.1.2):
// "*" or any listed tag, W/ or not, equal to etag.
func etagMatches(values []string, etag string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == etag {
				return true
			}
		}
	}
	return false
}

// bufferedWriter holds a unary answer until it is complete, to hash it.
type bufferedWriter struct {
	w      http.ResponseWriter
	status int
	buf    bytes.Buffer
}

var bufferPool = sync.Pool{New: func() any { return new(bufferedWriter) }}

func (b *bufferedWriter) reset(w http.ResponseWriter) {
	b.w, b.status = w, 0
	if b.buf.Cap() > 64<<10 {
		b.buf = bytes.Buffer{} // do not pool what one large answer grew
	}
	b.buf.Reset()
}

func (b *bufferedWriter) Header() http.Header { return b.w.Header() }

func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.buf.Write(p)
}

func (b *bufferedWriter) flushTo(w http.ResponseWriter) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	w.Write(b.buf.Bytes())
}
