package keycloaktest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/backbeat/backbeat/server/testenv/proctest"
)

// minJavaMajor is the oldest JDK Keycloak 26 runs on; its classes are
// compiled for Java 17.
const minJavaMajor = 17

// jvmFlags trade peak throughput, which a test server never needs, for
// start-up time. On a two-core machine C1-only compilation roughly halves
// the time to readiness, because C2 otherwise competes with start-up for
// the same cores.
var jvmFlags = []string{
	"-Xms64m",
	"-Xmx512m",
	"-XX:MetaspaceSize=96M",
	"-XX:MaxMetaspaceSize=256m",
	"-XX:TieredStopAtLevel=1",
	"-XX:-UsePerfData",
	"-XX:+ExitOnOutOfMemoryError",
	"-Dfile.encoding=UTF-8",
	"-Djava.security.egd=file:/dev/urandom",
	"-Duser.language=en",
	"-Duser.country=US",
	// What kc.sh passes: Quarkus and JBoss Threads reach into these JDK
	// internals and fail at start-up without them.
	"--add-opens=java.base/java.util=ALL-UNNAMED",
	"--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
	"--add-opens=java.base/java.security=ALL-UNNAMED",
	"--add-opens=java.base/java.lang=ALL-UNNAMED",
	"--enable-native-access=ALL-UNNAMED",
}

// javaCommand builds the command kc.sh would run, minus the shell. Running
// the JVM directly means Pdeathsig and the process group reach the JVM
// itself rather than a wrapper script that would leave it orphaned.
//
// home is the Keycloak home (data/ lives under it); dist holds the
// unpacked distribution. built says the distribution's augmented image
// matches these options, so Keycloak must not try to rebuild it. jvmExtra
// are further JVM options.
func javaCommand(java, dist, home string, built bool, jvmExtra []string, args ...string) *exec.Cmd {
	var a []string
	if built {
		a = append(a, "-Dkc.config.built=true")
	}
	a = append(a,
		"-Dkc.home.dir="+home,
		"-Djboss.server.config.dir="+filepath.Join(home, "conf"),
		"-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
		"-Dpicocli.disable.closures=true",
		"-Dquarkus-log-max-startup-records=10000",
		"-Djava.util.concurrent.ForkJoinPool.common.threadFactory=io.quarkus.bootstrap.forkjoin.QuarkusForkJoinWorkerThreadFactory",
		// Keeps Vert.x's file cache and other scratch files inside the run
		// directory, so removing that directory removes everything.
		"-Djava.io.tmpdir="+filepath.Join(home, "tmp"),
	)
	a = append(a, jvmFlags...)
	a = append(a, jvmExtra...)
	a = append(a, "-cp", filepath.Join(dist, "lib", "quarkus-run.jar"), "io.quarkus.bootstrap.runner.QuarkusEntryPoint")
	a = append(a, args...)
	cmd := exec.Command(java, a...)
	cmd.Dir = home
	cmd.Env = keycloakEnv()
	return cmd
}

// keycloakEnv is the caller's environment without anything Keycloak, Quarkus
// or the JVM would read as configuration: a developer's KC_DB=postgres or
// JAVA_TOOL_OPTIONS must not change what the tests run against.
func keycloakEnv() []string {
	env := proctest.FilterEnv(os.Environ(), func(name string) bool {
		switch {
		case strings.HasPrefix(name, "KC_"),
			strings.HasPrefix(name, "KEYCLOAK_"),
			strings.HasPrefix(name, "QUARKUS_"),
			strings.HasPrefix(name, "JAVA_OPTS"),
			name == "JAVA_TOOL_OPTIONS",
			name == "JDK_JAVA_OPTIONS",
			name == "_JAVA_OPTIONS":
			return false
		}
		return true
	})
	return append(env,
		"KC_BOOTSTRAP_ADMIN_USERNAME="+AdminUsername,
		"KC_BOOTSTRAP_ADMIN_PASSWORD="+AdminPassword,
	)
}

// findJava returns a java binary of at least minJavaMajor, preferring an
// explicit choice, then JAVA_HOME, then the one on PATH. Each JDK's release
// file is read rather than running "java -version", which costs a JVM start.
func findJava() (string, error) {
	if h := os.Getenv(EnvJavaHome); h != "" {
		j := filepath.Join(h, "bin", "java")
		if _, err := os.Stat(j); err != nil {
			return "", fmt.Errorf("keycloaktest: %s=%s has no bin/java: %w", EnvJavaHome, h, err)
		}
		return j, nil
	}
	homes := proctest.JavaHomes()
	for _, h := range homes {
		if proctest.JavaMajor(h) < minJavaMajor {
			continue
		}
		j := filepath.Join(h, "bin", "java")
		if _, err := os.Stat(j); err == nil {
			return j, nil
		}
	}
	return "", fmt.Errorf("keycloaktest: Keycloak %s needs Java %d or newer; none found among %s (set %s)",
		Version, minJavaMajor, strings.Join(homes, ", "), EnvJavaHome)
}
