package embedded

import (
	"context"
	"time"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

type libraryStore struct{ *Store }

// Save times are kept in milliseconds, as the Cassandra store's timestamps
// are, so both order ties alike.
func (s libraryStore) SaveItems(ctx context.Context, userID string, kind domain.LibraryKind, ids []string, at time.Time) (err error) {
	defer derrors.Wrap(&err, "embedded.SaveItems(%q, %s)", userID, kind)
	return s.write(ctx, func(tx querier) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO library_items (user_id, kind, item_id, save_time)
			SELECT ?1, ?2, value, ?3 FROM json_each(?4) WHERE true
			ON CONFLICT (user_id, kind, item_id) DO UPDATE SET save_time = excluded.save_time`,
			userID, string(kind), at.UnixMilli(), listCol(ids))
		if foreignKeyViolation(err) {
			return domain.NotFound("user", userID)
		}
		return err
	})
}

func (s libraryStore) RemoveItems(ctx context.Context, userID string, kind domain.LibraryKind, ids []string) (err error) {
	defer derrors.Wrap(&err, "embedded.RemoveItems(%q, %s)", userID, kind)
	_, err = s.wq(ctx).ExecContext(ctx, `DELETE FROM library_items WHERE user_id = ? AND kind = ? AND item_id IN (SELECT value FROM json_each(?))`,
		userID, string(kind), listCol(ids))
	return err
}

func (s libraryStore) AreSaved(ctx context.Context, userID string, kind domain.LibraryKind, ids []string) (_ []bool, err error) {
	defer derrors.Wrap(&err, "embedded.AreSaved(%q, %s)", userID, kind)
	found, err := scanAll(rowsOf(s.rq(ctx).QueryContext(ctx, `SELECT item_id FROM library_items
		WHERE user_id = ? AND kind = ? AND item_id IN (SELECT value FROM json_each(?))`, userID, string(kind), listCol(ids))),
		func(sc scanner) (string, error) {
			var id string
			err := sc.Scan(&id)
			return id, err
		})
	if err != nil {
		return nil, err
	}
	return savedFlags(ids, found), nil
}

// savedFlags answers, for each of ids, whether it is among found.
func savedFlags(ids, found []string) []bool {
	have := make(map[string]bool, len(found))
	for _, id := range found {
		have[id] = true
	}
	out := make([]bool, len(ids))
	for i, id := range ids {
		out[i] = have[id]
	}
	return out
}

func (s libraryStore) ListSaved(ctx context.Context, userID string, kind domain.LibraryKind, p domain.Page) (items []domain.SavedItem, next string, err error) {
	defer derrors.Wrap(&err, "embedded.ListSaved(%q, %s)", userID, kind)
	list := listLibrary + string(kind)
	cur, after, err := pagetoken.Read(p, list)
	if err != nil {
		return nil, "", err
	}
	// Two statements rather than one with "NOT resuming OR": the OR would
	// keep SQLite from seeking the index to the cursor, and a deep page of
	// a large library would scan every row before it.
	q := `SELECT item_id, save_time FROM library_items WHERE user_id = ?1 AND kind = ?2
		ORDER BY save_time DESC, item_id DESC LIMIT ?3`
	args := []any{userID, string(kind), p.Size + 1}
	if after {
		q = `SELECT item_id, save_time FROM library_items WHERE user_id = ?1 AND kind = ?2 AND (save_time, item_id) < (?4, ?5)
		ORDER BY save_time DESC, item_id DESC LIMIT ?3`
		args = append(args, cur.N, cur.ID)
	}
	items, err = scanAll(rowsOf(s.rq(ctx).QueryContext(ctx, q, args...)),
		func(sc scanner) (domain.SavedItem, error) {
			var it domain.SavedItem
			var ms int64
			err := sc.Scan(&it.ID, &ms)
			it.SaveTime = time.UnixMilli(ms).UTC()
			return it, err
		})
	if err != nil {
		return nil, "", err
	}
	items, next = pagetoken.Page(items, p.Size, func(last domain.SavedItem) pagetoken.Cursor {
		return pagetoken.Cursor{List: list, N: last.SaveTime.UnixMilli(), ID: last.ID}
	})
	return items, next, nil
}
