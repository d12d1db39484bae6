package keycloaktest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/backbeat/backbeat/server/testenv/proctest"
)

// Version is the Keycloak release the tests run against. It is pinned
// exactly so every machine resolves the same artifact and the cached
// distribution and database template stay valid. 26.7.3 is the newest
// release on Maven Central at the time of pinning and still runs on JDK 17.
const Version = "26.7.3"

// dependencyPluginVersion is pinned so fetching does not depend on whatever
// plugin version the installed Maven defaults to.
const dependencyPluginVersion = "3.8.1"

// disabledFeatures are default features Backbeat's tests never touch.
// Turning them off at build time means fewer providers to initialise at
// every start; re-enable one here if a test needs it (the changed build
// arguments give a fresh cache entry automatically).
var disabledFeatures = []string{
	"account", "admin", "admin-fine-grained-authz", "authorization", "ciba",
	"device-flow", "docker", "identity-brokering-api", "impersonation",
	"instagram-broker", "kerberos", "opentelemetry", "organization", "par",
	"passkeys", "recovery-codes", "twitter-broker", "update-email",
	"web-authn", "workflows",
}

// buildArgs are the build-time options baked into the optimized image. An
// optimized "start" skips Keycloak's own "has the configuration changed?"
// re-augmentation, which is what lets parallel test binaries share one
// read-only distribution; start-dev would rewrite lib/ in place instead.
func buildArgs() []string {
	return []string{"build", "--db=dev-file", "--features-disabled=" + strings.Join(disabledFeatures, ",")}
}

// install is a ready-to-run Keycloak: a built distribution and a database
// that already holds the master realm (with the bootstrap admin) and the
// backbeat realm. Creating the schema and importing realms takes most of a
// cold start, so it is done once and every run starts from a copy.
//
// archive, when not empty, is a class-data-sharing archive of the classes
// Keycloak loads while booting. Mapping it instead of loading and verifying
// those classes again took 20-35% off every start on a two-core machine,
// the more the busier the machine. It is only valid for the JVM that wrote
// it, hence its own key.
type install struct {
	java     string
	dist     string
	template string
	archive  string
}

func shortHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:6])
}

// prepare returns the cached install, creating whatever part is missing.
// Entries are keyed on everything that went into them, and each appears
// under its final name only by an atomic rename once complete, so a
// present entry is always a usable one.
func prepare(ctx context.Context, logf func(string, ...any)) (*install, error) {
	java, err := findJava()
	if err != nil {
		return nil, err
	}
	root, err := proctest.CacheDir(EnvCacheDir, "keycloak-"+Version)
	if err != nil {
		return nil, fmt.Errorf("keycloaktest: %w", err)
	}
	realm, err := realmJSON()
	if err != nil {
		return nil, fmt.Errorf("keycloaktest: realm: %w", err)
	}
	buildKey := shortHash(Version, strings.Join(buildArgs(), " "))
	in := &install{
		java:     java,
		dist:     filepath.Join(root, "dist-"+buildKey),
		template: filepath.Join(root, "db-"+shortHash(buildKey, string(realm))+".mv.db"),
	}
	archive := filepath.Join(root, "cds-"+shortHash(buildKey, java, javaRelease(java))+".jsa")
	// A JVM that cannot write an archive (no base CDS archive, say) leaves
	// this marker so later runs do not pay for trying again.
	noArchive := archive + ".none"
	ready := func() bool {
		return proctest.Exists(in.dist) && proctest.Exists(in.template) && (proctest.Exists(archive) || proctest.Exists(noArchive))
	}
	if !ready() {
		if err := os.MkdirAll(root, 0o755); err != nil {
			return nil, fmt.Errorf("keycloaktest: %w", err)
		}
		// go test ./... runs test binaries in parallel; the lock makes one
		// of them do the work and the rest find it done.
		unlock, err := proctest.Lock(ctx, filepath.Join(root, ".lock"))
		if err != nil {
			return nil, fmt.Errorf("keycloaktest: %w", err)
		}
		defer unlock()
		proctest.RemoveLeftovers(root)

		if !proctest.Exists(in.dist) {
			if err := installDist(ctx, root, in, logf); err != nil {
				return nil, err
			}
		}
		if !ready() {
			wantArchive := !proctest.Exists(archive) && !proctest.Exists(noArchive)
			if err := importRealm(ctx, root, in, realm, !proctest.Exists(in.template), wantArchive, archive, logf); err != nil {
				return nil, err
			}
		}
	}
	if proctest.Exists(archive) {
		in.archive = archive
	}
	return in, nil
}

