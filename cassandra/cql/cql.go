// Package cql holds Backbeat's Cassandra schema as ordered migration files.
// The keyspace itself is not in here: its replication depends on where a
// deployment runs, so the store creates it from configuration before the
// migrations run inside it.
package cql

import "embed"

// Files are the migrations, applied in name order by gocqlx's migrate
// package. An applied file must never change (migrate checks its checksum):
// schema changes go in a new file.
//
//go:embed *.cql
var Files embed.FS
