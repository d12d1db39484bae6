// Command opensearchnode starts a single real OpenSearch node (see
// opensearchtest) and keeps it until interrupted, printing
// "opensearch: listening on <url>" once the cluster is healthy. It is
// what STORE=cassandra bash server/scripts/bench.sh serves Search from,
// as a Cassandra deployment does (--search-url).
//
//	opensearchnode [-dir D]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/backbeat/backbeat/server/testenv/opensearchtest"
	"github.com/backbeat/backbeat/server/testenv/proctest"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "opensearchnode:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("opensearchnode", flag.ContinueOnError)
	dir := fs.String("dir", "", "node directory (default: a temporary one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		// Where the tests' nodes live: the unprivileged user OpenSearch
		// runs as (when started by root) can reach it. Close removes it.
		d, err := proctest.RunDir("backbeat-opensearch")
		if err != nil {
			return err
		}
		*dir = d
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := opensearchtest.Start(ctx, *dir, func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) })
	if err != nil {
		return err
	}
	defer n.Close()
	fmt.Printf("opensearch: listening on %s\n", n.URL)
	<-ctx.Done()
	return nil
}
