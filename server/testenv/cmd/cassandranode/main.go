// Command cassandranode starts a single real Cassandra node (see
// cassandratest) and keeps it until interrupted, printing
// "cassandra: listening on <hosts>" once it answers CQL. It is what
// STORE=cassandra bash server/scripts/bench.sh runs the load against, so
// the benchmark needs no Cassandra installed beyond what the tests fetch,
// and the load tool links no test environment.
//
//	cassandranode [-dir D] [-heap-mb 1024] [-host 127.0.0.N]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/backbeat/backbeat/server/testenv/cassandratest"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "cassandranode:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("cassandranode", flag.ContinueOnError)
	dir := fs.String("dir", "", "node directory (default: a temporary one)")
	heap := fs.Int("heap-mb", 1024, "Java heap")
	host := fs.String("host", "", "IPv4 loopback address (default: the lowest one no test process holds)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := cassandratest.Start(ctx, cassandratest.Options{Dir: *dir, HeapMB: *heap,
		Nodes: []cassandratest.NodeSpec{{Host: *host, DC: cassandratest.SharedDC}}})
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Printf("cassandra: listening on %s\n", strings.Join(c.Hosts(), ","))
	<-ctx.Done()
	return nil
}
