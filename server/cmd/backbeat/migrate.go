package main

import (
	"context"
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
		return fmt.Errorf("migrate: %w", err)
	}
	fmt.Fprintf(e.stdout, "backbeat: keyspace %s migrated (replication %v)\n", cfg.Keyspace, cfg.Replication)
	return nil
}
