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

// cassandraNode starts a single real Cassandra node for a benchmark run and
// keeps it until interrupted, so the bench script needs no Cassandra
// installed beyond what the tests already fetch.
func cassandraNode(args []string) error {
	fs := flag.NewFlagSet("cassandra", flag.ContinueOnError)
	dir := fs.String("dir", "", "node directory (default: a temporary one)")
	heap := fs.Int("heap-mb", 1024, "Java heap")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := cassandratest.Start(ctx, cassandratest.Options{Dir: *dir, HeapMB: *heap,
		Nodes: []cassandratest.NodeSpec{{Host: "127.0.0.1", DC: "dc1"}}})
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Printf("cassandra: listening on %s\n", strings.Join(c.Hosts(), ","))
	<-ctx.Done()
	return nil
}
