// Package cql holds Backbeat's Cassandra schema as ordered migration files.
// The keyspace itself is not in here: its replication depends on where a
// deployment runs, so the store creates it from configuration before the
// migrations run inside it.
package cql

import "embed"

// Files are the migrations, applied in name order by the store's migration
// runner (server/store/cassandra, Migrate). An applied file's effect must
// never change (edits only make statements idempotent): schema changes go
// in a new file. See README.md.
//
//go:embed *.cql
var Files embed.FS
