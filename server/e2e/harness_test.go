package e2e

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/testenv/cassandratest"
	"github.com/backbeat/backbeat/server/testenv/opensearchtest"
)

// binary is the backbeat server built once for the whole test run.
var binary string

func TestMain(m *testing.M) {
	if os.Getenv("BACKBEAT_E2E") != "1" {
		fmt.Println("e2e: skipped (set BACKBEAT_E2E=1 to run the end-to-end tests)")
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "backbeat-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "backbeat")
	build := exec.Command("go", "build", "-o", binary, "github.com/backbeat/backbeat/server/cmd/backbeat")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build backbeat:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireE2E skips tests that need the built server binary.
func requireE2E(t testing.TB) {
	t.Helper()
	if binary == "" {
		t.Skip("set BACKBEAT_E2E=1 to run end-to-end tests")
	}
}

// server is one running backbeat process.
type server struct {
	t       testing.TB
	cmd     *exec.Cmd
	addr    string
	dataDir string
	// storeArgs are the store flags it was started with beyond --data-dir.
	storeArgs []string
	tls       bool
	logs      *logBuffer
	exited    chan struct{}
}

// URL is the base URL clients use.
func (s *server) URL() string {
	if s.tls {
		return "https://" + s.addr
	}
	return "http://" + s.addr
}

type logBuffer struct {
	mu   sync.Mutex
	data []byte
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.data = append(b.data, p...)
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.data)
}

var listeningRE = regexp.MustCompile(`backbeat: listening on (\S+)`)

// startServer runs backbeat serve on a free port with dataDir and extra
// flags, and waits until it prints its address.
func startServer(t testing.TB, dataDir string, flags ...string) *server {
	t.Helper()
	requireE2E(t)
	stores := storeFlags(t, dataDir)
	// Every client of a test comes from 127.0.0.1, standing for many users at
	// many addresses, so the limits are off unless a test turns them on
	// (a later --rate-limit wins): ratelimit_test.go does.
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "debug", "--rate-limit=false"}, stores...)
	// Before the test's flags, so a test's own --search-url (a proxy it
	// can take away) wins.
	args = append(args, searchFlags(t)...)
	if os.Getenv("BACKBEAT_E2E_STORE") == "cassandra" {
		// Counted plays reach play counts by the rollup: soon, for the
		// tests. A serve flag: backbeat admin and migrate refuse it.
		args = append(args, "--play-rollup-period", "200ms")
	}
	args = append(args, flags...)
	cmd := exec.Command(binary, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logs := &logBuffer{}
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start backbeat: %v", err)
	}
	s := &server{t: t, cmd: cmd, dataDir: dataDir, storeArgs: stores, logs: logs, exited: make(chan struct{})}
	for _, f := range flags {
		if f == "--tls-cert" {
			s.tls = true
		}
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			logs.Write([]byte(line + "\n"))
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				addrc <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	select {
	case s.addr = <-addrc:
	case <-s.exited:
		t.Fatalf("backbeat exited before listening:\n%s", logs)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("backbeat did not listen within 60s:\n%s", logs)
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server logs:\n%s", s.logs)
		}
	})
	return s
}

// grantAdmin makes the existing account username of s's store an admin
// as an operator does: backbeat admin grant, on the same data directory and
// store flags, while s runs.
func grantAdmin(t testing.TB, s *server, username string) {
	t.Helper()
	args := append([]string{"admin", "grant", username, "--data-dir", s.dataDir}, s.storeArgs...)
	out, err := exec.Command(binary, args...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "is now admin") {
		t.Fatalf("backbeat admin grant %s: %v\n%s", username, err, out)
	}
}

// registerAdmin registers username on s, makes it admin (grantAdmin) and
// signs it in, returning an access token once the server acts on the role
// (a change made outside the server reaches it within app.AccountCacheTTL).
func registerAdmin(t testing.TB, s *server, username string) string {
	t.Helper()
	apptest.Register(t, anon(s), username)
	grantAdmin(t, s, username)
	tok := apptest.Login(t, anon(s), username, apptest.Password).Tokens.AccessToken
	apptest.WaitAdmin(t, as(s, tok))
	return tok
}

// storeFlags picks the store under test: the embedded default, or with
// BACKBEAT_E2E_STORE=cassandra a real Cassandra, one keyspace per data
// directory so a restarted server finds its data again.
func storeFlags(t testing.TB, dataDir string) []string {
	if os.Getenv("BACKBEAT_E2E_STORE") != "cassandra" {
		return nil
	}
	hosts := cassandratest.Shared(t)
	sum := sha256.Sum256([]byte(dataDir))
	conn := []string{"--cassandra-hosts", strings.Join(hosts, ","),
		"--cassandra-dc", cassandratest.SharedDC, "--cassandra-keyspace", "e2e_" + hex.EncodeToString(sum[:8])}
	// Schema statements on a busy single test node can take longer than
	// the 5 s per-query default (one CI run saw "list migrations: no
	// response within timeout" while other suites loaded the machine).
	migrate := append([]string{"migrate", "--cassandra-timeout", "30s"}, conn...)
	out, err := exec.Command(binary, migrate...).CombinedOutput()
	if err != nil {
		t.Fatalf("backbeat migrate: %v\n%s", err, out)
	}
	return append([]string{"--store", "cassandra"}, conn...)
}

// searchFlags points a Cassandra server at the shared OpenSearch node
// (BACKBEAT_OPENSEARCH=1), as a deployment runs it: Search then queries
// OpenSearch, kept indexed by the server's indexer from the change feed.
// Each keyspace has its own index (backbeat-<keyspace>). The Cassandra
// store has no search of its own (its prefix table is gone, migration
// 014), so a Cassandra run without BACKBEAT_OPENSEARCH=1 is skipped, with
// the reason, rather than failing every Search.
func searchFlags(t testing.TB) []string {
	if os.Getenv("BACKBEAT_E2E_STORE") != "cassandra" {
		return nil
	}
	return []string{"--search-url", opensearchtest.Shared(t).URL}
}

// searchEngine reports whether Cassandra servers run with OpenSearch.
func searchEngine() bool {
	return os.Getenv("BACKBEAT_E2E_STORE") == "cassandra" && opensearchtest.Enabled()
}

// stop sends SIGTERM, as an orchestrator would, and waits for a graceful exit.
func (s *server) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		s.t.Errorf("backbeat did not stop within 20s of SIGTERM")
	}
}

// tlsClient speaks HTTP/2 over TLS trusting any certificate (tests use a
// self-signed one).
func tlsClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		ForceAttemptHTTP2: true,
	}}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
