package embedded

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// This file holds how Go values are stored in columns and how SQLite's
// errors are recognised.

// timeCol stores a time as Unix nanoseconds; the zero time is stored as 0 so
// it reads back as the zero time (UnixNano of the zero time overflows).
func timeCol(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func colTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// listCol stores a string list as a JSON array.
func listCol[S ~string](xs []S) string {
	if len(xs) == 0 {
		return "[]"
	}
	b, err := json.Marshal(xs)
	if err != nil {
		// Marshalling strings cannot fail.
		panic(fmt.Sprintf("embedded: encode list: %v", err))
	}
	return string(b)
}

// jsonCol encodes v, made of plain values, as a JSON parameter.
func jsonCol(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("embedded: encode JSON parameter: %v", err))
	}
	return string(b)
}

// colList reads a list stored by listCol; empty lists read as nil.
func colList[S ~string](s string) ([]S, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var xs []S
	if err := json.Unmarshal([]byte(s), &xs); err != nil {
		return nil, fmt.Errorf("decode list column: %w", err)
	}
	return xs, nil
}

// nullIfEmpty stores "" as NULL, for columns where "none" must not clash
// with other "none"s under a UNIQUE constraint or a foreign key.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func boolCol(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sqliteCode returns the extended result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// uniqueViolation reports whether err is a UNIQUE or PRIMARY KEY violation
// naming column (as "table.column" in SQLite's message).
func uniqueViolation(err error, column string) bool {
	code := sqliteCode(err)
	if code != sqlite3.SQLITE_CONSTRAINT_UNIQUE && code != sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
		return false
	}
	return strings.Contains(err.Error(), column)
}

func foreignKeyViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}
