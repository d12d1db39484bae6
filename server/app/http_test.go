package app_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// TestBrowserCORS checks a browser on another origin may call the API:
// the preflight names the Connect and gRPC-Web headers and Authorization.
// Browsers send the requested headers lowercased and sorted, as here.
func TestBrowserCORS(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	req, _ := http.NewRequest(http.MethodOptions, s.URL()+"/backbeat.catalog.v1.CatalogService/Search", nil)
	req.Header.Set("Origin", "https://player.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,connect-protocol-version,content-type,x-grpc-web")
	res, err := apptest.HTTP1Client().Do(req)
	apptest.MustOK(t, "preflight", err)
	res.Body.Close()
	allowed := strings.ToLower(res.Header.Get("Access-Control-Allow-Headers"))
	if res.Header.Get("Access-Control-Allow-Origin") == "" || !strings.Contains(allowed, "authorization") || !strings.Contains(allowed, "x-grpc-web") {
		t.Fatalf("preflight: status %d, allow-origin %q, allow-headers %q", res.StatusCode,
			res.Header.Get("Access-Control-Allow-Origin"), allowed)
	}
	// Other origin lists are httpserver's tests (TestCORS).
}

// TestRequestSizeLimit checks an oversized message is refused without
// reaching a handler, and the server keeps serving.
func TestRequestSizeLimit(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	tok, _ := s.Register(t, "alice")
	huge := strings.Repeat("x", 5<<20)
	_, err := s.As(tok).Catalog.Search(apptest.Context(t), connect.NewRequest(&catalogv1.SearchRequest{Query: huge}))
	apptest.WantCode(t, err, connect.CodeResourceExhausted)

	body := bytes.NewReader([]byte(`{"query":"` + huge + `"}`))
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/backbeat.catalog.v1.CatalogService/Search", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := apptest.HTTP1Client().Do(req)
	if err == nil {
		res.Body.Close()
		if res.StatusCode < 400 {
			t.Fatalf("5 MiB JSON request answered %d", res.StatusCode)
		}
	}
	_, err = s.As(tok).Catalog.Search(apptest.Context(t), connect.NewRequest(&catalogv1.SearchRequest{Query: "still alive"}))
	apptest.MustOK(t, "search after an oversized request", err)
}

// TestConnectGET checks reads answer a plain GET, as the README promises, so
// HTTP caches can keep them; writes do not.
func TestConnectGET(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	tok, _ := s.Register(t, "alice")
	get := func(procedure, message string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.URL()+procedure+"?connect=v1&encoding=json&message="+url.QueryEscape(message), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := apptest.HTTP1Client().Do(req)
		apptest.MustOK(t, "GET", err)
		res.Body.Close()
		return res
	}
	if res := get("/backbeat.catalog.v1.CatalogService/Search", `{"query":"anything"}`); res.StatusCode != http.StatusOK {
		t.Fatalf("GET Search: status %d, want 200", res.StatusCode)
	}
	if res := get("/backbeat.playlist.v1.PlaylistService/CreatePlaylist", `{"playlist":{"name":"by GET"}}`); res.StatusCode == http.StatusOK {
		t.Fatalf("GET CreatePlaylist: status 200, want a refusal: writes need POST")
	}
}
