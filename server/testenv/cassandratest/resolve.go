package cassandratest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/backbeat/backbeat/server/testenv/proctest"
)

// Version is the Cassandra release the test environment runs. It is pinned
// exactly so every developer and CI resolve the same jars and the classpath
// cache below stays valid.
const Version = "5.0.9"

// dependencyPluginVersion is pinned so the resolution step does not depend
// on whichever plugin version the installed Maven happens to default to.
const dependencyPluginVersion = "3.8.1"

// The pom only exists so Maven can compute cassandra-all's runtime closure;
// it is never built. Resolving into the default local repository (~/.m2)
// lets CI cache the jars with its usual Maven cache.
const pomTemplate = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.github.backbeat.testenv</groupId>
  <artifactId>cassandra-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.cassandra</groupId>
      <artifactId>cassandra-all</artifactId>
      <version>%s</version>
    </dependency>
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin>
          <groupId>org.apache.maven.plugins</groupId>
          <artifactId>maven-dependency-plugin</artifactId>
          <version>%s</version>
        </plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
`

// requiredJars are file-name prefixes that must be on the resolved
// classpath; if one is missing the server would fail late and obscurely
// (no logging backend, no jamm agent), so fail early and say which.
var requiredJars = []string{
	"cassandra-all-" + Version + ".jar",
	"jamm-",
	"logback-classic-",
	"logback-core-",
	"slf4j-api-",
	"jna-",
}

// runtimeFiles is everything needed to launch a node.
type runtimeFiles struct {
	javaHome  string
	java      string
	classpath []string
	jammJar   string
}

func (r *runtimeFiles) classpathString() string {
	return strings.Join(r.classpath, string(os.PathListSeparator))
}

// resolveRuntime finds a JDK 17 and the Cassandra classpath, invoking Maven
// only when no valid cached classpath exists.
func resolveRuntime(ctx context.Context, logf func(string, ...any)) (*runtimeFiles, error) {
	javaHome, err := findJava17()
	if err != nil {
		return nil, err
	}
	cp, err := resolveClasspath(ctx, javaHome, logf)
	if err != nil {
		return nil, err
	}
	rf := &runtimeFiles{
		javaHome:  javaHome,
		java:      filepath.Join(javaHome, "bin", "java"),
		classpath: cp,
	}
	for _, j := range cp {
		if strings.HasPrefix(filepath.Base(j), "jamm-") {
			rf.jammJar = j
		}
	}
	return rf, nil
}

// findJava17 picks a JDK 17. Cassandra 5.0 supports only Java 11 and 17 and
// refuses newer runtimes, and a machine may well have a newer default JDK or
// JAVA_HOME, so each candidate's release file is checked rather than trusting
// whatever "java" is first on PATH.
func findJava17() (string, error) {
	if h := os.Getenv("BACKBEAT_CASSANDRA_JAVA_HOME"); h != "" {
		// An explicit choice is not second-guessed beyond existing.
		if _, err := os.Stat(filepath.Join(h, "bin", "java")); err != nil {
			return "", fmt.Errorf("cassandratest: BACKBEAT_CASSANDRA_JAVA_HOME=%s has no bin/java: %w", h, err)
		}
		return h, nil
	}
	candidates := proctest.JavaHomes()
	for _, h := range candidates {
		if proctest.JavaMajor(h) == 17 {
			if _, err := os.Stat(filepath.Join(h, "bin", "java")); err == nil {
				return h, nil
			}
		}
	}
	return "", fmt.Errorf("cassandratest: Cassandra %s needs a Java 17 runtime; none found (looked at %s); set BACKBEAT_CASSANDRA_JAVA_HOME", Version, strings.Join(candidates, ", "))
}

// resolveClasspath returns the cached classpath or runs Maven to produce it.
// Several test binaries may start at once (go test ./...), so the work is
// serialized with a lock file; the loser of the race then finds the cache.
func resolveClasspath(ctx context.Context, javaHome string, logf func(string, ...any)) ([]string, error) {
	// The resolved classpath's place; the jars stay in ~/.m2.
	dir, err := proctest.CacheDir("", "cassandra-"+Version)
	if err != nil {
		return nil, fmt.Errorf("cassandratest: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cassandratest: %w", err)
	}
	pom := fmt.Sprintf(pomTemplate, Version, dependencyPluginVersion)
	sum := sha256.Sum256([]byte(pom))
	// Keying the cache on the pom means editing the pom can never reuse a
	// classpath computed from an older one.
	cpFile := filepath.Join(dir, "classpath-"+hex.EncodeToString(sum[:6])+".txt")

	if cp, err := readClasspath(cpFile); err == nil {
		return cp, nil
	}

	unlock, err := proctest.Lock(ctx, filepath.Join(dir, ".resolve.lock"))
	if err != nil {
		return nil, fmt.Errorf("cassandratest: %w", err)
	}
	defer unlock()
	if cp, err := readClasspath(cpFile); err == nil {
		return cp, nil
	}

	mvn, err := exec.LookPath("mvn")
	if err != nil {
		return nil, fmt.Errorf("cassandratest: Maven (mvn) is needed once to fetch cassandra-all %s: %w", Version, err)
	}
	pomFile := filepath.Join(dir, "pom.xml")
	if err := os.WriteFile(pomFile, []byte(pom), 0o644); err != nil {
		return nil, fmt.Errorf("cassandratest: %w", err)
	}
	tmp := cpFile + ".tmp"
	logf("cassandratest: resolving cassandra-all %s with Maven (first run only)", Version)
	start := time.Now()
	cmd := exec.CommandContext(ctx, mvn, "-q", "-B", "-f", pomFile,
		"dependency:build-classpath",
		"-Dmdep.includeScope=runtime",
		"-Dmdep.outputFile="+tmp,
	)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "JAVA_HOME="+javaHome)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("cassandratest: mvn dependency:build-classpath failed: %w\n%s", err, proctest.Tail(out.String(), 40))
	}
	cp, err := readClasspath(tmp)
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, cpFile); err != nil {
		return nil, fmt.Errorf("cassandratest: %w", err)
	}
	logf("cassandratest: resolved %d jars in %s", len(cp), time.Since(start).Round(time.Millisecond))
	return cp, nil
}

// readClasspath parses and validates a classpath file. A cache entry whose
// jars have since vanished (a pruned ~/.m2) is treated as missing so Maven
// fetches them again.
func readClasspath(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cp []string
	for _, j := range strings.Split(strings.TrimSpace(string(data)), string(os.PathListSeparator)) {
		j = strings.TrimSpace(j)
		if j == "" || foreignNative(filepath.Base(j)) {
			continue
		}
		if _, err := os.Stat(j); err != nil {
			return nil, fmt.Errorf("cassandratest: cached classpath %s is stale: %w", path, err)
		}
		cp = append(cp, j)
	}
	for _, want := range requiredJars {
		found := false
		for _, j := range cp {
			if strings.HasPrefix(filepath.Base(j), want) {
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("cassandratest: classpath %s lacks %s*", path, want)
		}
	}
	return cp, nil
}

// foreignNative reports jars that only carry native code for another
// platform (netty ships macOS, Windows and other-arch variants); leaving them
// out keeps the classpath shorter and class loading a little faster.
func foreignNative(name string) bool {
	for _, other := range []string{"-osx-", "-windows-"} {
		if strings.Contains(name, other) {
			return true
		}
	}
	if !strings.Contains(name, "-linux-") {
		return false
	}
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch_64"}[runtime.GOARCH]
	return arch == "" || !strings.Contains(name, "-linux-"+arch)
}
