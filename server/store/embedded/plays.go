package embedded

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

type playStore struct{ *Store }

const playCols = "user_id, playback_id, track_id, device_id, play_time, counted"

func scanPlay(sc scanner) (*domain.Play, error) {
	var p domain.Play
	var pt int64
	var counted int
	if err := sc.Scan(&p.UserID, &p.PlaybackID, &p.TrackID, &p.DeviceID, &pt, &counted); err != nil {
		return nil, err
	}
	p.PlayTime = colTime(pt)
	p.Counted = counted != 0
	return &p, nil
}

// RecordPlay inserts unless the (user, playback id) key is taken; the one
// write connection runs inserts one at a time, so of concurrent calls with
// one id exactly one inserts. p is stored as given, Counted included (a
// play recorded counted never counts). The user must exist (the play goes
// with it when it is deleted); the track need not: history is not catalog.
func (s playStore) RecordPlay(ctx context.Context, p *domain.Play) (err error) {
	defer derrors.Wrap(&err, "embedded.RecordPlay(%q, %q)", p.UserID, p.PlaybackID)
	_, err = s.wq(ctx).ExecContext(ctx, "INSERT INTO plays ("+playCols+") VALUES (?, ?, ?, ?, ?, ?) "+
		"ON CONFLICT (user_id, playback_id) DO NOTHING",
		p.UserID, p.PlaybackID, p.TrackID, p.DeviceID, timeCol(p.PlayTime), boolCol(p.Counted))
	if foreignKeyViolation(err) {
		return domain.NotFound("user", p.UserID)
	}
	return err
}

// CountPlay flips counted and bumps the track's play count in one
// transaction on the one write connection, so of concurrent calls exactly
// one sees counted = 0: the count shows at once. The track's search
// document is reloaded with it, as play counts rank search results. A play
// whose track is gone is marked counted all the same. trackID is the
// play's own: the stored row says which track it counts for.
func (s playStore) CountPlay(ctx context.Context, userID, playbackID, _ string) (err error) {
	defer derrors.Wrap(&err, "embedded.CountPlay(%q, %q)", userID, playbackID)
	return catalogStore{s.Store}.catalogWrite(ctx, func(tx querier, ch *indexChanges) error {
		var trackID string
		err := tx.QueryRowContext(ctx, "UPDATE plays SET counted = 1 WHERE user_id = ? AND playback_id = ? AND counted = 0 RETURNING track_id",
			userID, playbackID).Scan(&trackID)
		if errors.Is(err, sql.ErrNoRows) {
			var one int
			err := tx.QueryRowContext(ctx, "SELECT 1 FROM plays WHERE user_id = ? AND playback_id = ?", userID, playbackID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return domain.NotFound("play", playbackID)
			}
			return err // nil: already counted
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "UPDATE tracks SET play_count = play_count + 1 WHERE id = ?", trackID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return ch.reloadTracks(ctx, tx, "t.id = ?", trackID)
	})
}

// ListPlays pages by (play_time, playback_id), both descending: the order
// of the plays_user_time index.
func (s playStore) ListPlays(ctx context.Context, userID string, p domain.Page) (plays []*domain.Play, next string, err error) {
	defer derrors.Wrap(&err, "embedded.ListPlays(%q)", userID)
	cur, after, err := pagetoken.Read(p, listPlays)
	if err != nil {
		return nil, "", err
	}
	rows, err := scanAll(rowsOf(s.rq(ctx).QueryContext(ctx, "SELECT "+playCols+` FROM plays
		WHERE user_id = ?1 AND (NOT ?2 OR (play_time, playback_id) < (?3, ?4))
		ORDER BY play_time DESC, playback_id DESC LIMIT ?5`, userID, after, cur.N, cur.ID, p.Size+1)), scanPlay)
	if err != nil {
		return nil, "", err
	}
	plays, next = pagetoken.Page(rows, p.Size, func(pl *domain.Play) pagetoken.Cursor {
		return pagetoken.Cursor{List: listPlays, N: timeCol(pl.PlayTime), ID: pl.PlaybackID}
	})
	return plays, next, nil
}

// CountedPlays counts in the primary key's range of the user's playback ids.
func (s playStore) CountedPlays(ctx context.Context, userID, fromID, toID string) (n int, err error) {
	defer derrors.Wrap(&err, "embedded.CountedPlays(%q)", userID)
	err = s.rq(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM plays
		WHERE user_id = ? AND playback_id >= ? AND playback_id < ? AND counted = 1`, userID, fromID, toID).Scan(&n)
	return n, err
}

// CreatePlayback also deletes the user's playbacks expired by the time this
// one started, which keeps the table to each user's recent starts without
// a sweeper. The user must exist.
func (s playStore) CreatePlayback(ctx context.Context, sp *domain.StartedPlayback) (err error) {
	defer derrors.Wrap(&err, "embedded.CreatePlayback(%q, %q)", sp.UserID, sp.PlaybackID)
	return s.write(ctx, func(tx querier) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM playback_starts WHERE user_id = ? AND expire_time < ?",
			sp.UserID, timeCol(sp.StartTime)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO playback_starts (user_id, playback_id, track_id, position, start_time, expire_time)
			VALUES (?, ?, ?, ?, ?, ?)`,
			sp.UserID, sp.PlaybackID, sp.TrackID, int64(sp.Position), timeCol(sp.StartTime), timeCol(sp.ExpireTime))
		if foreignKeyViolation(err) {
			return domain.NotFound("user", sp.UserID)
		}
		return err
	})
}

func (s playStore) GetPlayback(ctx context.Context, userID, playbackID string) (_ *domain.StartedPlayback, err error) {
	defer derrors.Wrap(&err, "embedded.GetPlayback(%q, %q)", userID, playbackID)
	sp := domain.StartedPlayback{UserID: userID, PlaybackID: playbackID}
	var pos, start, expire int64
	err = s.rq(ctx).QueryRowContext(ctx, `SELECT track_id, position, start_time, expire_time FROM playback_starts
		WHERE user_id = ? AND playback_id = ?`, userID, playbackID).Scan(&sp.TrackID, &pos, &start, &expire)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("playback", playbackID)
	}
	if err != nil {
		return nil, err
	}
	sp.Position, sp.StartTime, sp.ExpireTime = time.Duration(pos), colTime(start), colTime(expire)
	return &sp, nil
}
