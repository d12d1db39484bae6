package cassandra

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

// A playlist's entries (012_playlist_entry_versions.cql) are one partition
// of playlist_entries: rows in playlist order, (pos, entry_id), and the same
// entries by id, (byIDPrefix + id, id) with the position in at_pos, under a
// static version and entry_count. Every edit reads the version and the rows
// it needs, then writes one logged batch on the partition conditioned on
// the version: the entries, their by-id rows and the count change together
// or not at all, so concurrent adds, moves and removes take turns (a loser
// reads again and redoes its edit on what the winner left) and none
// duplicates, resurrects or loses an entry. The partition holds at most
// 2 × MaxPlaylistEntries (10,000) rows of ~150 bytes: ~3 MB.

// useShards spreads the playlists a track is in over partitions by
// playlist: a hit is in millions of playlists.
const useShards = 16

// byIDPrefix starts the position of every by-id row: it sorts after every
// position key (keyDigits), so listings read below it.
const byIDPrefix = "~"

// editTries bounds how often an edit is redone after losing the version to
// concurrent edits.
const editTries = 100

func (p playlistStore) ListEntries(ctx context.Context, playlistID string, pg domain.Page) (_ []*domain.PlaylistEntry, _ string, err error) {
	defer wrap(&err, "cassandra.ListEntries(%q)", playlistID)
	cur, resume, err := pagetoken.Read(pg, ofEntries)
	if err != nil {
		return nil, "", err
	}
	if _, err := p.playlistRow(ctx, playlistID); err != nil {
		return nil, "", err
	}
	var rows []entryRow
	if !resume {
		err = p.read(ctx, `SELECT entry_id, pos, track_id, added_by, add_time FROM playlist_entries WHERE playlist_id = ? AND pos < ? LIMIT ?`,
			playlistID, byIDPrefix, pg.Size+1).Select(&rows)
	} else {
		err = p.read(ctx, `SELECT entry_id, pos, track_id, added_by, add_time FROM playlist_entries WHERE playlist_id = ? AND (pos, entry_id) > (?, ?) AND (pos) < (?) LIMIT ?`,
			playlistID, cur.Key, cur.ID, byIDPrefix, pg.Size+1).Select(&rows)
	}
	if err != nil {
		return nil, "", err
	}
	rows, next := pagetoken.Page(rows, pg.Size, func(last entryRow) pagetoken.Cursor {
		return pagetoken.Cursor{List: ofEntries, Key: last.Pos, ID: last.EntryID}
	})
	out := make([]*domain.PlaylistEntry, len(rows))
	for i, r := range rows {
		out[i] = &domain.PlaylistEntry{ID: r.EntryID, TrackID: r.TrackID, AddedBy: r.AddedBy, AddTime: r.AddTime}
	}
	return out, next, nil
}

// entryState is a playlist's entry partition as an edit starts from it.
type entryState struct {
	version *int64 // nil: never edited since 012 (or no entries yet)
	count   int
	editID  string
	// legacy holds the by-id rows of a playlist last edited before 012,
	// from playlist_entries_by_id; its next edit copies them in.
	legacy []entryRow
}

// entryState reads the partition's static columns (at SERIAL when settling
// an edit whose outcome a timeout hid: that finishes any round in flight).
func (p playlistStore) entryState(ctx context.Context, playlistID string, serial bool) (entryState, error) {
	var (
		st    entryState
		count *int
		edit  *string
		at    *time.Time
	)
	err := p.sess.Scan(ctx, Statement{CQL: `SELECT version, entry_count, edit_id, edit_time FROM playlist_entries WHERE playlist_id = ? LIMIT 1`,
		Args: []any{playlistID}, Idempotent: true, Serial: serial}, &st.version, &count, &edit, &at)
	if err != nil && !errors.Is(err, gocql.ErrNotFound) {
		return st, err
	}
	if count != nil {
		st.count = *count
	}
	if edit != nil {
		st.editID = *edit
	}
	if st.version != nil {
		return st, nil
	}
	err = p.read(ctx, `SELECT entry_id, pos, track_id, added_by, add_time FROM playlist_entries_by_id WHERE playlist_id = ?`,
		playlistID).Select(&st.legacy)
	st.count = len(st.legacy)
	return st, err
}

