package embedded

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

const listEntriesSQL = `SELECT id, track_id, added_by, add_time, pos FROM playlist_entries
	WHERE playlist_id = ?1 AND (NOT ?2 OR pos > ?3) ORDER BY pos LIMIT ?4`

type entryRow struct {
	e   *domain.PlaylistEntry
	pos int64
}

func (s playlistStore) ListEntries(ctx context.Context, playlistID string, p domain.Page) (entries []*domain.PlaylistEntry, next string, err error) {
	defer derrors.Wrap(&err, "embedded.ListEntries(%q)", playlistID)
	cur, after, err := pagetoken.Read(p, listEntries)
	if err != nil {
		return nil, "", err
	}
	rows, err := scanAll(rowsOf(s.rq(ctx).QueryContext(ctx, listEntriesSQL, playlistID, after, cur.N, p.Size+1)),
		func(sc scanner) (entryRow, error) {
			var r entryRow
			var at int64
			r.e = new(domain.PlaylistEntry)
			err := sc.Scan(&r.e.ID, &r.e.TrackID, &r.e.AddedBy, &at, &r.pos)
			r.e.AddTime = colTime(at)
			return r, err
		})
	if err != nil {
		return nil, "", err
	}
	if len(rows) == 0 {
		// Only an empty page needs telling a missing playlist from an empty
		// one; a full page proves the playlist exists.
		var one int
		err := s.rq(ctx).QueryRowContext(ctx, "SELECT 1 FROM playlists WHERE id = ?", playlistID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, "", domain.NotFound("playlist", playlistID)
		}
		return nil, "", err
	}
	rows, next = pagetoken.Page(rows, p.Size, func(r entryRow) pagetoken.Cursor { return pagetoken.Cursor{List: listEntries, N: r.pos} })
	entries = make([]*domain.PlaylistEntry, len(rows))
	for i, r := range rows {
		entries[i] = r.e
	}
	return entries, next, nil
}

// trackCount reads a playlist's entry count inside tx, failing NotFound if
// there is no such playlist.
func trackCount(ctx context.Context, tx querier, playlistID string) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, "SELECT track_count FROM playlists WHERE id = ?", playlistID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, domain.NotFound("playlist", playlistID)
	}
	return n, err
}

func touch(ctx context.Context, tx querier, playlistID string) error {
	_, err := tx.ExecContext(ctx, "UPDATE playlists SET update_time = ? WHERE id = ?", time.Now().UnixNano(), playlistID)
	return err
}

// AddEntries makes room by shifting the positions from the insertion point
// on, inside the transaction; SQLite's single writer serializes concurrent
// adds, so each lands whole and none is lost.
func (s playlistStore) AddEntries(ctx context.Context, playlistID string, entries []*domain.PlaylistEntry, position int) (err error) {
	defer derrors.Wrap(&err, "embedded.AddEntries(%q)", playlistID)
	trackIDs := make([]string, len(entries))
	for i, e := range entries {
		if e == nil || e.ID == "" {
			return domain.Invalid("entries", "entry %d has no id", i)
		}
		trackIDs[i] = e.TrackID
	}
	return s.write(ctx, func(tx querier) error {
		n, err := trackCount(ctx, tx, playlistID)
		if err != nil {
			return err
		}
		if n+len(entries) > domain.MaxPlaylistEntries {
			return domain.FailedPrecondition("playlist %s would have %d entries, more than %d",
				playlistID, n+len(entries), domain.MaxPlaylistEntries)
		}
		if len(entries) == 0 {
			return nil
		}
		if err := requireAll(ctx, tx, "tracks", "track", trackIDs); err != nil {
			return err
		}
		var at int64
		if position < 0 || position >= n {
			err = tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(pos) + 1, 0) FROM playlist_entries WHERE playlist_id = ?",
				playlistID).Scan(&at)
		} else {
			err = tx.QueryRowContext(ctx, "SELECT pos FROM playlist_entries WHERE playlist_id = ? ORDER BY pos LIMIT 1 OFFSET ?",
				playlistID, position).Scan(&at)
			if err == nil {
				_, err = tx.ExecContext(ctx, "UPDATE playlist_entries SET pos = pos + ? WHERE playlist_id = ? AND pos >= ?",
					len(entries), playlistID, at)
			}
		}
		if err != nil {
			return err
		}
		for i, e := range entries {
			_, err := tx.ExecContext(ctx, `INSERT INTO playlist_entries (id, playlist_id, track_id, added_by, add_time, pos)
				VALUES (?, ?, ?, ?, ?, ?)`, e.ID, playlistID, e.TrackID, e.AddedBy, timeCol(e.AddTime), at+int64(i))
			if uniqueViolation(err, "playlist_entries.id") {
				return domain.AlreadyExists("entry_id", "entry %q already exists", e.ID)
			}
			if err != nil {
				return err
			}
		}
		return touch(ctx, tx, playlistID)
	})
}

