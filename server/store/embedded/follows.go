package embedded

import (
	"context"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

// FollowArtist fails NotFound for a missing user or artist: a follow of
// nothing would be a dangling row no delete ever cleans.
func (s userStore) FollowArtist(ctx context.Context, userID, artistID string) (err error) {
	defer derrors.Wrap(&err, "embedded.FollowArtist(%q, %q)", userID, artistID)
	return s.write(ctx, func(tx querier) error {
		_, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO artist_follows (user_id, artist_id) VALUES (?, ?)", userID, artistID)
		if foreignKeyViolation(err) {
			if err := requireAll(ctx, tx, "users", "user", []string{userID}); err != nil {
				return err
			}
			return domain.NotFound("artist", artistID)
		}
		return err
	})
}

func (s userStore) UnfollowArtist(ctx context.Context, userID, artistID string) (err error) {
	defer derrors.Wrap(&err, "embedded.UnfollowArtist(%q, %q)", userID, artistID)
	_, err = s.wq(ctx).ExecContext(ctx, "DELETE FROM artist_follows WHERE user_id = ? AND artist_id = ?", userID, artistID)
	return err
}

// ListFollowedArtists pages by rowid, which grows with every new follow.
func (s userStore) ListFollowedArtists(ctx context.Context, userID string, p domain.Page) (ids []string, next string, err error) {
	defer derrors.Wrap(&err, "embedded.ListFollowedArtists(%q)", userID)
	cur, after, err := pagetoken.Read(p, listFollowed)
	if err != nil {
		return nil, "", err
	}
	type follow struct {
		seq int64
		id  string
	}
	rows, err := scanAll(rowsOf(s.rq(ctx).QueryContext(ctx, `SELECT rowid, artist_id FROM artist_follows
		WHERE user_id = ?1 AND (NOT ?2 OR rowid < ?3) ORDER BY rowid DESC LIMIT ?4`, userID, after, cur.N, p.Size+1)),
		func(sc scanner) (follow, error) {
			var f follow
			err := sc.Scan(&f.seq, &f.id)
			return f, err
		})
	if err != nil {
		return nil, "", err
	}
	rows, next = pagetoken.Page(rows, p.Size, func(f follow) pagetoken.Cursor { return pagetoken.Cursor{List: listFollowed, N: f.seq} })
	ids = make([]string, len(rows))
	for i, f := range rows {
		ids[i] = f.id
	}
	return ids, next, nil
}