// javaRelease is the JDK's release file, which names its exact build; a
// JDK upgraded in place must not be handed an archive from the old one.
func javaRelease(java string) string {
	real, err := filepath.EvalSymlinks(java)
	if err != nil {
		real = java
	}
	data, _ := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(real)), "release"))
	return string(data)
}

// installDist fetches, unpacks and builds the distribution.
func installDist(ctx context.Context, root string, in *install, logf func(string, ...any)) error {
	began := time.Now()
	zipPath, cleanup, err := fetchZip(ctx, root, in.java, logf)
	if err != nil {
		return err
	}
	defer cleanup()

	tmp, err := os.MkdirTemp(root, filepath.Base(in.dist)+".tmp-")
	if err != nil {
		return fmt.Errorf("keycloaktest: %w", err)
	}
	defer os.RemoveAll(tmp)
	// MkdirTemp's 0700 would keep other users (a CI runner account) out.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("keycloaktest: %w", err)
	}
	unzipStart := time.Now()
	if err := proctest.UnzipStripped(zipPath, tmp, 0o600); err != nil {
		return fmt.Errorf("keycloaktest: unpacking %s: %w", zipPath, err)
	}
	logf("keycloaktest: unpacked Keycloak %s in %s", Version, time.Since(unzipStart).Round(time.Millisecond))

	buildStart := time.Now()
	logPath := filepath.Join(root, "build.log")
	scratch := filepath.Join(tmp, "tmp") // the JVM's java.io.tmpdir, see javaCommand
	if err := os.MkdirAll(scratch, 0o755); err != nil {
		return fmt.Errorf("keycloaktest: %w", err)
	}
	if err := runJava(ctx, javaCommand(in.java, tmp, tmp, false, nil, buildArgs()...), logPath); err != nil {
		return fmt.Errorf("keycloaktest: kc build failed: %w\n%s", err, proctest.LogTail(logPath, 40))
	}
	_ = os.RemoveAll(scratch)
	logf("keycloaktest: built optimized image in %s", time.Since(buildStart).Round(time.Millisecond))

	if err := os.Rename(tmp, in.dist); err != nil {
		return fmt.Errorf("keycloaktest: %w", err)
	}
	logf("keycloaktest: distribution ready in %s", time.Since(began).Round(time.Millisecond))
	return nil
}

// fetchZip returns the distribution zip, running Maven only when it is not
// already in the default local repository. Maven puts it in ~/.m2 either
// way, so CI caching ~/.m2 also caches Keycloak.
func fetchZip(ctx context.Context, root, java string, logf func(string, ...any)) (string, func(), error) {
	name := "keycloak-quarkus-dist-" + Version + ".zip"
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".m2", "repository", "org", "keycloak", "keycloak-quarkus-dist", Version, name)
		if proctest.Exists(p) {
			return p, func() {}, nil
		}
	}
	mvn, err := exec.LookPath("mvn")
	if err != nil {
		return "", nil, fmt.Errorf("keycloaktest: Maven (mvn) is needed once to fetch keycloak-quarkus-dist %s: %w", Version, err)
	}
	// A copy into scratch space rather than guessing where a custom
	// localRepository lives; it is deleted once unpacked.
	out, err := os.MkdirTemp(root, "download.tmp-")
	if err != nil {
		return "", nil, fmt.Errorf("keycloaktest: %w", err)
	}
	cleanup := func() { os.RemoveAll(out) }
	logf("keycloaktest: fetching keycloak-quarkus-dist %s with Maven (first run only)", Version)
	began := time.Now()
	cmd := exec.CommandContext(ctx, mvn, "-B", "-q",
		"org.apache.maven.plugins:maven-dependency-plugin:"+dependencyPluginVersion+":copy",
		"-Dartifact=org.keycloak:keycloak-quarkus-dist:"+Version+":zip",
		"-DoutputDirectory="+out,
	)
	// The cache directory has no pom.xml, so Maven cannot pick up an
	// unrelated project from the working directory.
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "JAVA_HOME="+filepath.Dir(filepath.Dir(java)))
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("keycloaktest: mvn dependency:copy failed: %w\n%s", err, buf.String())
	}
	p := filepath.Join(out, name)
	if !proctest.Exists(p) {
		cleanup()
		return "", nil, fmt.Errorf("keycloaktest: Maven reported success but %s is missing\n%s", p, buf.String())
	}
	logf("keycloaktest: fetched in %s", time.Since(began).Round(time.Millisecond))
	return p, cleanup, nil
}

