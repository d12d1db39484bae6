package proctest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// JavaHomes lists the JDKs worth trying, most preferred first: JAVA_HOME,
// the one the java on PATH belongs to, then every JDK under /usr/lib/jvm.
// A machine may well have a default JDK the server does not run on, so
// callers pick by JavaMajor rather than trusting the first.
func JavaHomes() []string {
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
	return homes
}

// JavaMajor reads JAVA_VERSION from a JDK's release file, which is much
// cheaper than running "java -version"; 0 if unknown.
func JavaMajor(home string) int {
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
