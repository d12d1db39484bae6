// Package cassandratest runs real Apache Cassandra nodes for tests.
//
// The server comes from Maven Central's org.apache.cassandra:cassandra-all
// artifact (pinned to Version), resolved once with mvn into ~/.m2 and run on
// a Java 17 JDK; there is no Docker and no tarball involved. Each node is a
// JVM on its own loopback address (127.0.0.1, 127.0.0.2, ...) with the
// standard ports, so multi-node and multi-DC clusters need no port juggling.
//
// Most tests want Shared, a single node shared by the whole test binary.
// Tests that need their own topology call Start.
//
// Environment:
//
//	BACKBEAT_CASSANDRA=1              run Cassandra-backed tests (they skip otherwise)
//	BACKBEAT_CASSANDRA_HOSTS=a,b      Shared uses these instead of starting a node
//	BACKBEAT_CASSANDRA_JAVA_HOME=dir  the JDK 17 to use (default: found automatically)
//	BACKBEAT_CASSANDRA_JVM_OPTS=...   extra JVM options for every node
//	BACKBEAT_CASSANDRA_KEEP=1         Close leaves the cluster directory for a post-mortem
//
// Caches: the jars live in the normal Maven repository (~/.m2/repository),
// the resolved classpath in ~/.cache/backbeat/cassandra-<Version> (or under
// $XDG_CACHE_HOME). With both cached, starting a node does not run Maven.
//
// Each node's directory holds conf/ (cassandra.yaml, the rack/DC file,
// logback.xml, jvm.args), logs/system.log and logs/stdout.log, and the data.
// JMX listens on 127.0.0.1 on a free port picked per node start, which
// Cluster.Nodetool uses.
package cassandratest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/backbeat/backbeat/server/testenv/proctest"
	"github.com/gocql/gocql"
)

// NodeSpec describes one node.
type NodeSpec struct {
	// Host is the node's IPv4 loopback address. Empty picks the lowest one
	// not used by another test process.
	Host string
	// DC is the node's data centre name; empty means "dc1". Every node is
	// in rack1.
	DC string
}

// Options configures Start.
type Options struct {
	// Dir holds the nodes' configuration, data and logs (one sub-directory
	// per node). Empty means a directory under os.TempDir() named after the
	// first node's address; it is wiped on start and removed by Close.
	Dir string
	// Nodes lists the nodes in start order; the first is the seed. Empty
	// means a single node in dc1.
	Nodes []NodeSpec
	// HeapMB is each node's Java heap; 0 means 512.
	HeapMB int
	// Logf receives progress messages from Start, StartNode and StopNode
	// (never from background goroutines, so t.Logf is safe). Nil discards.
	Logf func(format string, args ...any)
}

const (
	defaultHeapMB = 512
	// startTimeout bounds one node's start when the caller's context has
	// no deadline; a healthy node needs a small fraction of it.
	startTimeout = 3 * time.Minute
	// stopGrace is how long a node gets to shut down cleanly after SIGTERM
	// (drain, flush) before it is killed.
	stopGrace = 30 * time.Second
	pollEvery = 250 * time.Millisecond

	daemonClass = "org.apache.cassandra.service.CassandraDaemon"
)

// Cluster is a set of running (or stopped) Cassandra nodes.
type Cluster struct {
	opts      Options
	rf        *runtimeFiles
	dir       string
	removeDir bool
	nodes     []*node

	mu     sync.Mutex
	closed bool
}

type node struct {
	idx     int
	host    string
	dc      string
	lease   *hostLease
	paths   nodePaths
	jmxPort int
	startup time.Duration

	// The current JVM, set by startNode; guarded by Cluster.mu.
	proc *proctest.Proc
}

func (n *node) running() bool { return n.proc != nil && !n.proc.Exited() }