// RemoveEntries checks every id before deleting any, so a bad id removes
// nothing.
func (s playlistStore) RemoveEntries(ctx context.Context, playlistID string, entryIDs []string) (err error) {
	defer derrors.Wrap(&err, "embedded.RemoveEntries(%q)", playlistID)
	return s.write(ctx, func(tx querier) error {
		if _, err := trackCount(ctx, tx, playlistID); err != nil {
			return err
		}
		if len(entryIDs) == 0 {
			return nil
		}
		var missing string
		err := tx.QueryRowContext(ctx, `SELECT value FROM json_each(?1)
			WHERE NOT EXISTS (SELECT 1 FROM playlist_entries WHERE id = value AND playlist_id = ?2) LIMIT 1`,
			listCol(entryIDs), playlistID).Scan(&missing)
		if err == nil {
			return domain.NotFound("playlist entry", missing)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM playlist_entries WHERE playlist_id = ? AND id IN (SELECT value FROM json_each(?))",
			playlistID, listCol(entryIDs)); err != nil {
			return err
		}
		return touch(ctx, tx, playlistID)
	})
}

// MoveEntries computes the new order in Go (a playlist holds at most
// MaxPlaylistEntries) and writes the positions that change in one statement.
func (s playlistStore) MoveEntries(ctx context.Context, playlistID string, entryIDs []string, beforeEntryID string) (err error) {
	defer derrors.Wrap(&err, "embedded.MoveEntries(%q, %q)", playlistID, beforeEntryID)
	moving := make(map[string]bool, len(entryIDs))
	for _, id := range entryIDs {
		if moving[id] {
			return domain.Invalid("entry_ids", "entry %q listed twice", id)
		}
		moving[id] = true
	}
	if moving[beforeEntryID] {
		return domain.Invalid("before_entry_id", "entry %q is among the entries moved", beforeEntryID)
	}
	return s.write(ctx, func(tx querier) error {
		if _, err := trackCount(ctx, tx, playlistID); err != nil {
			return err
		}
		type slot struct {
			id  string
			pos int64
		}
		current, err := scanAll(rowsOf(tx.QueryContext(ctx, "SELECT id, pos FROM playlist_entries WHERE playlist_id = ? ORDER BY pos",
			playlistID)), func(sc scanner) (slot, error) {
			var e slot
			err := sc.Scan(&e.id, &e.pos)
			return e, err
		})
		if err != nil {
			return err
		}
		oldPos := make(map[string]int64, len(current))
		order := make([]string, len(current))
		for i, e := range current {
			oldPos[e.id] = e.pos
			order[i] = e.id
		}
		for _, id := range entryIDs {
			if _, ok := oldPos[id]; !ok {
				return domain.NotFound("playlist entry", id)
			}
		}
		if _, ok := oldPos[beforeEntryID]; beforeEntryID != "" && !ok {
			return domain.NotFound("playlist entry", beforeEntryID)
		}
		if len(entryIDs) == 0 {
			return nil
		}

		rest := slices.DeleteFunc(order, func(id string) bool { return moving[id] })
		at := len(rest)
		if beforeEntryID != "" {
			at = slices.Index(rest, beforeEntryID)
		}
		// Positions become 0..n-1; only the entries whose position changes
		// are written.
		var changes [][2]any // [id, pos]
		for i, id := range slices.Concat(rest[:at], entryIDs, rest[at:]) {
			if oldPos[id] != int64(i) {
				changes = append(changes, [2]any{id, i})
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE playlist_entries SET pos = j.value ->> 1
			FROM json_each(?1) j WHERE playlist_entries.id = j.value ->> 0 AND playlist_entries.playlist_id = ?2`,
			jsonCol(changes), playlistID); err != nil {
			return err
		}
		return touch(ctx, tx, playlistID)
	})
}
