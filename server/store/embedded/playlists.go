package embedded

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

type playlistStore struct{ *Store }

// Collaborators come from their own table, in the order they were added, so
// a deleted user leaves every playlist by cascade with nothing to rewrite.
const playlistCols = `id, owner_id, name, description, public, collaborative, track_count, follower_count,
	create_time, update_time,
	(SELECT json_group_array(user_id) FROM
		(SELECT user_id FROM playlist_collaborators c WHERE c.playlist_id = p.id ORDER BY c.rowid))`

const listEntriesSQL = `SELECT id, track_id, added_by, add_time, pos FROM playlist_entries
	WHERE playlist_id = ?1 AND (NOT ?2 OR pos > ?3) ORDER BY pos LIMIT ?4`

func scanPlaylist(sc scanner) (*domain.Playlist, error) {
	var pl domain.Playlist
	var public, collab int
	var ct, ut int64
	var collaborators string
	if err := sc.Scan(&pl.ID, &pl.OwnerID, &pl.Name, &pl.Description, &public, &collab, &pl.TrackCount,
		&pl.FollowerCount, &ct, &ut, &collaborators); err != nil {
		return nil, err
	}
	var err error
	if pl.CollaboratorIDs, err = colList[string](collaborators); err != nil {
		return nil, err
	}
	pl.Public, pl.Collaborative = public != 0, collab != 0
	pl.CreateTime, pl.UpdateTime = colTime(ct), colTime(ut)
	return &pl, nil
}

