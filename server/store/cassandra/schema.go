package cassandra

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/scylladb/gocqlx/v2"
	"github.com/scylladb/gocqlx/v2/migrate"

	"github.com/backbeat/backbeat/cassandra/cql"
)

// Migrate creates the keyspace if it does not exist and applies the schema
// migrations not applied yet. It is safe to run again, and is what
// "backbeat migrate" runs; Open does not change the schema.
//
// The keyspace is created here rather than in a migration because its
// replication is the deployment's choice. An existing keyspace's
// replication is left alone: changing it needs a repair, an operator's job.
func Migrate(ctx context.Context, cfg Config) (err error) {
	defer wrap(&err, "cassandra.Migrate(%q)", cfg.Keyspace)
	if err := cfg.check(); err != nil {
		return err
	}
	stmt, err := createKeyspace(cfg.Keyspace, cfg.Replication)
	if err != nil {
		return err
	}
	admin, err := connect(ctx, cfg, "")
	if err != nil {
		return err
	}
	err = admin.Query(stmt).WithContext(ctx).Exec()
	if err == nil {
		err = admin.AwaitSchemaAgreement(ctx)
	}
	admin.Close()
	if err != nil {
		return fmt.Errorf("create keyspace: %w", err)
	}

	session, err := connect(ctx, cfg, cfg.Keyspace)
	if err != nil {
		return err
	}
	defer session.Close()
	if err := migrate.FromFS(ctx, gocqlx.NewSession(session), cql.Files); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// createKeyspace spells the CREATE KEYSPACE statement. Names are checked, not
// quoted: they are configuration, and a bad one should fail loudly.
func createKeyspace(keyspace string, replication map[string]int) (string, error) {
	if len(replication) == 0 {
		return "", fmt.Errorf("config: no replication factors for keyspace %s", keyspace)
	}
	parts := []string{"'class': 'NetworkTopologyStrategy'"}
	for _, dc := range slices.Sorted(maps.Keys(replication)) {
		rf := replication[dc]
		if rf < 1 || strings.ContainsAny(dc, "'\\") || dc == "" {
			return "", fmt.Errorf("config: bad replication %q: %d", dc, rf)
		}
		parts = append(parts, fmt.Sprintf("'%s': %d", dc, rf))
	}
	return fmt.Sprintf("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = {%s} AND durable_writes = true",
		keyspace, strings.Join(parts, ", ")), nil
}
