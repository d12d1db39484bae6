package httpserver_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/backbeat/backbeat/server/httpserver"
)

// TestBoundedGzip sends 32 MiB of gzipped zeros (about 32 KB, under the
// cap on the wire) to a handler capped at 64 KiB. connect refuses it either
// way; the size it reports is what it inflated, which with BoundedGzip stops
// one byte past the cap (with connect's own gzip it is the whole 32 MiB).
func TestBoundedGzip(t *testing.T) {
	const max = 64 << 10
	const proc = "/test.v1.Test/Echo"
	h := connect.NewUnaryHandler(proc, func(context.Context, *connect.Request[emptypb.Empty]) (*connect.Response[emptypb.Empty], error) {
		return connect.NewResponse(&emptypb.Empty{}), nil
	}, connect.WithReadMaxBytes(max), httpserver.BoundedGzip(max))

	var body bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&body, gzip.BestCompression)
	zero := make([]byte, 1<<20)
	for range 32 {
		zw.Write(zero)
	}
	zw.Close()
	req := httptest.NewRequest("POST", proc, &body)
	req.Header.Set("Content-Type", "application/proto")
	req.Header.Set("Content-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	got := rec.Body.String()
	if !strings.Contains(got, `"code":"resource_exhausted"`) || !strings.Contains(got, "message size 65537 is larger than configured max 65536") {
		t.Errorf("HTTP %d %s; want resource_exhausted after inflating 65537 bytes", rec.Code, got)
	}

	// Ordinary compressed messages still decode.
	body.Reset()
	zw.Reset(&body)
	zw.Close() // an empty message
	req = httptest.NewRequest("POST", proc, &body)
	req.Header.Set("Content-Type", "application/proto")
	req.Header.Set("Content-Encoding", "gzip")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("a small gzipped message: HTTP %d %s", rec.Code, rec.Body)
	}
}
