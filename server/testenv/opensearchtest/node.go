package opensearchtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/backbeat/backbeat/server/testenv/proctest"
)

// heapMB is the node's heap. The tests index a few hundred documents;
// OpenSearch's default of 1 GiB would only cost the machine memory.
const heapMB = 512

// Node is a running single-node OpenSearch.
type Node struct {
	// URL is its HTTP endpoint on loopback, e.g. http://127.0.0.1:40123.
	URL  string
	proc *proctest.Proc
	dir  string
	log  string
}

// Start runs a single-node OpenSearch on loopback with its data, logs and
// configuration under dir, and returns once the cluster is yellow or
// green. As root, the node runs as an unprivileged user (see runAs).
func Start(ctx context.Context, dir string, logf func(string, ...any)) (*Node, error) {
	java, err := findJava()
	if err != nil {
		return nil, err
	}
	dist, err := install(ctx, java, logf)
	if err != nil {
		return nil, err
	}
	root, err := installRoot()
	if err != nil {
		return nil, err
	}
	cred, err := runAs(ctx, root)
	if err != nil {
		return nil, err
	}
	// A free port can be taken by another process before the node binds
	// it; a start that lost the race is retried on new ports.
	var lastErr error
	for attempt := range 3 {
		began := time.Now()
		n, err := startOnce(ctx, filepath.Join(dir, "node-"+strconv.Itoa(attempt)), dist, java, cred)
		if err == nil {
			logf("opensearchtest: OpenSearch %s up at %s in %s (java %s)", Version, n.URL, time.Since(began).Round(time.Millisecond), java)
			return n, nil
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	return nil, lastErr
}

var errPortTaken = errors.New("port taken")

func startOnce(ctx context.Context, dir, dist, java string, cred *syscall.Credential) (*Node, error) {
	httpPort, err := proctest.FreePort()
	if err != nil {
		return nil, err
	}
	transportPort, err := proctest.FreePort()
	if err != nil {
		return nil, err
	}
	conf, data, logs, tmp := filepath.Join(dir, "config"), filepath.Join(dir, "data"), filepath.Join(dir, "logs"), filepath.Join(dir, "tmp")
	for _, d := range []string{conf, data, logs, tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("opensearchtest: %w", err)
		}
	}
	if err := writeConfig(conf, data, logs, dist, httpPort, transportPort); err != nil {
		return nil, err
	}
	// RunDir's directories are 0700 and root's: the node's user must be
	// able to enter every level down to its own files.
	if cred != nil {
		for d := dir; strings.HasPrefix(d, os.TempDir()+string(os.PathSeparator)); d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil {
				return nil, fmt.Errorf("opensearchtest: %w", err)
			}
		}
	}
	if err := chownTree(dir, cred); err != nil {
		return nil, fmt.Errorf("opensearchtest: %w", err)
	}
	logPath := filepath.Join(dir, "console.log")
	out, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("opensearchtest: %w", err)
	}
	defer out.Close()
	cmd := exec.Command(filepath.Join(dist, "bin", "opensearch"))
	cmd.Dir = dist
	// Only what the launcher needs: a developer's OPENSEARCH_JAVA_OPTS or
	// JAVA_TOOL_OPTIONS must not change what the tests run against.
	cmd.Env = []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"OPENSEARCH_JAVA_HOME=" + java,
		"OPENSEARCH_PATH_CONF=" + conf,
		"OPENSEARCH_TMPDIR=" + tmp,
	}
	cmd.Stdout, cmd.Stderr = out, out
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	p, err := proctest.Spawn(cmd)
	if err != nil {
		return nil, fmt.Errorf("opensearchtest: starting %s: %w", cmd.Path, err)
	}
	n := &Node{URL: fmt.Sprintf("http://127.0.0.1:%d", httpPort), proc: p, dir: dir, log: logPath}
	if err := n.waitHealthy(ctx); err != nil {
		p.Kill()
		tail := proctest.LogTail(logPath, 40)
		if strings.Contains(tail, "BindException") || strings.Contains(tail, "Address already in use") {
			return nil, fmt.Errorf("opensearchtest: %w: %w", errPortTaken, err)
		}
		return nil, fmt.Errorf("opensearchtest: %w\n%s", err, tail)
	}
	return n, nil
}

// writeConfig writes the node's configuration. It replaces the
// distribution's jvm.options entirely: those write GC logs and heap dumps
// relative to the install directory, which the node's user cannot write.
func writeConfig(conf, data, logs, dist string, httpPort, transportPort int) error {
	yml := strings.Join([]string{
		"cluster.name: backbeat-test",
		"node.name: node-1",
		"path.data: " + data,
		"path.logs: " + logs,
		"network.host: 127.0.0.1",
		"http.port: " + strconv.Itoa(httpPort),
		"transport.port: " + strconv.Itoa(transportPort),
		"discovery.type: single-node",
		// A test machine's disk may well be fuller than the production
		// watermarks allow; shards must still be allocated.
		"cluster.routing.allocation.disk.threshold_enabled: false",
		"action.auto_create_index: false",
		"",
	}, "\n")
	jvm := strings.Join([]string{
		fmt.Sprintf("-Xms%dm", heapMB),
		fmt.Sprintf("-Xmx%dm", heapMB),
		// One small heap on a shared two-core machine: the serial
		// collector's footprint and thread count suit it better than G1.
		"-XX:+UseSerialGC",
		"-XX:TieredStopAtLevel=1",
		"-Djava.io.tmpdir=${OPENSEARCH_TMPDIR}",
		"-XX:ErrorFile=" + filepath.Join(logs, "hs_err_pid%p.log"),
		"20-:--add-modules=jdk.incubator.vector",
		"21-:-javaagent:agent/opensearch-agent.jar",
		"21-:--add-opens=java.base/java.nio=ALL-UNNAMED",
		"-Dorg.apache.lucene.store.MMapDirectory.sharedArenaMaxPermits=1",
		"",
	}, "\n")
	log4j, err := os.ReadFile(filepath.Join(dist, "config", "log4j2.properties"))
	if err != nil {
		return fmt.Errorf("opensearchtest: %w", err)
	}
	for name, body := range map[string][]byte{"opensearch.yml": []byte(yml), "jvm.options": []byte(jvm), "log4j2.properties": log4j} {
		if err := os.WriteFile(filepath.Join(conf, name), body, 0o644); err != nil {
			return fmt.Errorf("opensearchtest: %w", err)
		}
	}
	return nil
}

// waitHealthy polls the cluster health until it is yellow or green, the
// node exits, or ctx ends.
func (n *Node) waitHealthy(ctx context.Context) error {
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.URL+"/_cluster/health?wait_for_status=yellow&timeout=1s", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-n.proc.Done():
			return fmt.Errorf("OpenSearch exited before becoming healthy: %v", n.proc.Err())
		case <-ctx.Done():
			return fmt.Errorf("OpenSearch not healthy at %s: %w", n.URL, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// RSSBytes is the node's resident memory (the JVM's VmRSS), 0 if unknown.
func (n *Node) RSSBytes() int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", n.proc.Pid()))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// Close stops the node (SIGTERM, so it shuts down cleanly; killed if that
// takes longer than 30 s) and deletes its directory.
func (n *Node) Close() error {
	clean := n.proc.Stop(context.Background(), 30*time.Second)
	err := os.RemoveAll(n.dir)
	if !clean {
		return errors.Join(fmt.Errorf("opensearchtest: OpenSearch did not stop within 30 s and was killed"), err)
	}
	return err
}
