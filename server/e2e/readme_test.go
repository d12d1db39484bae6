package e2e

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/app/apptest"
)

var walkthroughRE = regexp.MustCompile("(?s)<!-- walkthrough:start -->\\s*```sh\\n(.*?)```\\s*<!-- walkthrough:end -->")

// TestReadmeWalkthrough runs the README's grpcurl journey, verbatim, against
// a demo server, so the first thing a newcomer copies keeps working.
func TestReadmeWalkthrough(t *testing.T) {
	requireFFmpeg(t)
	for _, tool := range []string{"grpcurl", "jq", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (server/scripts/setup.sh installs it)", tool)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := walkthroughRE.FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no walkthrough block")
	}
	s := startServer(t, t.TempDir(), "--demo")
	waitLog(t, s, "demo data ready", 3*time.Minute)

	cmd := exec.CommandContext(apptest.Context(t), "bash", "-euo", "pipefail", "-c", string(m[1]))
	cmd.Env = append(os.Environ(), "ADDR="+s.addr)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README walkthrough failed: %v\n%s", err, out)
	}
	got := string(out)
	if !strings.Contains(got, "#EXTM3U") || strings.Count(got, "#EXT-X-STREAM-INF") != 3 {
		t.Errorf("the walkthrough did not end with the 3-rung master playlist:\n%s", got)
	}
}

// waitLog waits for a line in the server's log.
func waitLog(t testing.TB, s *server, line string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(s.logs.String(), line) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log after %v", line, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