// Start launches the nodes in order, each one only after the previous one
// is fully up, and returns once every node answers CQL and all nodes agree
// on membership and schema. On error nothing is left running.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.HeapMB <= 0 {
		opts.HeapMB = defaultHeapMB
	}
	if len(opts.Nodes) == 0 {
		opts.Nodes = []NodeSpec{{}}
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	rf, err := resolveRuntime(ctx, opts.Logf)
	if err != nil {
		return nil, err
	}
	want := make([]string, len(opts.Nodes))
	for i, s := range opts.Nodes {
		want[i] = s.Host
	}
	leases, err := leaseHosts(want)
	if err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts, rf: rf, dir: opts.Dir}
	for i, s := range opts.Nodes {
		dc := s.DC
		if dc == "" {
			dc = "dc1"
		}
		c.nodes = append(c.nodes, &node{idx: i, host: leases[i].host, dc: dc, lease: leases[i]})
	}
	if c.dir == "" {
		// Named after the seed's address, which this process holds
		// exclusively, so the directory cannot be in use by anyone else and
		// whatever a killed earlier run left there is safe to wipe; leftovers
		// are therefore bounded to one directory per address.
		c.dir = filepath.Join(os.TempDir(), "backbeat-cassandra-"+c.nodes[0].host)
		c.removeDir = true
		if err := os.RemoveAll(c.dir); err != nil {
			c.Close()
			return nil, fmt.Errorf("cassandratest: %w", err)
		}
	}
	seed := c.nodes[0].host
	for _, n := range c.nodes {
		n.paths = newNodePaths(filepath.Join(c.dir, "node"+strconv.Itoa(n.idx)))
		if err := writeNodeConfig(n.paths, n.host, n.dc, seed); err != nil {
			c.Close()
			return nil, err
		}
	}
	for i := range c.nodes {
		if err := c.startNode(ctx, i); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// Hosts returns the nodes' addresses in node order (port NativePort).
func (c *Cluster) Hosts() []string {
	hs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		hs[i] = n.host
	}
	return hs
}

// HostsIn returns the addresses of the nodes in data centre dc.
func (c *Cluster) HostsIn(dc string) []string {
	var hs []string
	for _, n := range c.nodes {
		if n.dc == dc {
			hs = append(hs, n.host)
		}
	}
	return hs
}

// DC returns node i's data centre.
func (c *Cluster) DC(i int) string { return c.nodes[i].dc }

// StartupTime is how long node i's most recent start took, from launching
// the JVM to passing the readiness checks.
func (c *Cluster) StartupTime(i int) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i].startup
}

// LogFile is node i's Cassandra log (system.log).
func (c *Cluster) LogFile(i int) string { return c.nodes[i].paths.systemLog }

// StopNode stops node i: SIGTERM so it drains and announces its shutdown to
// the other nodes, then SIGKILL if it has not exited after a grace period
// (or when ctx ends). It returns once the JVM has exited. Stopping a
// stopped node is a no-op.
func (c *Cluster) StopNode(ctx context.Context, i int) error {
	if i < 0 || i >= len(c.nodes) {
		return fmt.Errorf("cassandratest: no node %d", i)
	}
	c.mu.Lock()
	n := c.nodes[i]
	if !n.running() {
		c.mu.Unlock()
		return nil
	}
	p := n.proc
	c.mu.Unlock()

	start := time.Now()
	if p.Stop(ctx, stopGrace) {
		c.opts.Logf("cassandratest: node %d (%s) stopped in %s", i, n.host, time.Since(start).Round(time.Millisecond))
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.opts.Logf("cassandratest: node %d (%s) ignored SIGTERM for %s, killed it", i, n.host, stopGrace)
	return nil
}

// StartNode restarts a stopped node i on its existing data and returns once
// it answers CQL and the other running nodes see it again.
func (c *Cluster) StartNode(ctx context.Context, i int) error {
	if i < 0 || i >= len(c.nodes) {
		return fmt.Errorf("cassandratest: no node %d", i)
	}
	c.mu.Lock()
	running, closed := c.nodes[i].running(), c.closed
	c.mu.Unlock()
	if closed {
		return errors.New("cassandratest: cluster is closed")
	}
	if running {
		return fmt.Errorf("cassandratest: node %d is already running", i)
	}
	return c.startNode(ctx, i)
}

// Close kills every node, waits for the JVMs to exit and releases the
// addresses; it removes the cluster directory if Start chose it. Data is
// not flushed: nothing is expected to read it afterwards.
func (c *Cluster) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	var procs []*proctest.Proc
	for _, n := range c.nodes {
		if n.running() {
			procs = append(procs, n.proc)
		}
	}
	c.mu.Unlock()
	for _, p := range procs {
		p.Kill()
	}
	for _, n := range c.nodes {
		n.lease.release()
	}
	// BACKBEAT_CASSANDRA_KEEP=1 keeps configuration, data and logs for a
	// post-mortem of a failed test.
	if c.removeDir && os.Getenv("BACKBEAT_CASSANDRA_KEEP") != "1" {
		if err := removeAllSettled(c.dir); err != nil {
			return fmt.Errorf("cassandratest: %w", err)
		}
	}
	return nil
}

