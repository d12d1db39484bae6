package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/backbeat/backbeat/server/app/apptest"
)

// grpcurl runs the real grpcurl binary (installed by the test setup) and
// returns its output.
func grpcurl(t *testing.T, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("grpcurl")
	if err != nil {
		t.Fatalf("grpcurl not on PATH (server/scripts/setup.sh installs it): %v", err)
	}
	out, err := exec.CommandContext(apptest.Context(t), path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("grpcurl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestGrpcurl uses the server the way its README tells newcomers to:
// reflection to list and describe, then calls, plus the health service.
func TestGrpcurl(t *testing.T) {
	s := startServer(t, t.TempDir(), "--demo")

	list := grpcurl(t, "-plaintext", s.addr, "list")
	for _, svc := range []string{"backbeat.user.v1.UserService", "backbeat.catalog.v1.CatalogService", "backbeat.playlist.v1.PlaylistService", "backbeat.playback.v1.PlaybackService", "grpc.health.v1.Health"} {
		if !strings.Contains(list, svc) {
			t.Errorf("grpcurl list lacks %s:\n%s", svc, list)
		}
	}
	desc := grpcurl(t, "-plaintext", s.addr, "describe", "backbeat.catalog.v1.CatalogService.Search")
	if !strings.Contains(desc, "SearchRequest") {
		t.Errorf("describe Search:\n%s", desc)
	}
	msg := grpcurl(t, "-plaintext", s.addr, "describe", "backbeat.playlist.v1.Playlist")
	if !strings.Contains(msg, "collaborative") {
		t.Errorf("describe Playlist:\n%s", msg)
	}

	health := grpcurl(t, "-plaintext", "-d", `{"service":"backbeat.catalog.v1.CatalogService"}`, s.addr, "grpc.health.v1.Health/Check")
	if !strings.Contains(health, "SERVING") {
		t.Errorf("health check: %s", health)
	}

	out := grpcurl(t, "-plaintext", "-d", `{"login":"demo","password":"backbeat-demo"}`, s.addr, "backbeat.user.v1.UserService/Login")
	var lr struct {
		Tokens struct {
			AccessToken string `json:"accessToken"`
		} `json:"tokens"`
	}
	if err := json.Unmarshal([]byte(out), &lr); err != nil || lr.Tokens.AccessToken == "" {
		t.Fatalf("Login via grpcurl: %v\n%s", err, out)
	}
	auth := "authorization: Bearer " + lr.Tokens.AccessToken
	err := apptest.Eventually(t, func() error {
		out = grpcurl(t, "-plaintext", "-H", auth, "-d", `{"query":"daft"}`, s.addr, "backbeat.catalog.v1.CatalogService/Search")
		if !strings.Contains(out, "Daft Pulse") {
			return fmt.Errorf("Search via grpcurl:\n%s", out)
		}
		return nil
	})
	apptest.MustOK(t, "Search via grpcurl", err)

	// Errors come back with their gRPC code.
	cmd := exec.CommandContext(apptest.Context(t), "grpcurl", "-plaintext", "-d", `{"query":"daft"}`, s.addr, "backbeat.catalog.v1.CatalogService/Search")
	bad, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(bad), "Unauthenticated") {
		t.Fatalf("Search without a token via grpcurl: err %v\n%s", err, bad)
	}
}
