package opensearchtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/backbeat/backbeat/server/testenv/proctest"
)

// Version is the OpenSearch release the tests run against, pinned exactly
// so every machine resolves the same artifact. 3.8.0 is the newest 3.x
// whose minimal distribution resolves from Maven Central at the time of
// pinning (3.9.0 does not).
const Version = "3.8.0"

// dependencyPluginVersion is pinned so fetching does not depend on
// whatever plugin version the installed Maven defaults to.
const dependencyPluginVersion = "3.8.1"

// minJava is the oldest Java OpenSearch 3 runs on.
const minJava = 21

// findJava picks the JDK: EnvJavaHome if set, else the newest Java 21+ the
// machine has. The default JDK is often 17, which OpenSearch 3 refuses, so
// candidates are checked by their release file rather than trusted.
func findJava() (string, error) {
	if h := os.Getenv(EnvJavaHome); h != "" {
		if _, err := os.Stat(filepath.Join(h, "bin", "java")); err != nil {
			return "", fmt.Errorf("opensearchtest: %s=%s has no bin/java: %w", EnvJavaHome, h, err)
		}
		return h, nil
	}
	best, bestMajor := "", 0
	candidates := proctest.JavaHomes()
	for _, h := range candidates {
		m := proctest.JavaMajor(h)
		if m < minJava || m <= bestMajor {
			continue
		}
		if _, err := os.Stat(filepath.Join(h, "bin", "java")); err == nil {
			best, bestMajor = h, m
		}
	}
	if best == "" {
		return "", fmt.Errorf("opensearchtest: OpenSearch %s needs a Java %d+ runtime (a JDK such as Temurin 25 under /usr/lib/jvm); none found among %s; set %s",
			Version, minJava, strings.Join(candidates, ", "), EnvJavaHome)
	}
	return best, nil
}

// installRoot is where the unpacked distribution is cached. As root, the
// node runs as an unprivileged user (see runUser), which cannot enter
// root's home, so the cache then lives in a world-readable system place.
func installRoot() (string, error) {
	if d := os.Getenv(EnvCacheDir); d != "" {
		return d, nil
	}
	if os.Geteuid() == 0 {
		return filepath.Join("/var/cache/backbeat", "opensearch-"+Version), nil
	}
	d, err := proctest.CacheDir("", "opensearch-"+Version)
	if err != nil {
		return "", fmt.Errorf("opensearchtest: %w", err)
	}
	return d, nil
}

// install returns the unpacked distribution, fetching and unpacking it on
// first use. It appears under its final name only by an atomic rename once
// complete, so a present directory is always a usable one.
func install(ctx context.Context, java string, logf func(string, ...any)) (string, error) {
	root, err := installRoot()
	if err != nil {
		return "", err
	}
	dist := filepath.Join(root, "dist")
	if proctest.Exists(dist) {
		return dist, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("opensearchtest: %w", err)
	}
	// go test ./... runs test binaries in parallel; the lock makes one of
	// them do the work and the rest find it done.
	unlock, err := proctest.Lock(ctx, filepath.Join(root, ".lock"))
	if err != nil {
		return "", fmt.Errorf("opensearchtest: %w", err)
	}
	defer unlock()
	if proctest.Exists(dist) {
		return dist, nil
	}
	proctest.RemoveLeftovers(root)
	began := time.Now()
	zipPath, cleanup, err := fetchZip(ctx, root, java, logf)
	if err != nil {
		return "", err
	}
	defer cleanup()
	fetched := time.Since(began)
	tmp, err := os.MkdirTemp(root, "dist.tmp-")
	if err != nil {
		return "", fmt.Errorf("opensearchtest: %w", err)
	}
	defer os.RemoveAll(tmp)
	// MkdirTemp's 0700 would keep the unprivileged user out.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("opensearchtest: %w", err)
	}
	if err := proctest.UnzipStripped(zipPath, tmp, 0o644); err != nil {
		return "", fmt.Errorf("opensearchtest: unpacking %s: %w", zipPath, err)
	}
	if err := os.Rename(tmp, dist); err != nil {
		return "", fmt.Errorf("opensearchtest: %w", err)
	}
	logf("opensearchtest: OpenSearch %s fetched in %s, unpacked in %s", Version,
		fetched.Round(time.Millisecond), (time.Since(began) - fetched).Round(time.Millisecond))
	return dist, nil
}

// fetchZip returns the distribution zip, running Maven only when it is not
// already in the default local repository. Maven puts it in ~/.m2 either
// way, so CI caching ~/.m2 also caches OpenSearch.
func fetchZip(ctx context.Context, root, javaHome string, logf func(string, ...any)) (string, func(), error) {
	name := "opensearch-" + Version + ".zip"
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".m2", "repository", "org", "opensearch", "distribution", "integ-test-zip", "opensearch", Version, name)
		if proctest.Exists(p) {
			return p, func() {}, nil
		}
	}
	mvn, err := exec.LookPath("mvn")
	if err != nil {
		return "", nil, fmt.Errorf("opensearchtest: Maven (mvn) is needed once to fetch the OpenSearch %s distribution: %w", Version, err)
	}
	out, err := os.MkdirTemp(root, "download.tmp-")
	if err != nil {
		return "", nil, fmt.Errorf("opensearchtest: %w", err)
	}
	cleanup := func() { os.RemoveAll(out) }
	logf("opensearchtest: fetching OpenSearch %s with Maven (first run only)", Version)
	cmd := exec.CommandContext(ctx, mvn, "-B", "-q",
		"org.apache.maven.plugins:maven-dependency-plugin:"+dependencyPluginVersion+":copy",
		"-Dartifact=org.opensearch.distribution.integ-test-zip:opensearch:"+Version+":zip",
		"-DoutputDirectory="+out,
	)
	// The cache directory has no pom.xml, so Maven cannot pick up an
	// unrelated project from the working directory.
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "JAVA_HOME="+javaHome)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("opensearchtest: mvn dependency:copy failed: %w\n%s", err, proctest.Tail(buf.String(), 40))
	}
	p := filepath.Join(out, name)
	if !proctest.Exists(p) {
		cleanup()
		return "", nil, fmt.Errorf("opensearchtest: Maven reported success but %s is missing\n%s", p, buf.String())
	}
	return p, cleanup, nil
}