// CreatePlaylist stores pl with its collaborators; the counts start at zero
// whatever pl holds, as they are the store's.
func (s playlistStore) CreatePlaylist(ctx context.Context, pl *domain.Playlist) (err error) {
	defer wrap(&err, "embedded: create playlist %s", pl.ID)
	return s.write(ctx, func(tx querier) error {
		if err := requireAll(ctx, tx, "users", "user", append([]string{pl.OwnerID}, pl.CollaboratorIDs...)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO playlists (id, owner_id, name, description, public, collaborative,
			create_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			pl.ID, pl.OwnerID, pl.Name, pl.Description, boolCol(pl.Public), boolCol(pl.Collaborative),
			timeCol(pl.CreateTime), timeCol(pl.UpdateTime))
		if uniqueViolation(err, "playlists.id") {
			return domain.AlreadyExists("id", "playlist %q already exists", pl.ID)
		}
		if err != nil {
			return err
		}
		for _, u := range pl.CollaboratorIDs {
			if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO playlist_collaborators (playlist_id, user_id) VALUES (?, ?)",
				pl.ID, u); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s playlistStore) GetPlaylist(ctx context.Context, id string) (pl *domain.Playlist, err error) {
	defer wrap(&err, "embedded: get playlist %s", id)
	return getOne(ctx, s.rq(ctx), "SELECT "+playlistCols+" FROM playlists p WHERE id = ?", scanPlaylist, "playlist", id)
}

func (s playlistStore) UpdatePlaylist(ctx context.Context, pl *domain.Playlist) (err error) {
	defer wrap(&err, "embedded: update playlist %s", pl.ID)
	res, err := s.wq(ctx).ExecContext(ctx, `UPDATE playlists SET name = ?, description = ?, public = ?, collaborative = ?,
		update_time = ? WHERE id = ?`,
		pl.Name, pl.Description, boolCol(pl.Public), boolCol(pl.Collaborative), timeCol(pl.UpdateTime), pl.ID)
	if err != nil {
		return err
	}
	return requireRow(res, "playlist", pl.ID)
}

func (s playlistStore) DeletePlaylist(ctx context.Context, id string) (err error) {
	defer wrap(&err, "embedded: delete playlist %s", id)
	// Entries, follows and collaborators go by cascade.
	res, err := s.wq(ctx).ExecContext(ctx, "DELETE FROM playlists WHERE id = ?", id)
	if err != nil {
		return err
	}
	return requireRow(res, "playlist", id)
}

// ListPlaylistsByOwner orders by id, newest first: ids begin with their
// creation time.
func (s playlistStore) ListPlaylistsByOwner(ctx context.Context, ownerID string, publicOnly bool, p domain.Page) (pls []*domain.Playlist, next string, err error) {
	defer wrap(&err, "embedded: list playlists of %s", ownerID)
	cur, after, err := readCursor(p, listPlaylists)
	if err != nil {
		return nil, "", err
	}
	rows, err := scanAll(rowsOf(s.rq(ctx).QueryContext(ctx, "SELECT "+playlistCols+` FROM playlists p
		WHERE owner_id = ?1 AND (NOT ?2 OR public) AND (NOT ?3 OR id < ?4) ORDER BY id DESC LIMIT ?5`,
		ownerID, publicOnly, after, cur.ID, p.Size+1)), scanPlaylist)
	if err != nil {
		return nil, "", err
	}
	pls, next = page(rows, p.Size, func(pl *domain.Playlist) cursor { return cursor{List: listPlaylists, ID: pl.ID} })
	return pls, next, nil
}

type entryRow struct {
	e   *domain.PlaylistEntry
	pos int64
}

func (s playlistStore) ListEntries(ctx context.Context, playlistID string, p domain.Page) (entries []*domain.PlaylistEntry, next string, err error) {
	defer wrap(&err, "embedded: list entries of playlist %s", playlistID)
	cur, after, err := readCursor(p, listEntries)
	if err != nil {
		return nil, "", err
	}
	rows, err := scanAll(rowsOf(s.rq(ctx).QueryContext(ctx, listEntriesSQL, playlistID, after, cur.Int, p.Size+1)),
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
	rows, next = page(rows, p.Size, func(r entryRow) cursor { return cursor{List: listEntries, Int: r.pos} })
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
	defer wrap(&err, "embedded: add %d entries to playlist %s", len(entries), playlistID)
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
	defer wrap(&err, "embedded: remove %d entries from playlist %s", len(entryIDs), playlistID)
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
	defer wrap(&err, "embedded: move %d entries in playlist %s", len(entryIDs), playlistID)
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

// FollowPlaylist fails NotFound for a missing user or playlist; the follower
// count is kept by a trigger.
func (s playlistStore) FollowPlaylist(ctx context.Context, userID, playlistID string) (err error) {
	defer wrap(&err, "embedded: user %s follow playlist %s", userID, playlistID)
	return s.write(ctx, func(tx querier) error {
		_, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO playlist_follows (user_id, playlist_id) VALUES (?, ?)", userID, playlistID)
		if foreignKeyViolation(err) {
			if err := requireAll(ctx, tx, "users", "user", []string{userID}); err != nil {
				return err
			}
			return domain.NotFound("playlist", playlistID)
		}
		return err
	})
}

func (s playlistStore) UnfollowPlaylist(ctx context.Context, userID, playlistID string) (err error) {
	defer wrap(&err, "embedded: user %s unfollow playlist %s", userID, playlistID)
	_, err = s.wq(ctx).ExecContext(ctx, "DELETE FROM playlist_follows WHERE user_id = ? AND playlist_id = ?", userID, playlistID)
	return err
}

func (s playlistStore) IsFollowingPlaylist(ctx context.Context, userID, playlistID string) (following bool, err error) {
	defer wrap(&err, "embedded: does user %s follow playlist %s", userID, playlistID)
	err = s.rq(ctx).QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM playlist_follows WHERE user_id = ? AND playlist_id = ?)",
		userID, playlistID).Scan(&following)
	return following, err
}

func (s playlistStore) AddCollaborator(ctx context.Context, playlistID, userID string) (err error) {
	defer wrap(&err, "embedded: add collaborator %s to playlist %s", userID, playlistID)
	return s.write(ctx, func(tx querier) error {
		_, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO playlist_collaborators (playlist_id, user_id) VALUES (?, ?)",
			playlistID, userID)
		if foreignKeyViolation(err) {
			if err := requireAll(ctx, tx, "playlists", "playlist", []string{playlistID}); err != nil {
				return err
			}
			return domain.NotFound("user", userID)
		}
		return err
	})
}

func (s playlistStore) RemoveCollaborator(ctx context.Context, playlistID, userID string) (err error) {
	defer wrap(&err, "embedded: remove collaborator %s from playlist %s", userID, playlistID)
	_, err = s.wq(ctx).ExecContext(ctx, "DELETE FROM playlist_collaborators WHERE playlist_id = ? AND user_id = ?", playlistID, userID)
	return err
}