// importRealm runs Keycloak's offline "import" command, which creates the
// schema, the master realm with the bootstrap admin and the backbeat realm,
// then shuts down cleanly so the H2 file is consistent, all without opening
// an HTTP port. Its database becomes the template when keepTemplate is set.
// When wantArchive is set, the same run records the classes it loaded into
// archive: booting for an import loads nearly everything a server start does.
func importRealm(ctx context.Context, root string, in *install, realm []byte, keepTemplate, wantArchive bool, archive string, logf func(string, ...any)) error {
	began := time.Now()
	home, err := os.MkdirTemp(root, "db.tmp-")
	if err != nil {
		return fmt.Errorf("keycloaktest: %w", err)
	}
	defer os.RemoveAll(home)
	if err := prepareHome(in.dist, home); err != nil {
		return err
	}
	realmFile := filepath.Join(home, Realm+"-realm.json")
	if err := os.WriteFile(realmFile, realm, 0o644); err != nil {
		return fmt.Errorf("keycloaktest: %w", err)
	}
	var jvmExtra []string
	tmpArchive := filepath.Join(home, "classes.jsa")
	if wantArchive {
		// The dump lists thousands of classes it cannot archive; that noise
		// would bury Keycloak's own messages in a failure's log tail.
		jvmExtra = []string{"-XX:ArchiveClassesAtExit=" + tmpArchive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off"}
	}
	logPath := filepath.Join(home, "import.log")
	cmd := javaCommand(in.java, in.dist, home, true, jvmExtra, "import", "--optimized", "--file="+realmFile)
	if err := runJava(ctx, cmd, logPath); err != nil {
		return fmt.Errorf("keycloaktest: realm import failed: %w\n%s", err, proctest.LogTail(logPath, 40))
	}
	// The import command exits 0 even when it found nothing to import.
	if log, err := os.ReadFile(logPath); err != nil || !bytes.Contains(log, []byte("Realm '"+Realm+"' imported")) {
		return fmt.Errorf("keycloaktest: realm import did not report importing %q\n%s", Realm, proctest.LogTail(logPath, 40))
	}
	if keepTemplate {
		if err := os.Rename(filepath.Join(home, "data", "h2", "keycloakdb.mv.db"), in.template); err != nil {
			return fmt.Errorf("keycloaktest: keeping the imported database: %w", err)
		}
		logf("keycloaktest: created database template in %s", time.Since(began).Round(time.Millisecond))
	}
	if wantArchive {
		if proctest.Exists(tmpArchive) {
			if err := os.Rename(tmpArchive, archive); err != nil {
				return fmt.Errorf("keycloaktest: keeping the class archive: %w", err)
			}
			logf("keycloaktest: recorded class-data-sharing archive for %s", in.java)
		} else {
			logf("keycloaktest: %s wrote no class-data-sharing archive; starting without one", in.java)
			if err := os.WriteFile(archive+".none", nil, 0o644); err != nil {
				return fmt.Errorf("keycloaktest: %w", err)
			}
		}
	}
	return nil
}

// runJava runs a short-lived Keycloak command to completion, output to
// logPath.
func runJava(ctx context.Context, cmd *exec.Cmd, logPath string) error {
	lf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer lf.Close()
	cmd.Stdout, cmd.Stderr = lf, lf
	p, err := proctest.Spawn(cmd)
	if err != nil {
		return err
	}
	return p.Wait(ctx)
}

// prepareHome makes home a Keycloak home of its own (data/, tmp/) that
// shares the read-only parts of the cached distribution through symlinks.
func prepareHome(dist, home string) error {
	for _, d := range []string{"lib", "conf", "themes", "providers"} {
		if err := os.Symlink(filepath.Join(dist, d), filepath.Join(home, d)); err != nil {
			return fmt.Errorf("keycloaktest: %w", err)
		}
	}
	for _, d := range []string{"tmp", filepath.Join("data", "h2")} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
			return fmt.Errorf("keycloaktest: %w", err)
		}
	}
	return nil
}

// copyFile copies src to dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
