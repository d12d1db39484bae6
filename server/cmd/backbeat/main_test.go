package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/store/cassandra"
)

// invocation runs the command with args and env, capturing what serve or
// migrate would have been given instead of running them.
type invocation struct {
	served   *app.Config
	migrated *cassandra.Config
	stdout   bytes.Buffer
	stderr   bytes.Buffer
	err      error
}

func invoke(t *testing.T, env map[string]string, args ...string) *invocation {
	t.Helper()
	in := &invocation{}
	e := environ{
		lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		stdout: &in.stdout, stderr: &in.stderr,
		serve: func(ctx context.Context, cfg app.Config, ready func(net.Addr, string)) error {
			in.served = &cfg
			return nil
		},
		migrate: func(ctx context.Context, cfg cassandra.Config) error {
			in.migrated = &cfg
			return nil
		},
	}
	in.err = e.run(args)
	return in
}

func TestServeDefaultsAreAppDefaults(t *testing.T) {
	in := invoke(t, nil, "serve")
	if in.err != nil {
		t.Fatal(in.err)
	}
	got, want := *in.served, app.Defaults()
	got.Logger = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("serve without flags configured\n%+v\nwant app.Defaults()\n%+v", got, want)
	}
}

func TestEnvironmentBooleans(t *testing.T) {
	for _, v := range []string{"1", "true", "TRUE", "True", "t"} {
		in := invoke(t, map[string]string{"BACKBEAT_DEMO": v, "BACKBEAT_BLOB_S3_BUCKET": "b", "BACKBEAT_BLOB_S3_INSECURE": v}, "serve")
		if in.err != nil {
			t.Fatalf("BACKBEAT_DEMO=%s: %v", v, in.err)
		}
		if !in.served.Demo || !in.served.Media.S3Insecure {
			t.Errorf("BACKBEAT_DEMO=%s: demo %v, s3 insecure %v; want both true", v, in.served.Demo, in.served.Media.S3Insecure)
		}
	}
	for _, v := range []string{"0", "false", "FALSE"} {
		in := invoke(t, map[string]string{"BACKBEAT_DEMO": v}, "serve")
		if in.err != nil || in.served.Demo {
			t.Errorf("BACKBEAT_DEMO=%s: demo %v, err %v; want false", v, in.served != nil && in.served.Demo, in.err)
		}
	}
}

func TestEnvironmentTypedValues(t *testing.T) {
	in := invoke(t, map[string]string{
		"BACKBEAT_ACCESS_TTL":            "2s",
		"BACKBEAT_TRANSCODE_WORKERS":     "0",
		"BACKBEAT_MAX_UPLOAD_BYTES":      "1024",
		"BACKBEAT_CORS_ORIGINS":          "",
		"BACKBEAT_CASSANDRA_HOSTS":       "10.0.0.1,10.0.0.2",
		"BACKBEAT_CASSANDRA_REPLICATION": "dc1:3,dc2:2",
		"BACKBEAT_LOG_LEVEL":             "debug",
		"BACKBEAT_UNRELATED":             "ignored",
	}, "serve")
	if in.err != nil {
		t.Fatal(in.err)
	}
	c := in.served
	if c.AccessTTL != 2*time.Second || c.Media.Workers != 0 || c.Media.MaxUploadBytes != 1024 {
		t.Errorf("access ttl %v, workers %d, max upload %d", c.AccessTTL, c.Media.Workers, c.Media.MaxUploadBytes)
	}
	if len(c.CORSOrigins) != 0 {
		t.Errorf("cors origins %q from an empty variable, want none (CORS off)", c.CORSOrigins)
	}
	if !slices.Equal(c.Cassandra.Hosts, []string{"10.0.0.1", "10.0.0.2"}) || !reflect.DeepEqual(c.Cassandra.Replication, map[string]int{"dc1": 3, "dc2": 2}) {
		t.Errorf("cassandra hosts %q, replication %v", c.Cassandra.Hosts, c.Cassandra.Replication)
	}
	if c.LogLevel.String() != "DEBUG" {
		t.Errorf("log level %v, want DEBUG", c.LogLevel)
	}
}

func TestCommandLineBeatsEnvironment(t *testing.T) {
	in := invoke(t, map[string]string{"BACKBEAT_ADDR": "127.0.0.1:9000", "BACKBEAT_DEMO": "1", "BACKBEAT_ACCESS_TTL": "bogus"},
		"serve", "--addr", "127.0.0.1:9001", "--demo=false", "--access-ttl", "1m")
	if in.err != nil {
		t.Fatal(in.err)
	}
	if in.served.Addr != "127.0.0.1:9001" || in.served.Demo || in.served.AccessTTL != time.Minute {
		t.Fatalf("addr %s, demo %v, access ttl %v; want the command line's", in.served.Addr, in.served.Demo, in.served.AccessTTL)
	}
}

