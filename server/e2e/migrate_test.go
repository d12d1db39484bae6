package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/server/testenv/cassandratest"
)

// TestMigrateThreeProcessesAtOnce is three replicas of a deployment running
// `backbeat migrate` against the same new keyspace at the same moment: all
// three exit 0, every migration file is applied by exactly one of them (the
// others wait for the lease and find nothing to do), and the keyspace then
// serves. Runs in the Cassandra pass of the suite only.
func TestMigrateThreeProcessesAtOnce(t *testing.T) {
	requireE2E(t)
	if os.Getenv("BACKBEAT_E2E_STORE") != "cassandra" {
		t.Skip("runs with BACKBEAT_E2E_STORE=cassandra")
	}
	hosts := cassandratest.Shared(t)
	keyspace := fmt.Sprintf("e2e_migrate3_%d", time.Now().UnixNano()%1e9)
	conn := []string{"--cassandra-hosts", strings.Join(hosts, ","), "--cassandra-dc", cassandratest.SharedDC,
		"--cassandra-keyspace", keyspace, "--cassandra-timeout", "30s"}
	t.Cleanup(func() { dropKeyspace(t, hosts, keyspace) })
	const n = 3
	var (
		wg   sync.WaitGroup
		outs [n]bytes.Buffer
		errs [n]error
	)
	start := make(chan struct{})
	began := time.Now()
	for i := range n {
		cmd := exec.Command(binary, append([]string{"migrate"}, conn...)...)
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		wg.Go(func() {
			<-start
			errs[i] = cmd.Run()
		})
	}
	close(start)
	wg.Wait()
	t.Logf("three migrate processes done in %s", time.Since(began).Round(time.Millisecond))
	applying := regexp.MustCompile(`applying migration.*file=(\S+)`)
	count := map[string]int{}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("process %d: %v\n%s", i, errs[i], outs[i].String())
		}
		for _, m := range applying.FindAllStringSubmatch(outs[i].String(), -1) {
			count[m[1]]++
		}
	}
	entries, err := os.ReadDir("../../cassandra/cql")
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".cql") {
			files++
			if count[e.Name()] != 1 {
				t.Errorf("%s applied by %d processes; want exactly 1", e.Name(), count[e.Name()])
			}
		}
	}
	if files == 0 || len(count) != files {
		t.Errorf("applied %v; want the %d migration files, each once", count, files)
	}
	// A fourth run, after them, finds nothing to do.
	out, err := exec.Command(binary, append([]string{"migrate"}, conn...)...).CombinedOutput()
	if err != nil || applying.Match(out) {
		t.Fatalf("migrating again: %v; want nothing applied\n%s", err, out)
	}
}

// dropKeyspace removes a test's keyspace: the shared node's heap holds
// every keyspace's tables.
func dropKeyspace(t *testing.T, hosts []string, keyspace string) {
	cc := gocql.NewCluster(hosts...)
	cc.Timeout = 30 * time.Second
	s, err := cc.CreateSession()
	if err != nil {
		t.Logf("drop keyspace %s: %v", keyspace, err)
		return
	}
	defer s.Close()
	if err := s.Query(`DROP KEYSPACE IF EXISTS ` + keyspace).Exec(); err != nil {
		t.Logf("drop keyspace %s: %v", keyspace, err)
	}
}
