package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"time"

	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/domain"
)

const searchUsage = `usage: backbeat search <subcommand> [flags]

The search engine (OpenSearch, --search-url) of a Cassandra deployment.

subcommands:
  reindex  rebuild the index from Cassandra, printing progress, and delete
           the documents Cassandra no longer has; safe while servers run
           (each document keeps the newest of the writes)
  status   print how far the serving indexer is behind the change feed

Both take serve's --store cassandra, --cassandra-* and --search-url flags;
reindex also --index NAME to build another index than the deployment's.
`

func (e environ) searchCmd(args []string) error {
	if len(args) == 0 || !slices.Contains([]string{"reindex", "status"}, args[0]) {
		if len(args) > 0 && slices.Contains([]string{"-h", "--help", "help"}, args[0]) {
			fmt.Fprint(e.stdout, searchUsage)
			return nil
		}
		fmt.Fprint(e.stderr, searchUsage)
		if len(args) == 0 {
			return errors.New("search: no subcommand")
		}
		return fmt.Errorf("search: unknown subcommand %q", args[0])
	}
	sub := args[0]
	fs := flag.NewFlagSet("search "+sub, flag.ContinueOnError)
	cfg := app.Defaults()
	cfg.BindStoreFlags(fs)
	app.BindSearchFlags(fs, &cfg.SearchURL)
	var index string
	if sub == "reindex" {
		fs.StringVar(&index, "index", "", "index to build (default backbeat-<keyspace>, the one serve uses)")
	}
	if err := e.parse(fs, args[1:]); err != nil {
		return err
	}
	cfg.Logger = cfg.NewLogger(e.stderr)
	if sub == "status" {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		lag, err := app.SearchLag(ctx, cfg)
		if err != nil {
			return fmt.Errorf("search status: %w", err)
		}
		fmt.Fprintf(e.stdout, "backbeat: search index lag %s (every change older than that is indexed)\n", lag.Round(time.Millisecond))
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Hour)
	defer cancel()
	began := time.Now()
	last := time.Time{}
	n, removed, err := app.ReindexSearch(ctx, cfg, index, func(kind domain.ItemType, done int) {
		// A line a second at most, so a large catalog does not flood.
		if time.Since(last) >= time.Second {
			last = time.Now()
			fmt.Fprintf(e.stdout, "backbeat: reindex: %d %ss so far (%s)\n", done, kind, time.Since(began).Round(time.Millisecond))
		}
	})
	if err != nil {
		return fmt.Errorf("search reindex: %w", err)
	}
	fmt.Fprintf(e.stdout, "backbeat: reindex done: %d documents in %s; %d stale documents removed\n", n, time.Since(began).Round(time.Millisecond), removed)
	return nil
}