// entryCount is the playlist's entry count and last entry edit, for
// GetPlaylist; ok is false for a playlist last edited before 012, whose
// playlists row still has them.
func (p playlistStore) entryCount(ctx context.Context, playlistID string) (n int, edited time.Time, ok bool, err error) {
	var (
		version *int64
		count   *int
		at      *time.Time
	)
	err = p.read(ctx, `SELECT version, entry_count, edit_time FROM playlist_entries WHERE playlist_id = ? LIMIT 1`, playlistID).
		Scan(&version, &count, &at)
	if errors.Is(err, gocql.ErrNotFound) || err == nil && version == nil {
		return 0, time.Time{}, false, nil
	}
	if err != nil {
		return 0, time.Time{}, false, err
	}
	if count != nil {
		n = *count
	}
	if at != nil {
		edited = *at
	}
	return n, edited, true, nil
}

// byID returns the rows of ids found in the playlist.
func (p playlistStore) byID(ctx context.Context, playlistID string, st entryState, ids []string) (map[string]entryRow, error) {
	out := map[string]entryRow{}
	if st.version == nil {
		for _, r := range st.legacy {
			if slices.Contains(ids, r.EntryID) {
				out[r.EntryID] = r
			}
		}
		return out, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = byIDPrefix + id
	}
	var rows []struct {
		entryRow
		AtPos string `db:"at_pos"`
	}
	if err := p.read(ctx, `SELECT entry_id, at_pos, track_id, added_by, add_time FROM playlist_entries WHERE playlist_id = ? AND pos IN ?`,
		playlistID, keys).Select(&rows); err != nil {
		return nil, err
	}
	for _, r := range rows {
		r.Pos = r.AtPos
		out[r.EntryID] = r.entryRow
	}
	return out, nil
}

// allEntries is every entry of the playlist, by id.
func (p playlistStore) allEntries(ctx context.Context, playlistID string) ([]entryRow, error) {
	st, err := p.entryState(ctx, playlistID, false)
	if err != nil || st.version == nil {
		return st.legacy, err
	}
	var rows []entryRow
	err = p.read(ctx, `SELECT entry_id, track_id FROM playlist_entries WHERE playlist_id = ? AND pos > ?`, playlistID, byIDPrefix).Select(&rows)
	return rows, err
}

// entryEdit is one planned edit: the batch's statements (not the version's)
// and the count after it; done says there is nothing to write.
type entryEdit struct {
	stmts   []Statement
	count   int
	touched []string // entries whose by-id rows the edit writes
	done    bool
}

func (e *entryEdit) add(cql string, args ...any) {
	e.stmts = append(e.stmts, Statement{CQL: cql, Args: args})
}