func TestInvalidEnvironmentNamesVariableAndFlag(t *testing.T) {
	for env, flagName := range map[string]string{
		"BACKBEAT_DEMO":                  "--demo",
		"BACKBEAT_ACCESS_TTL":            "--access-ttl",
		"BACKBEAT_TRANSCODE_WORKERS":     "--transcode-workers",
		"BACKBEAT_LOG_LEVEL":             "--log-level",
		"BACKBEAT_CASSANDRA_REPLICATION": "--cassandra-replication",
	} {
		in := invoke(t, map[string]string{env: "yes please"}, "serve")
		if in.err == nil || in.served != nil {
			t.Fatalf("%s=yes please: served %v, err %v; want refused", env, in.served != nil, in.err)
		}
		if msg := in.err.Error(); !strings.Contains(msg, env) || !strings.Contains(msg, flagName) {
			t.Errorf("%s: error %q does not name the variable and %s", env, msg, flagName)
		}
	}
}

func TestBadConfigurationRefusedBeforeServing(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want []string // each must appear in the error
	}{
		{[]string{"--tls-cert", "c.pem"}, nil, []string{"--tls-cert", "BACKBEAT_TLS_CERT", "--tls-key"}},
		{[]string{"--demo", "--oidc-issuer", "https://id.example"}, nil, []string{"--demo", "BACKBEAT_DEMO", "--oidc-issuer"}},
		{nil, map[string]string{"BACKBEAT_NATS_URL": "nats://x:4222", "BACKBEAT_NATS_LISTEN": "127.0.0.1:4222"}, []string{"--nats-listen", "BACKBEAT_NATS_LISTEN", "--nats-url"}},
		{[]string{"--nats-listen", "127.0.0.1:4222"}, nil, []string{"--nats-listen", "BACKBEAT_NATS_LISTEN", "--nats-user", "BACKBEAT_NATS_USER", "--nats-password", "BACKBEAT_NATS_PASSWORD"}},
		{[]string{"--nats-listen", ":4222", "--nats-user", "r"}, map[string]string{"BACKBEAT_NATS_PASSWORD": "p"}, []string{"--nats-listen", "127.0.0.1:4222"}},
		{[]string{"--blob-s3-endpoint", "s3.example:9000"}, nil, []string{"--blob-s3-endpoint", "--blob-s3-bucket"}},
		{[]string{"--store", "postgres"}, nil, []string{"--store", "BACKBEAT_STORE"}},
		{[]string{"--refresh-ttl", "-1h"}, nil, []string{"--refresh-ttl"}},
		{[]string{"--transcode-attempts", "0"}, nil, []string{"--transcode-attempts", "BACKBEAT_TRANSCODE_ATTEMPTS"}},
		{[]string{"--log-format", "xml"}, nil, []string{"--log-format"}},
		{[]string{"--public-url", "ftp://x"}, nil, []string{"--public-url", "BACKBEAT_PUBLIC_URL"}},
		{[]string{"--media-signing-key", "abcd"}, nil, []string{"--media-signing-key"}},
		{[]string{"--store", "cassandra", "--cassandra-hosts", ""}, nil, []string{"--cassandra-hosts"}},
	}
	for _, tc := range cases {
		in := invoke(t, tc.env, append([]string{"serve"}, tc.args...)...)
		if in.err == nil || in.served != nil {
			t.Errorf("%v %v: served %v, err %v; want refused before serving", tc.args, tc.env, in.served != nil, in.err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(in.err.Error(), w) {
				t.Errorf("%v %v: error %q does not name %s", tc.args, tc.env, in.err, w)
			}
		}
	}
}

// TestHelpNamesEveryVariable checks -h lists each flag with its variable.
func TestHelpNamesEveryVariable(t *testing.T) {
	for cmd, register := range map[string]func(*flag.FlagSet){
		"serve":   func(fs *flag.FlagSet) { c := app.Defaults(); c.BindFlags(fs) },
		"migrate": func(fs *flag.FlagSet) { c := app.CassandraDefaults(); app.BindCassandraFlags(fs, &c) },
	} {
		in := invoke(t, nil, cmd, "-h")
		if exitCode(in.err) != 0 {
			t.Fatalf("%s -h: %v", cmd, in.err)
		}
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		register(fs)
		n := 0
		fs.VisitAll(func(f *flag.Flag) {
			n++
			line := regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(f.Name) + `\b.*\n.*\(env ` + app.EnvVar(f.Name) + `\)`)
			if !line.MatchString(in.stderr.String()) {
				t.Errorf("%s -h does not list -%s with %s", cmd, f.Name, app.EnvVar(f.Name))
			}
		})
		if n < 5 {
			t.Fatalf("%s registers only %d flags", cmd, n)
		}
	}
}

