package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/backbeat/backbeat/server/httpserver"
	"github.com/backbeat/backbeat/server/store/cassandra"
)

// cassandraFlags registers the Cassandra connection flags on fs and returns
// a function that builds the store configuration once fs is parsed.
func cassandraFlags(fs *flag.FlagSet, str strFlag) func() (cassandra.Config, error) {
	hosts := str("cassandra-hosts", "127.0.0.1", "comma-separated Cassandra contact points")
	dc := str("cassandra-dc", "dc1", "the local datacenter: queries stay in it (LOCAL_QUORUM)")
	keyspace := str("cassandra-keyspace", "backbeat", "keyspace")
	repl := str("cassandra-replication", "", "replication per datacenter for 'migrate', e.g. dc1:3,dc2:3 (default <local dc>:1)")
	timeout := str("cassandra-timeout", "5s", "per-query timeout")
	return func() (cassandra.Config, error) {
		t, err := time.ParseDuration(*timeout)
		if err != nil || t <= 0 {
			return cassandra.Config{}, fmt.Errorf("--cassandra-timeout: want a positive duration, got %q", *timeout)
		}
		replication := map[string]int{}
		for _, part := range httpserver.SplitList(*repl) {
			name, n, ok := strings.Cut(part, ":")
			rf, err := strconv.Atoi(n)
			if !ok || name == "" || err != nil || rf < 1 {
				return cassandra.Config{}, fmt.Errorf("--cassandra-replication: want dc:factor pairs like dc1:3,dc2:3, got %q", part)
			}
			replication[name] = rf
		}
		if len(replication) == 0 {
			replication[*dc] = 1
		}
		return cassandra.Config{Hosts: httpserver.SplitList(*hosts), LocalDC: *dc, Keyspace: *keyspace, Replication: replication, Timeout: t}, nil
	}
}

func migrate(args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	cass := cassandraFlags(fs, envFlags(fs))
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := cass()
	if err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := cassandra.Migrate(ctx, cfg); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	fmt.Printf("backbeat: keyspace %s migrated (replication %v)\n", cfg.Keyspace, cfg.Replication)
	return nil
}
