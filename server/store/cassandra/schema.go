package cassandra

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/cassandra/cql"
)

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

// ErrSchemaVersion is the error Open returns for a keyspace whose schema
// this binary does not know: not migrated, or migrated by an older or a
// newer binary.
var ErrSchemaVersion = errors.New("schema version mismatch")

// keyspaceMissing tells whether the cluster lacks cfg's keyspace, for Open
// to say why it could not connect: the driver's own error does not.
func keyspaceMissing(ctx context.Context, cfg Config) (bool, error) {
	admin, err := connect(ctx, cfg, "")
	if err != nil {
		return false, err
	}
	defer admin.Close()
	var name string
	err = admin.Query(`SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?`, cfg.Keyspace).
		WithContext(ctx).Scan(&name)
	if errors.Is(err, gocql.ErrNotFound) {
		return true, nil
	}
	return false, err
}

// knownMigrations are the migration files this binary has, in order: its
// schema version is how many there are.
func knownMigrations() []string {
	names, err := fs.Glob(cql.Files, "*.cql")
	if err != nil {
		panic(err) // the pattern is constant and valid
	}
	slices.Sort(names)
	return names
}

// checkSchema refuses a keyspace whose applied migrations (gocqlx's
// bookkeeping table, one row per file) are not exactly this binary's files:
// statements written against another schema would fail at random, or
// worse, write rows another version reads differently. It reads only; the
// schema changes in Migrate alone.
func checkSchema(ctx context.Context, session *gocql.Session, keyspace string) error {
	known := knownMigrations()
	statementCounts := map[string]int{}
	for _, name := range known {
		b, err := fs.ReadFile(cql.Files, name)
		if err != nil {
			return err
		}
		statementCounts[name] = len(splitStatements(string(b)))
	}
	var applied []string
	var name string
	var done int
	// The bookkeeping table holds one row per migration file, so reading it
	// whole is one small read. A file counts once all its statements are
	// done: a run that stopped half-way must be completed first.
	iter := session.Query(`SELECT name, done FROM gocqlx_migrate`).WithContext(ctx).Iter()
	for iter.Scan(&name, &done) {
		if n, ok := statementCounts[name]; !ok || done >= n {
			applied = append(applied, name)
		}
	}
	err := iter.Close()
	var reqErr gocql.RequestError
	if errors.As(err, &reqErr) && reqErr.Code() == gocql.ErrCodeInvalid {
		// No bookkeeping table: the keyspace was never migrated.
		return fmt.Errorf("%w: keyspace %q has no Backbeat schema (this binary's is version %d): run `backbeat migrate`",
			ErrSchemaVersion, keyspace, len(known))
	}
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	slices.Sort(applied)
	switch {
	case slices.Equal(applied, known):
		return nil
	case len(applied) < len(known) && slices.Equal(applied, known[:len(applied)]):
		return fmt.Errorf("%w: keyspace %q is at schema version %d, older than this binary's %d: run `backbeat migrate`",
			ErrSchemaVersion, keyspace, len(applied), len(known))
	case len(applied) > len(known) && slices.Equal(applied[:len(known)], known):
		return fmt.Errorf("%w: keyspace %q is at schema version %d (last %s), newer than this binary's %d: "+
			"serve it with the newer backbeat whose `backbeat migrate` upgraded it",
			ErrSchemaVersion, keyspace, len(applied), applied[len(applied)-1], len(known))
	default:
		return fmt.Errorf("%w: keyspace %q has migrations %v, this binary knows %v: run `backbeat migrate` of the matching version",
			ErrSchemaVersion, keyspace, applied, known)
	}
}
