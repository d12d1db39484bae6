package opensearchtest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestStartAndStop starts a node of its own, checks it answers and is
// green or yellow, and that Close stops it cleanly; it reports the start
// time and the node's memory, which is what the tests cost a machine.
// Shared is covered by the adapter's tests (server/search/opensearch),
// which would each start a node without it.
func TestStartAndStop(t *testing.T) {
	Skip(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	began := time.Now()
	n, err := Start(ctx, t.TempDir(), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("started in %s; RSS %d MiB", time.Since(began).Round(time.Millisecond), n.RSSBytes()>>20)
	resp, err := http.Get(n.URL + "/_cluster/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"status":"green"`) && !strings.Contains(string(body), `"status":"yellow"`) {
		t.Errorf("health = %s", body)
	}
	if err := n.Close(); err != nil {
		t.Error(err)
	}
	if !n.proc.Exited() {
		t.Error("the node still runs after Close")
	}
	if _, err := http.Get(n.URL + "/"); err == nil {
		t.Error("the node still answers after Close")
	}
}
