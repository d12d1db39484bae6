package cassandratest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	// NativePort and StoragePort are the same on every node: each node has
	// its own loopback address, so there is nothing to clash with.
	NativePort  = 9042
	StoragePort = 7000

	clusterName = "backbeat-test"
)

// nodePaths is the on-disk layout of one node. Everything a node writes
// lives under dir, so a cluster is removed by removing one directory.
type nodePaths struct {
	dir       string
	conf      string
	yaml      string
	rackdc    string
	logback   string
	logs      string
	systemLog string
	stdoutLog string
	argFile   string
}

func newNodePaths(dir string) nodePaths {
	conf := filepath.Join(dir, "conf")
	logs := filepath.Join(dir, "logs")
	return nodePaths{
		dir:       dir,
		conf:      conf,
		yaml:      filepath.Join(conf, "cassandra.yaml"),
		rackdc:    filepath.Join(conf, "cassandra-rackdc.properties"),
		logback:   filepath.Join(conf, "logback.xml"),
		logs:      logs,
		systemLog: filepath.Join(logs, "system.log"),
		stdoutLog: filepath.Join(logs, "stdout.log"),
		argFile:   filepath.Join(conf, "jvm.args"),
	}
}

// writeNodeConfig writes cassandra.yaml, the rack/DC file and the logback
// configuration for one node.
func writeNodeConfig(p nodePaths, host, dc, seed string) error {
	for _, d := range []string{p.conf, p.logs, filepath.Join(p.dir, "triggers"), filepath.Join(p.dir, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("cassandratest: %w", err)
		}
	}
	q := strconv.Quote // JSON-style quoting is valid YAML for our paths
	sub := func(name string) string { return q(filepath.Join(p.dir, name)) }

	yaml := strings.Join([]string{
		// The seed's address makes the name unique among live test
		// clusters, so a stray node can never gossip its way into another
		// test's cluster.
		"cluster_name: " + q(clusterName+"-"+seed),
		// Few vnodes keep token metadata, gossip state and repair small; the
		// allocator spreads them evenly for the replication the tests use (one
		// replica per DC) instead of relying on random tokens.
		"num_tokens: 16",
		"allocate_tokens_for_local_replication_factor: 1",
		"partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
		// A brand-new cluster has nothing to stream, and bootstrapping would
		// only add fixed waits for ring information; the seed never bootstraps
		// anyway.
		"auto_bootstrap: false",
		"data_file_directories:",
		"  - " + sub("data"),
		"commitlog_directory: " + sub("commitlog"),
		"saved_caches_directory: " + sub("saved_caches"),
		"hints_directory: " + sub("hints"),
		"cdc_raw_directory: " + sub("cdc_raw"),
		"commitlog_sync: periodic",
		"commitlog_sync_period: 10000ms",
		"seed_provider:",
		"  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
		"    parameters:",
		"      - seeds: " + q(fmt.Sprintf("%s:%d", seed, StoragePort)),
		"listen_address: " + host,
		"rpc_address: " + host,
		fmt.Sprintf("storage_port: %d", StoragePort),
		fmt.Sprintf("native_transport_port: %d", NativePort),
		"start_native_transport: true",
		"endpoint_snitch: GossipingPropertyFileSnitch",
		// Hints are what bring a restarted node up to date in the tests;
		// flushing them to disk every second (default 10s) makes them
		// dispatchable soon after the target comes back.
		"hinted_handoff_enabled: true",
		"max_hint_window: 3h",
		"hints_flush_period: 1000ms",
		// Tests drop and truncate tables a lot; snapshotting each one costs
		// time and disk for data nobody will restore.
		"auto_snapshot: false",
		"snapshot_before_compaction: false",
		"concurrent_compactors: 1",
		// A fresh test cluster has no 4.x nodes or sstables to stay
		// compatible with.
		"storage_compatibility_mode: NONE",
		"",
	}, "\n")
	if err := os.WriteFile(p.yaml, []byte(yaml), 0o644); err != nil {
		return fmt.Errorf("cassandratest: %w", err)
	}

	rackdc := "dc=" + dc + "\nrack=rack1\n"
	if err := os.WriteFile(p.rackdc, []byte(rackdc), 0o644); err != nil {
		return fmt.Errorf("cassandratest: %w", err)
	}

	// Everything goes to a file in the node directory: the console (the
	// test's output) stays quiet, and the file is what start-up errors quote.
	logback := `<configuration scan="false">
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>` + xmlEscape(p.systemLog) + `</file>
    <append>true</append>
    <encoder>
      <pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern>
    </encoder>
  </appender>
  <logger name="org.apache.cassandra" level="INFO"/>
  <root level="INFO">
    <appender-ref ref="FILE"/>
  </root>
</configuration>
`
	if err := os.WriteFile(p.logback, []byte(logback), 0o644); err != nil {
		return fmt.Errorf("cassandratest: %w", err)
	}
	return nil
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// jpmsFlags opens the JDK internals Cassandra 5.0 reaches into on Java 17,
// as listed in its conf/jvm17-server.options; without them start-up fails
// with InaccessibleObjectException.
var jpmsFlags = func() []string {
	exports := []string{
		"java.base/jdk.internal.misc",
		"java.management.rmi/com.sun.jmx.remote.internal.rmi",
		"java.rmi/sun.rmi.registry",
		"java.rmi/sun.rmi.server",
		"java.sql/java.sql",
		"java.base/java.lang.ref",
		"jdk.unsupported/sun.misc",
		"jdk.compiler/com.sun.tools.javac.file",
		"jdk.attach/sun.tools.attach",
	}
	opens := []string{
		"java.base/java.lang.module",
		"java.base/jdk.internal.loader",
		"java.base/jdk.internal.ref",
		"java.base/jdk.internal.reflect",
		"java.base/jdk.internal.math",
		"java.base/jdk.internal.module",
		"java.base/jdk.internal.util.jar",
		"jdk.management/com.sun.management.internal",
		"java.base/sun.nio.ch",
		"java.base/java.io",
		"java.base/java.lang.reflect",
		"jdk.compiler/com.sun.tools.javac",
		"java.base/java.lang",
		"java.base/java.util",
	}
	var f []string
	for _, e := range exports {
		f = append(f, "--add-exports="+e+"=ALL-UNNAMED")
	}
	for _, o := range opens {
		f = append(f, "--add-opens="+o+"=ALL-UNNAMED")
	}
	return f
}()

// serverJVMArgs is the JVM options for a node, classpath included. They go
// into conf/jvm.args, which keeps the process's command line short and lets
// a node be rerun by hand ("java @conf/jvm.args <main class>") when
// diagnosing a failure. The main class stays on the real command line so
// the process is recognisable in ps/pgrep.
func serverJVMArgs(rf *runtimeFiles, p nodePaths, heapMB, jmxPort int) []string {
	args := []string{
		fmt.Sprintf("-Xms%dm", heapMB),
		fmt.Sprintf("-Xmx%dm", heapMB),
		"-Xss256k",
		// G1 as in jvm17-server.options, minus the 16m region size, which
		// would leave a test-sized heap with only a few dozen regions.
		"-XX:+UseG1GC",
		"-XX:+ParallelRefProcEnabled",
		"-XX:MaxTenuringThreshold=1",
		"-XX:MaxGCPauseMillis=300",
		"-XX:InitiatingHeapOccupancyPercent=70",
		// C1 only: C2 would spend several CPU-seconds per start optimising
		// code a short test run barely uses, on a machine with few cores
		// shared by parallel test binaries. Measured: ~35% less CPU to
		// reach "ready".
		"-XX:TieredStopAtLevel=1",
		// Keeps a mis-sized test node from limping along in GC thrash.
		"-XX:+ExitOnOutOfMemoryError",
		// No hsperfdata files in /tmp for every node ever started.
		"-XX:+PerfDisableSharedMem",
		"-XX:ErrorFile=" + filepath.Join(p.logs, "hs_err_%p.log"),
		// Cassandra runs with assertions on by default (jvm-server.options).
		"-ea",
		"-Djava.net.preferIPv4Stack=true",
		"-Djdk.attach.allowAttachSelf=true",
		"-Dio.netty.tryReflectionSetAccessible=true",
		"-Dio.netty.allocator.useCacheForAllThreads=true",
		"-Dio.netty.allocator.maxOrder=11",
		// Chronicle (used by audit/full-query logging) ships usage analytics
		// that would try to reach the internet.
		"-Dchronicle.analytics.disable=true",
		"-Dchronicle.announcer.disable=true",
	}
	args = append(args, jpmsFlags...)
	if rf.jammJar != "" {
		// Cassandra measures object sizes (memtables, caches) with the jamm
		// agent, which must be loaded as a java agent, not just be on the
		// classpath.
		args = append(args, "-javaagent:"+rf.jammJar)
	}
	args = append(args,
		"-Dcassandra.config=file://"+p.yaml,
		"-Dcassandra-rackdc.properties=file://"+p.rackdc,
		"-Dlogback.configurationFile="+p.logback,
		"-Dcassandra.logdir="+p.logs,
		"-Dcassandra.storagedir="+p.dir,
		"-Dcassandra.triggers_dir="+filepath.Join(p.dir, "triggers"),
		// Keeps stdout/stderr open so anything printed before logging is up
		// (bad flags, agent failures) lands in logs/stdout.log.
		"-Dcassandra-foreground=yes",
		// Local-only JMX on its own port per node: nodetool needs it, and
		// every node's JMX listens on 127.0.0.1 whatever its listen address.
		fmt.Sprintf("-Dcassandra.jmx.local.port=%d", jmxPort),

		// Start-up time: a node would otherwise wait at least 5s for gossip
		// to "settle", and the 30s ring delay is sized for real networks,
		// not loopback. Not lower than 1s: shadow-round and fat-client
		// timeouts derive from it, and a fresh seed sleeps a whole second
		// in its schema wait however small it is.
		"-Dcassandra.skip_wait_for_gossip_to_settle=0",
		"-Dcassandra.ring_delay_ms=1000",
		"-Dcassandra.superuser_setup_delay_ms=0",
		// On shutdown a node announces it and then sleeps (2s by default)
		// so the news spreads before it stops answering; on loopback the
		// message is delivered at once, and StopNode is that much faster.
		"-Dcassandra.shutdown_announce_in_ms=500",
		// The Maven sigar jar carries no native library, so probing for it
		// only produces a warning and a stack trace.
		"-Dcassandra.test.ignore_sigar=true",
		// fsync buys nothing for throw-away test data; a killed JVM's writes
		// are still in the page cache for commit-log replay on restart.
		"-Dcassandra.skip_sync=true",
		// Otherwise every start spends seconds (3s measured here) allocating
		// rows to measure their heap overhead. The value only feeds memtable
		// size accounting; 180 bytes is what 5.0.9 measures on a 64-bit JVM
		// with compressed oops.
		"-Dcassandra.memtable.row_overhead_size=180",
		// Native libraries (snappy, lz4, netty, JNA) are unpacked into the
		// temp directory and only removed on a clean exit; keep them in the
		// node directory so killed nodes do not litter /tmp.
		"-Djava.io.tmpdir="+filepath.Join(p.dir, "tmp"),
		"-Djna.tmpdir="+filepath.Join(p.dir, "tmp"),
	)
	// An escape hatch for diagnosis (GC logging, debugger, a heap dump on
	// OOM) without editing this package.
	args = append(args, strings.Fields(os.Getenv("BACKBEAT_CASSANDRA_JVM_OPTS"))...)
	return append(args, "-cp", rf.classpathString())
}

// writeArgFile stores args in java's @argfile format.
func writeArgFile(path string, args []string) error {
	var b strings.Builder
	for _, a := range args {
		// Quote everything: the format treats whitespace as a separator and
		// backslash/quote as escapes.
		b.WriteString(`"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(a) + `"` + "\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