// TestREADMEFlagTable checks the README's configuration table names every
// serve flag and no other.
func TestREADMEFlagTable(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, row := range regexp.MustCompile("(?m)^\\| (`--[^|]+)\\|").FindAllStringSubmatch(string(readme), -1) {
		for _, m := range regexp.MustCompile("`--([a-z0-9-]+)`").FindAllStringSubmatch(row[1], -1) {
			documented[m[1]] = true
		}
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c := app.Defaults()
	c.BindFlags(fs)
	fs.VisitAll(func(f *flag.Flag) {
		if !documented[f.Name] {
			t.Errorf("README's flag table lacks --%s", f.Name)
		}
		delete(documented, f.Name)
	})
	for name := range documented {
		t.Errorf("README's flag table lists --%s, which serve does not have", name)
	}
}

func TestMigrate(t *testing.T) {
	in := invoke(t, map[string]string{"BACKBEAT_CASSANDRA_DC": "east"}, "migrate", "--cassandra-keyspace", "music")
	if in.err != nil {
		t.Fatal(in.err)
	}
	m := in.migrated
	// No replication given: the store decides (east:1 on a cluster of
	// one datacenter, refused on several), so none is passed on.
	if m.Keyspace != "music" || m.LocalDC != "east" || len(m.Replication) != 0 || m.Timeout != 5*time.Second {
		t.Fatalf("migrate configured %+v; want keyspace music, dc east, no replication by default, timeout 5s", m)
	}
	if !strings.Contains(in.stdout.String(), "keyspace music migrated") {
		t.Fatalf("migrate printed %q", in.stdout.String())
	}
	in = invoke(t, nil, "migrate", "--cassandra-timeout", "0s")
	if in.err == nil || in.migrated != nil || !strings.Contains(in.err.Error(), "BACKBEAT_CASSANDRA_TIMEOUT") {
		t.Fatalf("migrate with a zero timeout: migrated %v, err %v; want refused naming BACKBEAT_CASSANDRA_TIMEOUT", in.migrated != nil, in.err)
	}
	in = invoke(t, nil, "migrate", "--cassandra-replication", "dc1:0")
	if in.err == nil || in.migrated != nil || !strings.Contains(in.err.Error(), "cassandra-replication") {
		t.Fatalf("migrate with replication dc1:0: migrated %v, err %v; want refused", in.migrated != nil, in.err)
	}
}

// TestMigrateReplicationRequired: the store's refusal to guess the
// replication of a multi-datacenter keyspace reaches the operator naming the
// flag to set.
func TestMigrateReplicationRequired(t *testing.T) {
	var out, errOut bytes.Buffer
	e := environ{
		lookup: func(string) (string, bool) { return "", false },
		stdout: &out, stderr: &errOut,
		migrate: func(ctx context.Context, cfg cassandra.Config) error {
			return fmt.Errorf("cassandra.Migrate: %w: the cluster has data centres dc1, dc2", cassandra.ErrReplicationRequired)
		},
	}
	err := e.run([]string{"migrate"})
	if err == nil || !strings.Contains(err.Error(), "--cassandra-replication (BACKBEAT_CASSANDRA_REPLICATION)") ||
		!strings.Contains(err.Error(), "dc1, dc2") {
		t.Fatalf("migrate on two datacenters without replication: err %v; want it to name the flag and the datacenters", err)
	}
}

func TestCommands(t *testing.T) {
	if in := invoke(t, nil); in.err == nil || !strings.Contains(in.stderr.String(), "usage:") {
		t.Errorf("no command: err %v, stderr %q; want an error and the usage", in.err, in.stderr.String())
	}
	if in := invoke(t, nil, "frobnicate"); in.err == nil || !strings.Contains(in.err.Error(), "frobnicate") {
		t.Errorf("unknown command: err %v", in.err)
	}
	if in := invoke(t, nil, "help"); in.err != nil || !strings.Contains(in.stdout.String(), "serve") {
		t.Errorf("help: err %v, stdout %q", in.err, in.stdout.String())
	}
	if in := invoke(t, nil, "serve", "extra"); in.err == nil || in.served != nil {
		t.Errorf("serve with a stray argument: served %v, err %v; want refused", in.served != nil, in.err)
	}
}

// TestServeRuns starts the real server through the command and stops it
// once it is listening: the line scripts and the e2e tests wait for is
// printed, and the demo's instructions with --demo.
func TestServeRuns(t *testing.T) {
	var stdout, stderr bytes.Buffer
	e := environ{
		lookup: func(k string) (string, bool) {
			v, ok := map[string]string{"BACKBEAT_DEMO": "1", "BACKBEAT_FFMPEG": "backbeat-test-no-ffmpeg"}[k]
			return v, ok
		},
		stdout: &stdout, stderr: &stderr,
		serve: func(ctx context.Context, cfg app.Config, ready func(net.Addr, string)) error {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			return app.Run(ctx, cfg, func(addr net.Addr, publicURL string) {
				ready(addr, publicURL)
				cancel()
			})
		},
	}
	err := e.run([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--transcode-workers", "0", "--transcode-ack-wait", "1s"})
	if err != nil {
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	}
	if !regexp.MustCompile(`(?m)^backbeat: listening on 127\.0\.0\.1:\d+$`).MatchString(stdout.String()) || !strings.Contains(stdout.String(), "Demo users:") {
		t.Fatalf("stdout %q; want the listening line and the demo's instructions", stdout.String())
	}
}
