package cassandra

import (
	"context"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

type libraryStore struct{ *Store }

// libraryKinds are every kind, for deleting a user's library.
var libraryKinds = []domain.LibraryKind{domain.LibraryTracks, domain.LibraryAlbums}

// SaveItems writes both tables in one logged batch without reading: a
// re-save leaves its older library_by_time row for ListSaved to drop.
func (s libraryStore) SaveItems(ctx context.Context, userID string, kind domain.LibraryKind, ids []string, at time.Time) (err error) {
	defer wrap(&err, "cassandra.SaveItems(%q, %s)", userID, kind)
	at = at.Truncate(time.Millisecond)
	b := s.logged(ctx)
	for _, id := range ids {
		b.add(`INSERT INTO library_items (user_id, kind, item_id, saved_at) VALUES (?, ?, ?, ?)`, userID, string(kind), id, at)
		b.add(`INSERT INTO library_by_time (user_id, kind, saved_at, item_id) VALUES (?, ?, ?, ?)`, userID, string(kind), at, id)
	}
	return s.exec(b)
}

// RemoveItems deletes only the truth: the listing row it leaves is no
// longer current and is dropped by ListSaved.
func (s libraryStore) RemoveItems(ctx context.Context, userID string, kind domain.LibraryKind, ids []string) (err error) {
	defer wrap(&err, "cassandra.RemoveItems(%q, %s)", userID, kind)
	return s.write(ctx, `DELETE FROM library_items WHERE user_id = ? AND kind = ? AND item_id IN ?`, userID, string(kind), ids).Exec()
}

type libraryRow struct {
	ItemID  string    `db:"item_id"`
	SavedAt time.Time `db:"saved_at"`
}

// current reads the save times of ids: the truth.
func (s libraryStore) current(ctx context.Context, userID string, kind domain.LibraryKind, ids []string) (map[string]time.Time, error) {
	var rows []libraryRow
	if err := s.read(ctx, `SELECT item_id, saved_at FROM library_items WHERE user_id = ? AND kind = ? AND item_id IN ?`,
		userID, string(kind), ids).Select(&rows); err != nil {
		return nil, err
	}
	at := make(map[string]time.Time, len(rows))
	for _, r := range rows {
		at[r.ItemID] = r.SavedAt
	}
	return at, nil
}

func (s libraryStore) AreSaved(ctx context.Context, userID string, kind domain.LibraryKind, ids []string) (_ []bool, err error) {
	defer wrap(&err, "cassandra.AreSaved(%q, %s)", userID, kind)
	at, err := s.current(ctx, userID, kind, ids)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(ids))
	for i, id := range ids {
		_, out[i] = at[id]
	}
	return out, nil
}

// A page reads slices of at least minLibrarySlice rows (so a run of stale
// rows costs few round trips) and at most maxStaleReads of them before
// answering a short page whose token resumes after them.
const (
	minLibrarySlice = 50
	maxStaleReads   = 20
)

func (s libraryStore) ListSaved(ctx context.Context, userID string, kind domain.LibraryKind, p domain.Page) (_ []domain.SavedItem, _ string, err error) {
	defer wrap(&err, "cassandra.ListSaved(%q, %s)", userID, kind)
	list := ofLibrary + string(kind)
	c, resume, err := pagetoken.Read(p, list)
	if err != nil {
		return nil, "", err
	}
	var items []domain.SavedItem
	var stale []stmt
	defer func() {
		// Best effort: a failed cleanup leaves rows the next listing drops.
		if len(stale) > 0 {
			_ = s.writeEach(context.WithoutCancel(ctx), stale)
		}
	}()
	after, afterID := time.UnixMilli(c.N), c.ID
	exhausted := false
	slice := max(p.Size+1, minLibrarySlice)
	for range maxStaleReads {
		var rows []libraryRow
		if !resume {
			err = s.read(ctx, `SELECT item_id, saved_at FROM library_by_time WHERE user_id = ? AND kind = ? LIMIT ?`,
				userID, string(kind), slice).Select(&rows)
		} else {
			err = s.read(ctx, `SELECT item_id, saved_at FROM library_by_time WHERE user_id = ? AND kind = ? AND (saved_at, item_id) < (?, ?) LIMIT ?`,
				userID, string(kind), after, afterID, slice).Select(&rows)
		}
		if err != nil || len(rows) == 0 {
			exhausted = true
			break
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.ItemID
		}
		cur, err := s.current(ctx, userID, kind, ids)
		if err != nil {
			return nil, "", err
		}
		for _, r := range rows {
			if at, ok := cur[r.ItemID]; ok && at.Equal(r.SavedAt) {
				items = append(items, domain.SavedItem{ID: r.ItemID, SaveTime: r.SavedAt.UTC()})
			} else {
				stale = append(stale, stmt{`DELETE FROM library_by_time WHERE user_id = ? AND kind = ? AND saved_at = ? AND item_id = ?`,
					[]any{userID, string(kind), r.SavedAt, r.ItemID}})
			}
		}
		last := rows[len(rows)-1]
		resume, after, afterID = true, last.SavedAt, last.ItemID
		if len(rows) < slice {
			exhausted = true
		}
		if exhausted || len(items) > p.Size {
			break
		}
	}
	if err != nil {
		return nil, "", err
	}
	if len(items) <= p.Size && !exhausted {
		// Stopped in stale rows with more behind them: a short page whose
		// token resumes after the last row read.
		return items, pagetoken.Cursor{List: list, N: after.UnixMilli(), ID: afterID}.Token(), nil
	}
	items, next := pagetoken.Page(items, p.Size, func(last domain.SavedItem) pagetoken.Cursor {
		return pagetoken.Cursor{List: list, N: last.SaveTime.UnixMilli(), ID: last.ID}
	})
	return items, next, nil
}

// deleteLibraryOf removes a user's whole library.
func (s *Store) deleteLibraryOf(ctx context.Context, userID string) error {
	b := s.logged(ctx)
	for _, k := range libraryKinds {
		b.add(`DELETE FROM library_items WHERE user_id = ? AND kind = ?`, userID, string(k))
		b.add(`DELETE FROM library_by_time WHERE user_id = ? AND kind = ?`, userID, string(k))
	}
	return s.exec(b)
}
