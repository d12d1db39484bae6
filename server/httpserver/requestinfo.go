package httpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// RequestIDHeader carries a request's id, from a client or proxy that set
// one, and back in every response.
const RequestIDHeader = "X-Request-Id"

// RequestInfo is what the layers inside a request note for its access-log
// line. AccessLog puts one in the context; the RPC layer fills it. Only the
// request's own goroutine writes it.
type RequestInfo struct {
	ID        string
	Procedure string
	Code      string
	UserID    string
}

type requestInfoKey struct{}

// InfoFrom returns the request's RequestInfo; nil outside AccessLog.
func InfoFrom(ctx context.Context) *RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*RequestInfo)
	return info
}

// requestID keeps a client's id when it is short and printable (it goes
// into logs verbatim), else makes a new one.
func requestID(given string) string {
	if given != "" && len(given) <= 64 {
		ok := true
		for _, c := range given {
			if c < '!' || c > '~' {
				ok = false
				break
			}
		}
		if ok {
			return given
		}
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
