package cassandra

import (
	"context"
	"errors"
	"time"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

// followShards spreads an artist's or a playlist's followers over
// partitions: a star's followers would not fit one.
const followShards = 16

func (u userStore) FollowArtist(ctx context.Context, userID, artistID string) (err error) {
	defer wrap(&err, "cassandra.FollowArtist(%q, %q)", userID, artistID)
	if _, err := (catalogStore{u.Store}).GetArtist(ctx, artistID); err != nil {
		return err
	}
	prev, found, err := u.followTime(ctx, userID, artistID)
	if err != nil {
		return err
	}
	at := now()
	if found && prev.Equal(at) {
		return nil
	}
	b := u.logged(ctx)
	if found {
		b.add(`DELETE FROM artist_follows_by_user WHERE user_id = ? AND followed_at = ? AND artist_id = ?`, userID, prev, artistID)
	}
	b.add(`INSERT INTO artist_follows_by_user (user_id, followed_at, artist_id) VALUES (?, ?, ?)`, userID, at, artistID)
	b.add(`INSERT INTO artist_follow_times (user_id, artist_id, followed_at) VALUES (?, ?, ?)`, userID, artistID, at)
	b.add(`INSERT INTO artist_followers (artist_id, shard, user_id) VALUES (?, ?, ?)`, artistID, shardOf(userID, followShards), userID)
	if err := u.exec(b); err != nil {
		return err
	}
	return nil
}

func (s *Store) followTime(ctx context.Context, userID, artistID string) (time.Time, bool, error) {
	var at time.Time
	err := s.read(ctx, `SELECT followed_at FROM artist_follow_times WHERE user_id = ? AND artist_id = ?`, userID, artistID).Scan(&at)
	if errors.Is(err, gocql.ErrNotFound) {
		return at, false, nil
	}
	return at, err == nil, err
}

func (s userStore) UnfollowArtist(ctx context.Context, userID, artistID string) (err error) {
	defer wrap(&err, "cassandra.UnfollowArtist(%q, %q)", userID, artistID)
	prev, found, err := s.followTime(ctx, userID, artistID)
	if err != nil || !found {
		return err
	}
	b := s.logged(ctx)
	b.add(`DELETE FROM artist_follows_by_user WHERE user_id = ? AND followed_at = ? AND artist_id = ?`, userID, prev, artistID)
	b.add(`DELETE FROM artist_follow_times WHERE user_id = ? AND artist_id = ?`, userID, artistID)
	b.add(`DELETE FROM artist_followers WHERE artist_id = ? AND shard = ? AND user_id = ?`, artistID, shardOf(userID, followShards), userID)
	return s.exec(b)
}

type followRow struct {
	ArtistID   string    `db:"artist_id"`
	FollowedAt time.Time `db:"followed_at"`
}

func (u userStore) ListFollowedArtists(ctx context.Context, userID string, p domain.Page) (_ []string, _ string, err error) {
	defer wrap(&err, "cassandra.ListFollowedArtists(%q)", userID)
	c, resume, err := pagetoken.Read(p, ofFollowed)
	if err != nil {
		return nil, "", err
	}
	var rows []followRow
	if !resume {
		err = u.read(ctx, `SELECT artist_id, followed_at FROM artist_follows_by_user WHERE user_id = ? LIMIT ?`,
			userID, p.Size+1).Select(&rows)
	} else {
		err = u.read(ctx, `SELECT artist_id, followed_at FROM artist_follows_by_user WHERE user_id = ? AND (followed_at, artist_id) < (?, ?) LIMIT ?`,
			userID, time.UnixMilli(c.N), c.ID, p.Size+1).Select(&rows)
	}
	if err != nil {
		return nil, "", err
	}
	rows, next := pagetoken.Page(rows, p.Size, func(last followRow) pagetoken.Cursor {
		return pagetoken.Cursor{List: ofFollowed, N: last.FollowedAt.UnixMilli(), ID: last.ArtistID}
	})
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ArtistID
	}
	return ids, next, nil
}

// deleteFollowsOf removes every artist follow of a user.
func (u userStore) deleteFollowsOf(ctx context.Context, userID string) error {
	var rows []followRow
	if err := u.read(ctx, `SELECT artist_id, followed_at FROM artist_follow_times WHERE user_id = ?`, userID).Select(&rows); err != nil {
		return err
	}
	fans := make([]stmt, len(rows))
	for i, r := range rows {
		fans[i] = stmt{`DELETE FROM artist_followers WHERE artist_id = ? AND shard = ? AND user_id = ?`, []any{r.ArtistID, shardOf(userID, followShards), userID}}
	}
	if err := u.writeEach(ctx, fans); err != nil {
		return err
	}
	b := u.logged(ctx)
	b.add(`DELETE FROM artist_follows_by_user WHERE user_id = ?`, userID)
	b.add(`DELETE FROM artist_follow_times WHERE user_id = ?`, userID)
	return u.exec(b)
}
