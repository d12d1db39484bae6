package e2e

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
)

// TestBrowserCORS checks a browser on another origin may call the API:
// the preflight names the Connect and gRPC-Web headers and Authorization.
// Browsers send the requested headers lowercased and sorted, as here.
func TestBrowserCORS(t *testing.T) {
	s := startServer(t, t.TempDir())
	req, _ := http.NewRequest(http.MethodOptions, s.URL()+"/backbeat.catalog.v1.CatalogService/Search", nil)
	req.Header.Set("Origin", "https://player.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,connect-protocol-version,content-type,x-grpc-web")
	res, err := http.DefaultClient.Do(req)
	mustOK(t, "preflight", err)
	res.Body.Close()
	allowed := strings.ToLower(res.Header.Get("Access-Control-Allow-Headers"))
	if res.Header.Get("Access-Control-Allow-Origin") == "" || !strings.Contains(allowed, "authorization") || !strings.Contains(allowed, "x-grpc-web") {
		t.Fatalf("preflight: status %d, allow-origin %q, allow-headers %q", res.StatusCode,
			res.Header.Get("Access-Control-Allow-Origin"), allowed)
	}
}

// TestRequestSizeLimit checks an oversized message is refused without
// reaching a handler, and the server keeps serving.
func TestRequestSizeLimit(t *testing.T) {
	s := startServer(t, t.TempDir())
	tok, _ := register(t, s, "alice")
	huge := strings.Repeat("x", 5<<20)
	_, err := as(s, tok).catalog.Search(ctxT(t), connect.NewRequest(&catalogv1.SearchRequest{Query: huge}))
	wantCode(t, err, connect.CodeResourceExhausted)

	body := bytes.NewReader([]byte(`{"query":"` + huge + `"}`))
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/backbeat.catalog.v1.CatalogService/Search", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		res.Body.Close()
		if res.StatusCode < 400 {
			t.Fatalf("5 MiB JSON request answered %d", res.StatusCode)
		}
	}
	_, err = as(s, tok).catalog.Search(ctxT(t), connect.NewRequest(&catalogv1.SearchRequest{Query: "still alive"}))
	mustOK(t, "search after an oversized request", err)
}
