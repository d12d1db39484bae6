package embedded

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/backbeat/backbeat/server/domain"
)

type catalogStore struct{ *Store }

const (
	tracksByIDs  = "SELECT " + trackCols + " FROM tracks WHERE id IN (SELECT value FROM json_each(?))"
	albumsByIDs  = "SELECT " + albumCols + " FROM albums WHERE id IN (SELECT value FROM json_each(?))"
	artistsByIDs = "SELECT " + artistCols + " FROM artists WHERE id IN (SELECT value FROM json_each(?))"
)

const (
	artistCols = "id, name, bio, genres, image_url, owner_ids, create_time, update_time"
	albumCols  = "id, title, artist_ids, type, genres, release_date, artwork_url, track_count, create_time, update_time"
	trackCols  = "id, title, artist_ids, album_id, disc_number, track_number, genres, duration, explicit, " +
		"release_date, isrc, artwork_url, status, status_reason, media_id, loudness_lufs, true_peak_dbtp, loudness_range_lu, " +
		"play_count, create_time, update_time"
)

// qualified prefixes every column of cols with alias, for joins.
func qualified(alias, cols string) string {
	return alias + "." + strings.ReplaceAll(cols, ", ", ", "+alias+".")
}

// queried is a query's outcome, so scanAll can take a query call directly.
type queried struct {
	rows *sql.Rows
	err  error
}

func rowsOf(rows *sql.Rows, err error) queried { return queried{rows, err} }

// scanAll reads every row with scan and closes the rows.
func scanAll[T any](q queried, scan func(scanner) (T, error)) ([]T, error) {
	if q.err != nil {
		return nil, q.err
	}
	rows := q.rows
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// getOne runs a single-row query taking id, mapping no row to NotFound.
func getOne[T any](ctx context.Context, q querier, query string, scan func(scanner) (*T, error), what, id string) (*T, error) {
	v, err := scan(q.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound(what, id)
	}
	return v, err
}

// setCredits writes the credit rows (artist_id, ownerID, ord) of one album
// or track in table, ord 0 being the primary artist, replacing any there
// were. A repeated artist keeps its first place. An unknown artist is
// NotFound: the foreign key finds it, and only then is it looked for by id.
func setCredits(ctx context.Context, tx querier, table, ownerCol, ownerID string, artistIDs []string, replace bool) error {
	if replace {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE "+ownerCol+" = ?", ownerID); err != nil {
			return err
		}
	}
	for i, a := range artistIDs {
		_, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO "+table+" (artist_id, "+ownerCol+", ord) VALUES (?, ?, ?)", a, ownerID, i)
		if foreignKeyViolation(err) {
			return requireAll(ctx, tx, "artists", "artist", []string{a})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// catalogWrite runs fn in a write transaction and, once it has committed,
// applies the index changes fn collected. Holding catalogMu across both
// keeps the index updates in commit order.
func (c catalogStore) catalogWrite(ctx context.Context, fn func(tx querier, ch *indexChanges) error) error {
	if b := c.batchOf(ctx); b != nil {
		// The batch holds catalogMu and applies the changes once committed.
		var ch indexChanges
		if err := b.run(ctx, func(tx querier) error { return fn(tx, &ch) }); err != nil {
			return err
		}
		b.changes.upserts = append(b.changes.upserts, ch.upserts...)
		b.changes.removes = append(b.changes.removes, ch.removes...)
		return nil
	}
	c.catalogMu.Lock()
	defer c.catalogMu.Unlock()
	var ch indexChanges
	if err := c.write(ctx, func(tx querier) error { return fn(tx, &ch) }); err != nil {
		return err
	}
	ch.apply(c.index)
	return nil
}

func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	return scanAll(rowsOf(q.QueryContext(ctx, query, args...)), func(sc scanner) (string, error) {
		var s string
		err := sc.Scan(&s)
		return s, err
	})
}