// removeAllSettled removes dir, trying again for a moment when a file
// appears in it meanwhile ("directory not empty"): on a loaded machine a
// straggler of a killed node (a nodetool JVM, a flush thread's last write)
// has been seen writing while the tree was being removed.
func removeAllSettled(dir string) error {
	var err error
	for range 10 {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return err
}

// startNode launches node i's JVM and waits until it is ready.
func (c *Cluster) startNode(ctx context.Context, i int) error {
	n := c.nodes[i]
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	jmx, err := proctest.FreePort()
	if err != nil {
		return fmt.Errorf("cassandratest: %w", err)
	}
	args := serverJVMArgs(c.rf, n.paths, c.opts.HeapMB, jmx)
	if err := writeArgFile(n.paths.argFile, args); err != nil {
		return fmt.Errorf("cassandratest: %w", err)
	}
	out, err := os.OpenFile(n.paths.stdoutLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("cassandratest: %w", err)
	}
	defer out.Close() // the child has its own copy of the descriptor

	cmd := exec.Command(c.rf.java, "@"+n.paths.argFile, daemonClass)
	cmd.Dir = n.paths.dir
	cmd.Env = jvmEnv(c.rf.javaHome)
	cmd.Stdout = out
	cmd.Stderr = out

	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errors.New("cassandratest: cluster is closed")
	}
	// The JVM gets its own process group, so stopping a node signals the
	// whole JVM even if it forked, and dies with the test binary, so a
	// Cassandra never outlives the tests that started it (see Spawn).
	p, err := proctest.Spawn(cmd)
	if err != nil {
		c.mu.Unlock()
		return fmt.Errorf("cassandratest: starting node %d: %w", i, err)
	}
	n.proc, n.jmxPort = p, jmx
	c.mu.Unlock()

	began := time.Now()
	c.opts.Logf("cassandratest: starting node %d (%s, %s), pid %d, log %s", i, n.host, n.dc, p.Pid(), n.paths.systemLog)
	if err := c.waitReady(ctx, n, p.Done()); err != nil {
		exited := p.Exited()
		p.Kill()
		msg := fmt.Sprintf("cassandratest: node %d (%s) failed to start after %s: %v", i, n.host, time.Since(began).Round(time.Millisecond), err)
		if exited {
			msg += fmt.Sprintf(" (JVM exited: %v)", p.Err())
		}
		return fmt.Errorf("%s\n--- tail of %s ---\n%s\n--- tail of %s ---\n%s", msg,
			n.paths.systemLog, proctest.LogTail(n.paths.systemLog, 60),
			n.paths.stdoutLog, proctest.LogTail(n.paths.stdoutLog, 20))
	}
	took := time.Since(began)
	c.mu.Lock()
	n.startup = took
	c.mu.Unlock()
	c.opts.Logf("cassandratest: node %d (%s, %s) up in %s", i, n.host, n.dc, took.Round(time.Millisecond))
	return nil
}

// waitReady polls until node n answers CQL and every running node agrees
// with every other on membership, gossip generation and schema. Polling (not
// sleeping) is what keeps start-up as short as the server allows.
func (c *Cluster) waitReady(ctx context.Context, n *node, done <-chan struct{}) error {
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	lastErr := errors.New("not polled yet")
	for {
		select {
		case <-done:
			return fmt.Errorf("JVM exited during start-up (last check: %v)", lastErr)
		case <-ctx.Done():
			return fmt.Errorf("%w (last check: %v)", ctx.Err(), lastErr)
		case <-tick.C:
		}
		conn, err := net.DialTimeout("tcp", net.JoinHostPort(n.host, strconv.Itoa(NativePort)), time.Second)
		if err != nil {
			lastErr = err
			continue
		}
		conn.Close()
		if lastErr = c.checkAgreement(ctx); lastErr == nil {
			return nil
		}
	}
}

// nodeView is what one node believes about the cluster.
type nodeView struct {
	release    string
	schema     string
	peerSchema map[string]string // peer address -> its schema version
	generation map[string]int    // address -> gossip generation
}

// checkAgreement succeeds when, for every pair of running nodes a and b, a
// lists b as a peer with a's own schema version and has seen b's current
// gossip generation. The generation check is what makes a restart wait
// until the other nodes have noticed the node is back (it picks a new
// generation each start), rather than trusting stale peers rows.
func (c *Cluster) checkAgreement(ctx context.Context) error {
	c.mu.Lock()
	var up []*node
	for _, n := range c.nodes {
		if n.running() {
			up = append(up, n)
		}
	}
	c.mu.Unlock()
	views := make(map[string]*nodeView, len(up))
	for _, n := range up {
		v, err := queryView(ctx, n.host)
		if err != nil {
			return fmt.Errorf("%s: %w", n.host, err)
		}
		if !strings.HasPrefix(v.release, Version) {
			return fmt.Errorf("%s reports release %q, want %s", n.host, v.release, Version)
		}
		views[n.host] = v
	}
	for _, a := range up {
		va := views[a.host]
		for _, b := range up {
			if a == b {
				continue
			}
			s, ok := va.peerSchema[b.host]
			if !ok {
				return fmt.Errorf("%s does not list %s in system.peers yet", a.host, b.host)
			}
			if s != va.schema {
				return fmt.Errorf("%s has schema %s, its peer %s has %s", a.host, va.schema, b.host, s)
			}
			if got, want := va.generation[b.host], views[b.host].generation[b.host]; got != want {
				return fmt.Errorf("%s has gossip generation %d for %s, which is at %d", a.host, got, b.host, want)
			}
		}
	}
	return nil
}

