package keycloaktest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
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
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "KC_"),
			strings.HasPrefix(name, "KEYCLOAK_"),
			strings.HasPrefix(name, "QUARKUS_"),
			strings.HasPrefix(name, "JAVA_OPTS"),
			name == "JAVA_TOOL_OPTIONS",
			name == "JDK_JAVA_OPTIONS",
			name == "_JAVA_OPTIONS":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"KC_BOOTSTRAP_ADMIN_USERNAME="+AdminUsername,
		"KC_BOOTSTRAP_ADMIN_PASSWORD="+AdminPassword,
	)
}

// proc is a child started so that it cannot outlive the test binary.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done is closed
}

// spawn starts cmd in its own process group with SIGKILL as its parent-death
// signal.
//
// The kernel sends Pdeathsig when the *thread* that forked the child exits,
// not the process, and the Go runtime may retire threads. So the fork
// happens on a goroutine locked to its thread, and that goroutine stays
// there in Wait until the child is gone.
func spawn(cmd *exec.Cmd) (*proc, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread must live as long as the child
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// kill ends the whole process group (the JVM and anything it forked) and
// waits for the child to be reaped.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// wait waits for the child to exit, killing it if ctx ends first.
func (p *proc) wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		p.kill()
		return ctx.Err()
	}
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
	var homes []string
	if h := os.Getenv("JAVA_HOME"); h != "" {
		homes = append(homes, h)
	}
	if p, err := exec.LookPath("java"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			homes = append(homes, filepath.Dir(filepath.Dir(real)))
		}
	}
	if more, err := filepath.Glob("/usr/lib/jvm/*"); err == nil {
		homes = append(homes, more...)
	}
	for _, h := range homes {
		if javaMajor(h) < minJavaMajor {
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

// javaMajor reads JAVA_VERSION from a JDK's release file; 0 if unknown.
func javaMajor(home string) int {
	f, err := os.Open(filepath.Join(home, "release"))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "JAVA_VERSION=")
		if !ok {
			continue
		}
		major, _, _ := strings.Cut(strings.Trim(v, `"`), ".")
		n, _ := strconv.Atoi(major)
		return n
	}
	return 0
}

// logTail returns the last n lines of a log file, for error messages: a
// failed start is only diagnosable from what Keycloak printed.
func logTail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	const maxRead = 64 << 10
	if st, err := f.Stat(); err == nil && st.Size() > maxRead {
		if _, err := f.Seek(-maxRead, io.SeekEnd); err != nil {
			return fmt.Sprintf("(log unreadable: %v)", err)
		}
	}
	data, err := io.ReadAll(f)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
