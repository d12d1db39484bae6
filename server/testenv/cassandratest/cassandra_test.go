package cassandratest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// The two-DC test runs first so that, in a run of this package alone, it
// gets 127.0.0.1 and 127.0.0.2 (the shared node, which outlives its test,
// would otherwise hold 127.0.0.1).
func TestTwoDCReplicationAndHints(t *testing.T) {
	SkipUnlessEnabled(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	began := time.Now()
	c, err := Start(ctx, Options{
		Nodes: []NodeSpec{{DC: "dc1"}, {DC: "dc2"}},
		Logf:  t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	}()
	hosts := c.Hosts()
	for i, h := range hosts {
		t.Logf("node %d %s (%s) started in %s", i, h, c.DC(i), c.StartupTime(i).Round(time.Millisecond))
	}
	t.Logf("two-node cluster ready in %s", time.Since(began).Round(time.Millisecond))

	admin := dcSession(t, c.HostsIn("dc1"), "dc1", gocql.LocalQuorum)
	for _, stmt := range []string{
		`CREATE KEYSPACE multidc WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1, 'dc2': 1}`,
		`CREATE TABLE multidc.kv (k text PRIMARY KEY, v text)`,
	} {
		if err := admin.Query(stmt).WithContext(ctx).Exec(); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	admin.Close()

	dc1 := dcSession(t, c.HostsIn("dc1"), "dc1", gocql.LocalQuorum)
	defer dc1.Close()
	dc2 := dcSession(t, c.HostsIn("dc2"), "dc2", gocql.LocalQuorum)

	if err := put(ctx, dc1, "before", "v1"); err != nil {
		t.Fatalf("write via dc1: %v", err)
	}
	// LOCAL_QUORUM in dc1 acknowledges before dc2's replica has applied
	// the mutation, so dc2 gets a short while to see it.
	waitValue(ctx, t, dc2, "before", "v1", gocql.LocalQuorum, 10*time.Second)
	dc2.Close()

	if err := c.StopNode(ctx, 1); err != nil {
		t.Fatalf("stopping dc2: %v", err)
	}
	if err := put(ctx, dc1, "during", "v2"); err != nil {
		t.Fatalf("write via dc1 with dc2 down: %v", err)
	}
	if v, err := get(ctx, dc1, "during", gocql.LocalQuorum); err != nil || v != "v2" {
		t.Fatalf("read via dc1 with dc2 down: %q, %v", v, err)
	}

	restart := time.Now()
	if err := c.StartNode(ctx, 1); err != nil {
		t.Fatalf("restarting dc2: %v", err)
	}
	t.Logf("dc2 node restarted in %s", c.StartupTime(1).Round(time.Millisecond))

	// A fresh session rather than the old one: its view of the restarted
	// node would only recover on gocql's reconnect schedule. The DC filter
	// keeps a dc1 coordinator from answering, where LOCAL_ONE would mean
	// dc1's replica and prove nothing about dc2.
	dc2 = dcSession(t, c.HostsIn("dc2"), "dc2", gocql.LocalOne)
	defer dc2.Close()
	if v, err := get(ctx, dc2, "before", gocql.LocalOne); err != nil || v != "v1" {
		t.Fatalf("dc2 lost data written before it stopped: %q, %v", v, err)
	}
	// Only hinted handoff from the dc1 node can bring this row over.
	waitValue(ctx, t, dc2, "during", "v2", gocql.LocalOne, 90*time.Second)
	t.Logf("write made while dc2 was down readable in dc2 %s after its restart began", time.Since(restart).Round(time.Millisecond))

	// nodetool goes through the per-node JMX port; both nodes should be
	// Up/Normal again from dc1's point of view.
	out, err := c.Nodetool(ctx, 0, "status")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		if !strings.Contains(out, "UN  "+h) {
			t.Fatalf("nodetool status does not show %s as UN:\n%s", h, out)
		}
	}
}

func TestSharedSingleNode(t *testing.T) {
	began := time.Now()
	hosts := Shared(t)
	t.Logf("shared node %v ready in %s", hosts, time.Since(began).Round(time.Millisecond))

	cc := gocql.NewCluster(hosts...)
	cc.ProtoVersion = 4
	s, err := cc.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var release string
	if err := s.Query(`SELECT release_version FROM system.local`).Scan(&release); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(release, "5.0.") {
		t.Fatalf("release_version %q, want 5.0.x", release)
	}
	t.Logf("release_version %s", release)

	// A second call must return the same node without starting another.
	again := time.Now()
	if h := Shared(t); strings.Join(h, ",") != strings.Join(hosts, ",") {
		t.Fatalf("second Shared call returned %v, want %v", h, hosts)
	}
	if d := time.Since(again); d > time.Second {
		t.Fatalf("second Shared call took %s", d)
	}
}

// dcSession connects a DC-aware, token-aware session that only ever uses
// coordinators in dc, so LOCAL_* consistency levels refer to dc. It is given
// only dc's hosts as contact points; the filter would reject the others, and
// gocql logs each rejected contact point.
func dcSession(t *testing.T, hosts []string, dc string, cl gocql.Consistency) *gocql.Session {
	t.Helper()
	cc := gocql.NewCluster(hosts...)
	cc.Port = NativePort
	cc.ProtoVersion = 4
	cc.Consistency = cl
	cc.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.DCAwareRoundRobinPolicy(dc))
	cc.HostFilter = gocql.DataCentreHostFilter(dc)
	cc.Timeout = 10 * time.Second
	cc.ConnectTimeout = 10 * time.Second
	s, err := cc.CreateSession()
	if err != nil {
		t.Fatalf("session for %s: %v", dc, err)
	}
	return s
}

func put(ctx context.Context, s *gocql.Session, k, v string) error {
	return s.Query(`INSERT INTO multidc.kv (k, v) VALUES (?, ?)`, k, v).WithContext(ctx).Exec()
}

func get(ctx context.Context, s *gocql.Session, k string, cl gocql.Consistency) (string, error) {
	var v string
	err := s.Query(`SELECT v FROM multidc.kv WHERE k = ?`, k).Consistency(cl).WithContext(ctx).Scan(&v)
	return v, err
}

// waitValue polls until k reads as want, failing t after timeout.
func waitValue(ctx context.Context, t *testing.T, s *gocql.Session, k, want string, cl gocql.Consistency, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v, err := get(ctx, s, k, cl)
		if err == nil && v == want {
			return
		}
		if err != nil && !errors.Is(err, gocql.ErrNotFound) {
			t.Logf("reading %q: %v (retrying)", k, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q never read as %q within %s (last: %q, %v)", k, want, timeout, v, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