func queryView(ctx context.Context, host string) (*nodeView, error) {
	s, err := adminSession(host, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	v := &nodeView{peerSchema: map[string]string{}, generation: map[string]int{}}
	var schema gocql.UUID
	if err := s.Query(`SELECT release_version, schema_version FROM system.local`).WithContext(ctx).Scan(&v.release, &schema); err != nil {
		return nil, err
	}
	v.schema = schema.String()
	it := s.Query(`SELECT peer, schema_version FROM system.peers`).WithContext(ctx).Iter()
	var peer net.IP
	for it.Scan(&peer, &schema) {
		v.peerSchema[peer.String()] = schema.String()
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	var gen int
	it = s.Query(`SELECT address, generation FROM system_views.gossip_info`).WithContext(ctx).Iter()
	for it.Scan(&peer, &gen) {
		v.generation[peer.String()] = gen
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	return v, nil
}

var quietLogger = log.New(io.Discard, "", 0)

// adminSession talks to exactly one node: no peer discovery, no events, so
// it works while the rest of the cluster is half up, and gocql's connection
// errors during polling stay out of the test output.
func adminSession(host string, timeout time.Duration) (*gocql.Session, error) {
	cc := gocql.NewCluster(host)
	cc.Port = NativePort
	cc.ProtoVersion = 4
	cc.DisableInitialHostLookup = true
	cc.HostFilter = gocql.WhiteListHostFilter(host)
	cc.NumConns = 1
	cc.ConnectTimeout = timeout
	cc.Timeout = timeout
	cc.Consistency = gocql.One
	cc.Events.DisableNodeStatusEvents = true
	cc.Events.DisableTopologyEvents = true
	cc.Events.DisableSchemaEvents = true
	cc.Logger = quietLogger
	return cc.CreateSession()
}

// DataDir is node i's data directory (data_file_directories): each table's
// sstables, and its snapshots, live under DataDir/<keyspace>/<table>-<id>/.
func (c *Cluster) DataDir(i int) string { return filepath.Join(c.nodes[i].paths.dir, "data") }

// Nodetool runs nodetool against node i over its local JMX port (each node
// has its own, chosen at start) and returns the combined output. It costs a
// JVM start, so prefer CQL where it can do the job.
func (c *Cluster) Nodetool(ctx context.Context, i int, args ...string) (string, error) {
	if i < 0 || i >= len(c.nodes) {
		return "", fmt.Errorf("cassandratest: no node %d", i)
	}
	c.mu.Lock()
	n := c.nodes[i]
	running, port := n.running(), n.jmxPort
	c.mu.Unlock()
	if !running {
		return "", fmt.Errorf("cassandratest: node %d is not running", i)
	}
	toolLog := filepath.Join(n.paths.conf, "logback-tools.xml")
	// nodetool otherwise logs at DEBUG to the console through logback's
	// default configuration, burying its actual output.
	const toolConf = `<configuration><appender name="E" class="ch.qos.logback.core.ConsoleAppender"><target>System.err</target><encoder><pattern>%-5level %msg%n</pattern></encoder></appender><root level="WARN"><appender-ref ref="E"/></root></configuration>`
	if err := os.WriteFile(toolLog, []byte(toolConf), 0o644); err != nil {
		return "", fmt.Errorf("cassandratest: %w", err)
	}
	jargs := []string{"-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:+PerfDisableSharedMem"}
	jargs = append(jargs, jpmsFlags...)
	jargs = append(jargs,
		"-Dlogback.configurationFile="+toolLog,
		"-cp", c.rf.classpathString(),
		"org.apache.cassandra.tools.NodeTool",
		"-h", "127.0.0.1", "-p", strconv.Itoa(port),
	)
	jargs = append(jargs, args...)
	cmd := exec.CommandContext(ctx, c.rf.java, jargs...)
	cmd.Env = jvmEnv(c.rf.javaHome)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("cassandratest: nodetool %s on node %d: %w\n%s", strings.Join(args, " "), i, err, out)
	}
	return string(out), nil
}

// jvmEnv is the environment minus the variables through which a developer's
// shell could inject JVM flags or classpath entries into the node.
func jvmEnv(javaHome string) []string {
	env := proctest.FilterEnv(os.Environ(), func(name string) bool {
		switch name {
		case "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH", "JAVA_HOME":
			return false
		}
		return true
	})
	return append(env, "JAVA_HOME="+javaHome)
}
