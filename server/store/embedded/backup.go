package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/backbeat/backbeat/server/derrors"
)

// Snapshot writes a consistent copy of the database in dir to dest (a file
// that must not exist), while servers keep reading and writing it: VACUUM
// INTO reads the database in one read transaction, which WAL mode lets run
// beside the writer, so the copy holds exactly the transactions committed
// when it began. It needs no running server and no lock on the data
// directory; the copy is compact (no free pages, no WAL).
func Snapshot(ctx context.Context, dir, dest string) (err error) {
	defer derrors.Wrap(&err, "embedded.Snapshot(%q, %q)", dir, dest)
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err != nil {
		return err
	}
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("%s exists", dest)
	}
	db, err := openFile(path, "")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		os.Remove(dest)
		return err
	}
	// The copy holds emails and password hashes, like the database.
	return os.Chmod(dest, 0o600)
}

// Check verifies the database file at path: SQLite's own integrity check
// (every page, index and constraint) and that no row points at a missing
// parent. It opens the file read-only and changes nothing.
func Check(ctx context.Context, path string) (err error) {
	defer derrors.Wrap(&err, "embedded.Check(%q)", path)
	db, err := openFile(path, "&mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var problems []string
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return err
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	rows, err = db.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var table, parent string
		var rowid, fk sql.NullInt64
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return err
		}
		problems = append(problems, fmt.Sprintf("row %d of %s points at a missing %s", rowid.Int64, table, parent))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return errors.New("inconsistent: " + strings.Join(problems, "; "))
	}
	return nil
}

// openFile opens one connection to the database file at path, with extra
// URI parameters.
func openFile(path, extra string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", fileURI(path)+"?_pragma=busy_timeout(10000)"+extra)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}
