package cassandra

import (
	"context"
	"slices"
	"time"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

// useShards spreads the playlists a track is in over partitions by
// playlist: a hit is in millions of playlists.
const useShards = 16

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
		err = p.read(ctx, `SELECT entry_id, pos, track_id, added_by, add_time FROM playlist_entries WHERE playlist_id = ? LIMIT ?`,
			playlistID, pg.Size+1).Select(&rows)
	} else {
		err = p.read(ctx, `SELECT entry_id, pos, track_id, added_by, add_time FROM playlist_entries WHERE playlist_id = ? AND (pos, entry_id) > (?, ?) LIMIT ?`,
			playlistID, cur.Key, cur.ID, pg.Size+1).Select(&rows)
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

// AddEntries first reserves room by compare-and-set on the playlist's
// track_count (which is how the limit holds under concurrent adds), then
// writes the entries in one logged batch; if that fails it gives the room
// back.
func (p playlistStore) AddEntries(ctx context.Context, playlistID string, entries []*domain.PlaylistEntry, position int) (err error) {
	defer wrap(&err, "cassandra.AddEntries(%q)", playlistID)
	ids := make([]string, len(entries))
	for i, e := range entries {
		if e.ID == "" || slices.Contains(ids[:i], e.ID) {
			return domain.Invalid("entries", "entry %d has no id or a repeated one", i)
		}
		ids[i] = e.ID
	}
	if len(entries) == 0 {
		_, err := p.playlistRow(ctx, playlistID)
		return err
	}
	if err := p.requireTracks(ctx, entries); err != nil {
		return err
	}
	var clash []string
	if err := p.read(ctx, `SELECT entry_id FROM playlist_entries_by_id WHERE playlist_id = ? AND entry_id IN ?`, playlistID, ids).Select(&clash); err != nil {
		return err
	}
	if len(clash) > 0 {
		return domain.AlreadyExists("entry_id", "entry %q already exists", clash[0])
	}
	if err := p.reserve(ctx, playlistID, len(entries)); err != nil {
		return err
	}
	err = p.writeEntries(ctx, playlistID, entries, position)
	if err != nil {
		if uerr := p.reserve(context.WithoutCancel(ctx), playlistID, -len(entries)); uerr != nil {
			p.log.Error("cassandra: playlist track count left too high", "playlist", playlistID, "by", len(entries), "err", uerr)
		}
	}
	return err
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

func (p playlistStore) writeEntries(ctx context.Context, playlistID string, entries []*domain.PlaylistEntry, position int) error {
	prev, next, err := p.neighbours(ctx, playlistID, position)
	if err != nil {
		return err
	}
	prefix, err := batchKey(prev, next)
	if err != nil {
		return err
	}
	// The track-use rows go first and are taken back on failure: an extra
	// one only costs dropTrack a lookup, a missing one would leave a deleted
	// track in a playlist.
	uses := trackUses(playlistID, entries, `INSERT INTO playlists_by_track (track_id, shard, playlist_id, entry_id) VALUES (?, ?, ?, ?)`)
	if err := p.writeEach(ctx, uses); err != nil {
		return err
	}
	// Both tables share the partition key, so this batch is one partition:
	// atomic, isolated and exempt from the batch size limits.
	b := p.logged(ctx)
	for i, e := range entries {
		pos, at := entryKey(prefix, i), msTime(e.AddTime)
		b.add(`INSERT INTO playlist_entries (playlist_id, pos, entry_id, track_id, added_by, add_time) VALUES (?, ?, ?, ?, ?, ?)`,
			playlistID, pos, e.ID, e.TrackID, e.AddedBy, at)
		b.add(`INSERT INTO playlist_entries_by_id (playlist_id, entry_id, pos, track_id, added_by, add_time) VALUES (?, ?, ?, ?, ?, ?)`,
			playlistID, e.ID, pos, e.TrackID, e.AddedBy, at)
	}
	if err := p.exec(b); err != nil {
		undo := trackUses(playlistID, entries, `DELETE FROM playlists_by_track WHERE track_id = ? AND shard = ? AND playlist_id = ? AND entry_id = ?`)
		if uerr := p.writeEach(context.WithoutCancel(ctx), undo); uerr != nil {
			p.log.Warn("cassandra: track-use rows left behind", "playlist", playlistID, "err", uerr)
		}
		return err
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
		err = p.read(ctx, `SELECT pos FROM playlist_entries WHERE playlist_id = ? ORDER BY pos DESC, entry_id DESC LIMIT 1`, playlistID).Select(&keys)
		if len(keys) > 0 {
			prev = keys[0]
		}
		return prev, "", err
	}
	// The partition holds at most MaxPlaylistEntries rows; reading the keys
	// up to position is the price of inserting by index.
	err = p.read(ctx, `SELECT pos FROM playlist_entries WHERE playlist_id = ? LIMIT ?`, playlistID, position+1).Select(&keys)
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

// reserve changes the playlist's track_count by delta with a compare-and-set,
// retried while other writers win; growing past MaxPlaylistEntries fails.
// It stamps the playlist's update time, since every entry change goes
// through it.
func (p playlistStore) reserve(ctx context.Context, playlistID string, delta int) error {
	for attempt := 0; ; attempt++ {
		r, err := p.playlistRow(ctx, playlistID)
		if err != nil {
			return err
		}
		count := r.TrackCount + delta
		if delta > 0 && count > domain.MaxPlaylistEntries {
			return domain.FailedPrecondition("playlist %s would have %d entries, more than %d", playlistID, count, domain.MaxPlaylistEntries)
		}
		stamp := now()
		if !stamp.After(r.UpdateTime) {
			stamp = r.UpdateTime.Add(time.Millisecond)
		}
		applied, err := p.once(ctx, `UPDATE playlists SET track_count = ?, update_time = ? WHERE id = ? IF track_count = ?`,
			max(count, 0), stamp, playlistID, r.TrackCount).ExecCAS()
		if err != nil {
			return err
		}
		if applied {
			return nil
		}
		if attempt == 100 {
			return domain.Unavailable("playlist %s is too contended", playlistID)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(jitter(attempt)):
		}
	}
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

// removeEntries removes the entries; strict, a missing one fails the call,
// otherwise missing ones are skipped.
func (p playlistStore) removeEntries(ctx context.Context, playlistID string, entryIDs []string, strict bool) error {
	ids := slices.Compact(slices.Sorted(slices.Values(entryIDs)))
	var rows []entryRow
	if err := p.read(ctx, `SELECT entry_id, pos, track_id, added_by, add_time FROM playlist_entries_by_id WHERE playlist_id = ? AND entry_id IN ?`,
		playlistID, ids).Select(&rows); err != nil {
		return err
	}
	if strict && len(rows) < len(ids) {
		return domain.NotFound("playlist entry", firstMissing(ids, rows))
	}
	if len(rows) == 0 {
		return nil
	}
	// Deleting the index rows conditionally, in one batch on one partition,
	// settles which of two concurrent removers removes (and uncounts) them.
	cas := p.session.NewBatch(gocql.LoggedBatch).WithContext(ctx).SerialConsistency(gocql.LocalSerial)
	for _, r := range rows {
		cas.Entries = append(cas.Entries, gocql.BatchEntry{Stmt: `DELETE FROM playlist_entries_by_id WHERE playlist_id = ? AND entry_id = ? IF EXISTS`,
			Args: []any{playlistID, r.EntryID}})
	}
	applied, iter, err := p.session.ExecuteBatchCAS(cas)
	if iter != nil {
		_ = iter.Close()
	}
	if err != nil {
		return err
	}
	if !applied {
		if strict {
			return domain.NotFound("playlist entry", "(removed concurrently)")
		}
		return nil
	}
	b := p.logged(ctx)
	uses := make([]*domain.PlaylistEntry, len(rows))
	for i, r := range rows {
		b.add(`DELETE FROM playlist_entries WHERE playlist_id = ? AND pos = ? AND entry_id = ?`, playlistID, r.Pos, r.EntryID)
		uses[i] = &domain.PlaylistEntry{ID: r.EntryID, TrackID: r.TrackID}
	}
	if err := p.exec(b); err != nil {
		return err
	}
	if err := p.reserve(ctx, playlistID, -len(rows)); err != nil {
		return err
	}
	return p.writeEach(ctx, trackUses(playlistID, uses, `DELETE FROM playlists_by_track WHERE track_id = ? AND shard = ? AND playlist_id = ? AND entry_id = ?`))
}

func firstMissing(ids []string, rows []entryRow) string {
	for _, id := range ids {
		if !slices.ContainsFunc(rows, func(r entryRow) bool { return r.EntryID == id }) {
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
// neighbours; no other entry is rewritten.
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
	var rows []entryRow
	if err := p.read(ctx, `SELECT entry_id, pos, track_id, added_by, add_time FROM playlist_entries_by_id WHERE playlist_id = ? AND entry_id IN ?`,
		playlistID, want).Select(&rows); err != nil {
		return err
	}
	if len(rows) < len(want) {
		return domain.NotFound("playlist entry", firstMissing(want, rows))
	}
	byID := make(map[string]entryRow, len(rows))
	for _, r := range rows {
		byID[r.EntryID] = r
	}
	// The entry before the place is the first one above it that is not
	// itself moving; at most len(entryIDs) rows are skipped to find it.
	var above []posRef
	next := ""
	if before == "" {
		err = p.read(ctx, `SELECT pos, entry_id FROM playlist_entries WHERE playlist_id = ? ORDER BY pos DESC, entry_id DESC LIMIT ?`,
			playlistID, len(entryIDs)+1).Select(&above)
	} else {
		next = byID[before].Pos
		err = p.read(ctx, `SELECT pos, entry_id FROM playlist_entries WHERE playlist_id = ? AND (pos, entry_id) < (?, ?) ORDER BY pos DESC, entry_id DESC LIMIT ?`,
			playlistID, next, before, len(entryIDs)+1).Select(&above)
	}
	if err != nil {
		return err
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
		return err
	}
	b := p.logged(ctx)
	for i, id := range entryIDs {
		r, pos := byID[id], entryKey(prefix, i)
		b.add(`DELETE FROM playlist_entries WHERE playlist_id = ? AND pos = ? AND entry_id = ?`, playlistID, r.Pos, id)
		b.add(`INSERT INTO playlist_entries (playlist_id, pos, entry_id, track_id, added_by, add_time) VALUES (?, ?, ?, ?, ?, ?)`,
			playlistID, pos, id, r.TrackID, r.AddedBy, r.AddTime)
		b.add(`UPDATE playlist_entries_by_id SET pos = ? WHERE playlist_id = ? AND entry_id = ?`, pos, playlistID, id)
	}
	if err := p.exec(b); err != nil {
		return err
	}
	return p.reserve(ctx, playlistID, 0)
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
