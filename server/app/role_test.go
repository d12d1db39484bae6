package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// TestWorkerRoleServesHealthOnly checks what a transcode-worker replica
// (--role worker) answers: the health check its probes use, and no RPC, so
// a client that reaches one by mistake learns it at once instead of being
// served half a server.
func TestWorkerRoleServesHealthOnly(t *testing.T) {
	srv := apptest.Start(t, func(c *app.Config) { c.Role, c.Media.Workers = app.RoleWorker, 1 })
	_, err := srv.Anon().Users.Register(apptest.Context(t), connect.NewRequest(&userv1.RegisterRequest{
		Username: "someone", Email: "someone@example.com", Password: "correct horse battery",
	}))
	apptest.WantCode(t, err, connect.CodeUnimplemented)
	if got := healthCheck(t, srv.URL()); !strings.Contains(got, "SERVING") {
		t.Errorf("worker's health check answered %q, want SERVING", got)
	}

	api := apptest.Start(t, func(c *app.Config) { c.Role = app.RoleAPI })
	apptest.Register(t, api.Anon(), "listener")
	if got := healthCheck(t, api.URL()); !strings.Contains(got, "SERVING") {
		t.Errorf("API replica's health check answered %q, want SERVING", got)
	}
}

// healthCheck asks the gRPC health service over the Connect protocol (JSON)
// and returns its answer.
func healthCheck(t *testing.T, base string) string {
	t.Helper()
	res, err := http.Post(base+"/grpc.health.v1.Health/Check", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("health check: %s %s", res.Status, b)
	}
	return string(b)
}
