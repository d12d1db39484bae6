package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/store/cassandra"
)

func (e environ) migrateCmd(args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	cfg := app.CassandraDefaults()
	app.BindCassandraFlags(fs, &cfg)
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if err := app.ValidateCassandra(cfg); err != nil {
		return err
	}
	cfg = app.CassandraDerived(cfg)
	cfg.Logger = app.Defaults().NewLogger(e.stderr)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	migrate := e.migrate
	if migrate == nil {
		migrate = cassandra.Migrate
	}
	if err := migrate(ctx, cfg); err != nil {
		if errors.Is(err, cassandra.ErrReplicationRequired) {
			return fmt.Errorf("migrate: %s: a new keyspace on several datacenters needs its replication given explicitly: %w",
				app.FlagRef("cassandra-replication"), err)
		}
		return fmt.Errorf("migrate: %w", err)
	}
	replication := fmt.Sprint(cfg.Replication)
	if len(cfg.Replication) == 0 {
		replication = "as found, or " + cfg.LocalDC + ":1 if new"
	}
	fmt.Fprintf(e.stdout, "backbeat: keyspace %s migrated (replication %s)\n", cfg.Keyspace, replication)
	return nil
}