// putEntry writes entry r at pos, with its by-id row.
func (e *entryEdit) putEntry(playlistID, pos string, r entryRow) {
	e.add(`INSERT INTO playlist_entries (playlist_id, pos, entry_id, track_id, added_by, add_time) VALUES (?, ?, ?, ?, ?, ?)`,
		playlistID, pos, r.EntryID, r.TrackID, r.AddedBy, msTime(r.AddTime))
	e.add(`INSERT INTO playlist_entries (playlist_id, pos, entry_id, at_pos, track_id, added_by, add_time) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		playlistID, byIDPrefix+r.EntryID, r.EntryID, pos, r.TrackID, r.AddedBy, msTime(r.AddTime))
	e.touched = append(e.touched, r.EntryID)
}

// edit runs plan against the playlist's current entries and commits it as
// one conditional batch, again while other edits win the version. resumed
// tells plan that an earlier attempt's outcome was lost, so what it finds
// may be its own work. A batch whose outcome a timeout hid is settled by
// reading the version at SERIAL: applied if its edit id is there, else
// planned again from what is there now.
func (p playlistStore) edit(ctx context.Context, playlistID string, plan func(st entryState, resumed bool) (entryEdit, error)) error {
	resumed := false
	for attempt := 0; ; attempt++ {
		st, err := p.entryState(ctx, playlistID, resumed)
		if err != nil {
			return err
		}
		e, err := plan(st, resumed)
		if err != nil || e.done {
			return err
		}
		token := domain.NewID()
		var stmts []Statement
		if st.version == nil {
			// The first edit since 012 carries the old by-id rows in,
			// but for the entries it writes itself.
			for _, r := range st.legacy {
				if !slices.Contains(e.touched, r.EntryID) {
					stmts = append(stmts, Statement{CQL: `INSERT INTO playlist_entries (playlist_id, pos, entry_id, at_pos, track_id, added_by, add_time) VALUES (?, ?, ?, ?, ?, ?, ?)`,
						Args: []any{playlistID, byIDPrefix + r.EntryID, r.EntryID, r.Pos, r.TrackID, r.AddedBy, r.AddTime}})
				}
			}
			stmts = append(stmts, Statement{CQL: `UPDATE playlist_entries SET version = ?, entry_count = ?, edit_id = ?, edit_time = ? WHERE playlist_id = ? IF version = null`,
				Args: []any{int64(1), e.count, token, now(), playlistID}})
		} else {
			stmts = append(stmts, Statement{CQL: `UPDATE playlist_entries SET version = ?, entry_count = ?, edit_id = ?, edit_time = ? WHERE playlist_id = ? IF version = ?`,
				Args: []any{*st.version + 1, e.count, token, now(), playlistID, *st.version}})
		}
		applied, err := p.sess.BatchCAS(ctx, append(stmts, e.stmts...))
		if err != nil && ambiguous(err) {
			after, rerr := p.entryState(ctx, playlistID, true)
			if rerr != nil {
				return errors.Join(err, rerr)
			}
			if after.editID == token {
				return nil
			}
			resumed = true
		} else if err != nil {
			return err
		}
		if applied {
			return nil
		}
		if attempt == editTries {
			return domain.Unavailable("playlist %s is too contended", playlistID)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(jitter(attempt)):
		}
	}
}

// AddEntries writes the track-use rows first, then the entries in one
// conditional batch. The use rows are taken back when the entries are known
// not to be written; after a timeout that hid the batch's outcome they stay
// (an extra one only costs dropTrack a lookup, a missing one would leave a
// deleted track in a playlist).
func (p playlistStore) AddEntries(ctx context.Context, playlistID string, entries []*domain.PlaylistEntry, position int) (err error) {
	defer wrap(&err, "cassandra.AddEntries(%q)", playlistID)
	ids := make([]string, len(entries))
	for i, e := range entries {
		if e.ID == "" || slices.Contains(ids[:i], e.ID) {
			return domain.Invalid("entries", "entry %d has no id or a repeated one", i)
		}
		ids[i] = e.ID
	}
	if _, err := p.playlistRow(ctx, playlistID); err != nil || len(entries) == 0 {
		return err
	}
	if err := p.requireTracks(ctx, entries); err != nil {
		return err
	}
	if err := p.writeEach(ctx, trackUses(playlistID, entries, `INSERT INTO playlists_by_track (track_id, shard, playlist_id, entry_id) VALUES (?, ?, ?, ?)`)); err != nil {
		return err
	}
	err = p.edit(ctx, playlistID, func(st entryState, resumed bool) (entryEdit, error) {
		have, err := p.byID(ctx, playlistID, st, ids)
		if err != nil {
			return entryEdit{}, err
		}
		if resumed && len(have) == len(ids) {
			return entryEdit{done: true}, nil // the lost attempt applied
		}
		if len(have) > 0 {
			return entryEdit{}, domain.AlreadyExists("entry_id", "entry %q already exists", firstFound(ids, have))
		}
		count := st.count + len(entries)
		if count > domain.MaxPlaylistEntries {
			return entryEdit{}, domain.FailedPrecondition("playlist %s would have %d entries, more than %d", playlistID, count, domain.MaxPlaylistEntries)
		}
		prev, next, err := p.neighbours(ctx, playlistID, position)
		if err != nil {
			return entryEdit{}, err
		}
		prefix, err := batchKey(prev, next)
		if err != nil {
			return entryEdit{}, err
		}
		e := entryEdit{count: count}
		for i, en := range entries {
			e.putEntry(playlistID, entryKey(prefix, i), entryRow{EntryID: en.ID, TrackID: en.TrackID, AddedBy: en.AddedBy, AddTime: en.AddTime})
		}
		return e, nil
	})
	if err != nil && !ambiguous(err) {
		undo := trackUses(playlistID, entries, `DELETE FROM playlists_by_track WHERE track_id = ? AND shard = ? AND playlist_id = ? AND entry_id = ?`)
		if uerr := p.writeEach(context.WithoutCancel(ctx), undo); uerr != nil {
			p.log.Warn("cassandra: track-use rows left behind", "playlist", playlistID, "err", uerr)
		}
	}
	return err
}

func firstFound(ids []string, have map[string]entryRow) string {
	for _, id := range ids {
		if _, ok := have[id]; ok {
			return id
		}
	}
	return ""
}

// requireTracks fails NotFound for the first entry whose track does not
// exist, before anything is written: an entry of no track would be listed
// but never play, and no track deletion would ever clean it up.
func (p playlistStore) requireTracks(ctx context.Context, entries []*domain.PlaylistEntry) error {
	var ids []string
	for _, e := range entries {
		if !slices.Contains(ids, e.TrackID) {
			ids = append(ids, e.TrackID)
		}
	}
	found, err := fetchAll(ctx, ids, catalogStore{p.Store}.GetTrack)
	if err != nil {
		return err
	}
	for i, t := range found {
		if t.ID != ids[i] {
			return domain.NotFound("track", ids[i])
		}
	}
	if len(found) < len(ids) {
		return domain.NotFound("track", ids[len(found)])
	}
	return nil
}

// trackUses binds stmt (track_id, shard, playlist_id, entry_id) for each
// entry.
func trackUses(playlistID string, entries []*domain.PlaylistEntry, cql string) []stmt {
	shard := shardOf(playlistID, useShards)
	out := make([]stmt, len(entries))
	for i, e := range entries {
		out[i] = stmt{cql, []any{e.TrackID, shard, playlistID, e.ID}}
	}
	return out
}

// neighbours returns the position keys around zero-based index position
// ("" for none); position < 0 means after the last entry.
func (p playlistStore) neighbours(ctx context.Context, playlistID string, position int) (prev, next string, err error) {
	var keys []string
	if position < 0 {
		err = p.read(ctx, `SELECT pos FROM playlist_entries WHERE playlist_id = ? AND pos < ? ORDER BY pos DESC, entry_id DESC LIMIT 1`,
			playlistID, byIDPrefix).Select(&keys)
		if len(keys) > 0 {
			prev = keys[0]
		}
		return prev, "", err
	}
	// The partition holds at most MaxPlaylistEntries entries; reading the
	// keys up to position is the price of inserting by index.
	err = p.read(ctx, `SELECT pos FROM playlist_entries WHERE playlist_id = ? AND pos < ? LIMIT ?`, playlistID, byIDPrefix, position+1).Select(&keys)
	if err != nil {
		return "", "", err
	}
	if position < len(keys) {
		next = keys[position]
	}
	if n := min(position, len(keys)); n > 0 {
		prev = keys[n-1]
	}
	return prev, next, nil
}

func (p playlistStore) RemoveEntries(ctx context.Context, playlistID string, entryIDs []string) (err error) {
	defer wrap(&err, "cassandra.RemoveEntries(%q)", playlistID)
	if _, err := p.playlistRow(ctx, playlistID); err != nil {
		return err
	}
	if err := p.removeEntries(ctx, playlistID, entryIDs, true); err != nil {
		return err
	}
	return nil
}

// removeEntries removes the entries in one conditional batch, then their
// track-use rows; strict, a missing one fails the call (unless an earlier
// attempt of this call may have removed it), otherwise missing ones are
// skipped.
func (p playlistStore) removeEntries(ctx context.Context, playlistID string, entryIDs []string, strict bool) error {
	ids := slices.Compact(slices.Sorted(slices.Values(entryIDs)))
	var removed []entryRow
	err := p.edit(ctx, playlistID, func(st entryState, resumed bool) (entryEdit, error) {
		have, err := p.byID(ctx, playlistID, st, ids)
		if err != nil {
			return entryEdit{}, err
		}
		if strict && !resumed && len(have) < len(ids) {
			return entryEdit{}, domain.NotFound("playlist entry", firstMissing(ids, have))
		}
		removed = removed[:0]
		e := entryEdit{count: st.count - len(have), done: len(have) == 0}
		for _, id := range ids {
			r, ok := have[id]
			if !ok {
				continue
			}
			removed = append(removed, r)
			e.add(`DELETE FROM playlist_entries WHERE playlist_id = ? AND pos = ? AND entry_id = ?`, playlistID, r.Pos, id)
			e.add(`DELETE FROM playlist_entries WHERE playlist_id = ? AND pos = ? AND entry_id = ?`, playlistID, byIDPrefix+id, id)
			e.touched = append(e.touched, id)
		}
		return e, nil
	})
	if err != nil {
		return err
	}
	uses := make([]*domain.PlaylistEntry, len(removed))
	for i, r := range removed {
		uses[i] = &domain.PlaylistEntry{ID: r.EntryID, TrackID: r.TrackID}
	}
	return p.writeEach(ctx, trackUses(playlistID, uses, `DELETE FROM playlists_by_track WHERE track_id = ? AND shard = ? AND playlist_id = ? AND entry_id = ?`))
}

func firstMissing(ids []string, have map[string]entryRow) string {
	for _, id := range ids {
		if _, ok := have[id]; !ok {
			return id
		}
	}
	return ""
}

type posRef struct {
	Pos     string `db:"pos"`
	EntryID string `db:"entry_id"`
}

// MoveEntries gives the moved entries new keys between the place's
// neighbours, in one conditional batch; no other entry is rewritten.
func (p playlistStore) MoveEntries(ctx context.Context, playlistID string, entryIDs []string, before string) (err error) {
	defer wrap(&err, "cassandra.MoveEntries(%q, %q)", playlistID, before)
	if _, err := p.playlistRow(ctx, playlistID); err != nil {
		return err
	}
	for i, id := range entryIDs {
		if slices.Contains(entryIDs[:i], id) {
			return domain.Invalid("entry_ids", "entry %q listed twice", id)
		}
	}
	if before != "" && slices.Contains(entryIDs, before) {
		return domain.Invalid("before_entry_id", "entry %q is among the entries moved", before)
	}
	if len(entryIDs) == 0 {
		return nil
	}
	want := slices.Clone(entryIDs)
	if before != "" {
		want = append(want, before)
	}
	return p.edit(ctx, playlistID, func(st entryState, _ bool) (entryEdit, error) {
		byID, err := p.byID(ctx, playlistID, st, want)
		if err != nil {
			return entryEdit{}, err
		}
		if len(byID) < len(want) {
			return entryEdit{}, domain.NotFound("playlist entry", firstMissing(want, byID))
		}
		// The entry before the place is the first one above it that is
		// not itself moving; at most len(entryIDs) rows are skipped to
		// find it.
		var above []posRef
		next := ""
		if before == "" {
			err = p.read(ctx, `SELECT pos, entry_id FROM playlist_entries WHERE playlist_id = ? AND pos < ? ORDER BY pos DESC, entry_id DESC LIMIT ?`,
				playlistID, byIDPrefix, len(entryIDs)+1).Select(&above)
		} else {
			next = byID[before].Pos
			err = p.read(ctx, `SELECT pos, entry_id FROM playlist_entries WHERE playlist_id = ? AND (pos, entry_id) < (?, ?) ORDER BY pos DESC, entry_id DESC LIMIT ?`,
				playlistID, next, before, len(entryIDs)+1).Select(&above)
		}
		if err != nil {
			return entryEdit{}, err
		}
		prev := ""
		for _, r := range above {
			if !slices.Contains(entryIDs, r.EntryID) {
				prev = r.Pos
				break
			}
		}
		prefix, err := batchKey(prev, next)
		if err != nil {
			return entryEdit{}, err
		}
		e := entryEdit{count: st.count}
		for i, id := range entryIDs {
			r := byID[id]
			e.add(`DELETE FROM playlist_entries WHERE playlist_id = ? AND pos = ? AND entry_id = ?`, playlistID, r.Pos, id)
			e.putEntry(playlistID, entryKey(prefix, i), r)
		}
		return e, nil
	})
}

// dropTrack takes a deleted track out of every playlist.
func (p playlistStore) dropTrack(ctx context.Context, trackID string) error {
	type use struct {
		PlaylistID string `db:"playlist_id"`
		EntryID    string `db:"entry_id"`
	}
	for shard := range useShards {
		var uses []use
		if err := p.read(ctx, `SELECT playlist_id, entry_id FROM playlists_by_track WHERE track_id = ? AND shard = ?`, trackID, shard).Select(&uses); err != nil {
			return err
		}
		byPlaylist := map[string][]string{}
		for _, u := range uses {
			byPlaylist[u.PlaylistID] = append(byPlaylist[u.PlaylistID], u.EntryID)
		}
		for pl, ids := range byPlaylist {
			if err := p.removeEntries(ctx, pl, ids, false); err != nil && !domain.IsKind(err, domain.KindNotFound) {
				return err
			}
		}
		if err := p.write(ctx, `DELETE FROM playlists_by_track WHERE track_id = ? AND shard = ?`, trackID, shard).Exec(); err != nil {
			return err
		}
	}
	return nil
}
