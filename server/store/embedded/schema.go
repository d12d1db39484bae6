package embedded

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"slices"
)

// schemaFiles are the schema's versions, one file each, applied in name
// order like the Cassandra store's (cassandra/cql): file i moves the schema
// from version i to i+1. The version lives in SQLite's user_version, so a
// database knows which have run; add new files, never edit old ones.
//
//go:embed sql/*.sql
var schemaFiles embed.FS

// migrations are schemaFiles' statements, in order.
var migrations = readMigrations(schemaFiles)

// readMigrations reads fsys's sql/*.sql files in name order. They are built
// into the binary, so failing to read one is a programming error.
func readMigrations(fsys fs.FS) []string {
	names, err := fs.Glob(fsys, "sql/*.sql")
	if err != nil {
		panic(err)
	}
	slices.Sort(names)
	out := make([]string, len(names))
	for i, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			panic(err)
		}
		out[i] = string(b)
	}
	return out
}

// migrate brings the schema to the latest version, each step in its own
// transaction with the version bump, so a crash leaves a consistent version.
func migrate(ctx context.Context, db *sql.DB) (from, to int, err error) {
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&from); err != nil {
		return 0, 0, fmt.Errorf("read schema version: %w", err)
	}
	if from > len(migrations) {
		return from, from, fmt.Errorf("database schema version %d is newer than this binary knows (%d)", from, len(migrations))
	}
	for v := from; v < len(migrations); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return from, v, fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return from, v, fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
		// PRAGMA takes no parameters; v is our own integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			tx.Rollback()
			return from, v, fmt.Errorf("set schema version %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return from, v, fmt.Errorf("migrate to version %d: %w", v+1, err)
		}
	}
	return from, len(migrations), nil
}
