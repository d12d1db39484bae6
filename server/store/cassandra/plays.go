package cassandra

import (
	"context"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

// Listening history: playbacks holds one row per play, keyed by playback id
// in the user's partition, and is the history too (playback ids begin with
// the time their playback started, so newest id first is newest play
// first). Rows expire 90 days after they are written (the table's TTL).
// plays_by_user, the history before 011, is no longer written.
//
// Neither recording nor counting a play reads or runs a lightweight
// transaction: every event of a play is an idempotent upsert, and a count is
// an idempotent intent in play_count_log that the rollup (rollup.go) adds to
// the track later. A track's play count therefore lags its counted plays by
// up to the rollup period (--play-rollup-period) plus a bucket and its grace.

type playStore struct{ *Store }

// firstWins is the write timestamp (microseconds) that makes, of the writes
// of one playback's cells, the one of the earliest time t win: it falls as t
// rises, and stays at or before the playback's start (the time in its id),
// so a later DeleteUser still removes the play. Writes of one t tie, and
// Cassandra then keeps the greater value, the same for identical writes.
func firstWins(playbackID string, t time.Time) int64 {
	start, ok := idTime(playbackID)
	if !ok {
		start = t
	}
	s, at := start.UnixMicro(), t.UnixMicro()
	return s - max(at-s, 0)
}

// idTime is the time a NewID-shaped id was made at.
func idTime(id string) (time.Time, bool) {
	if len(id) != 26 {
		return time.Time{}, false
	}
	var ms uint64
	for i := range 10 { // 50 bits: the 48-bit millisecond time and 2 more
		d := idDigit(id[i])
		if d < 0 {
			return time.Time{}, false
		}
		ms = ms<<5 | uint64(d)
	}
	return time.UnixMilli(int64(ms >> 2)), true
}

func idDigit(c byte) int {
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	for i := range len(alphabet) {
		if alphabet[i] == c {
			return i
		}
	}
	return -1
}

// RecordPlay upserts the play: the same event delivered twice, a later
// event, or the event reaching two data centres writes the same row, and the
// earliest event's cells win (firstWins).
func (p playStore) RecordPlay(ctx context.Context, pl *domain.Play) (err error) {
	defer wrap(&err, "cassandra.RecordPlay(%q, %q)", pl.UserID, pl.PlaybackID)
	return p.sess.Exec(ctx, Statement{
		CQL:        `INSERT INTO playbacks (user_id, playback_id, track_id, device_id, play_time) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?`,
		Args:       []any{pl.UserID, pl.PlaybackID, pl.TrackID, pl.DeviceID, msTime(pl.PlayTime), firstWins(pl.PlaybackID, pl.PlayTime)},
		Idempotent: true,
	})
}

// playShards is how many counter partitions a track's plays went to in
// track_plays, the counts before 011: nothing writes them now, and a
// deleted track's are dropped.
const playShards = 8

// Counting: intents go to play_count_log in 10-second buckets, 64 shards.
const (
	countBucket = 10 * time.Second
	countShards = 64
)

func countBucketOf(t time.Time) int64 { return t.UnixMilli() / countBucket.Milliseconds() }

func countShard(userID, playbackID string) int { return hashShard(countShards, userID, playbackID) }

// CountPlay writes, in one logged batch, the play's counted flag, its count
// bucket (the earliest wins, see firstWins) and the intent in the bucket's
// log. Every retry, and the same count in another data centre, writes the
// same cells or a later bucket that loses, so the rollup adds the play once.
func (p playStore) CountPlay(ctx context.Context, userID, playbackID, trackID string) (err error) {
	defer wrap(&err, "cassandra.CountPlay(%q, %q)", userID, playbackID)
	return p.countPlayAt(ctx, userID, playbackID, trackID, time.Now())
}

// countPlayAt is CountPlay as a replica whose clock reads at runs it.
func (p playStore) countPlayAt(ctx context.Context, userID, playbackID, trackID string, at time.Time) error {
	bucket := countBucketOf(at)
	b := p.logged(ctx)
	b.add(`UPDATE playbacks USING TIMESTAMP ? SET count_bucket = ? WHERE user_id = ? AND playback_id = ?`,
		firstWins(playbackID, at), bucket, userID, playbackID)
	b.add(`UPDATE playbacks SET counted = true WHERE user_id = ? AND playback_id = ?`, userID, playbackID)
	b.add(`INSERT INTO play_count_log (bucket, shard, user_id, playback_id, track_id) VALUES (?, ?, ?, ?, ?)`,
		bucket, countShard(userID, playbackID), userID, playbackID, trackID)
	return p.exec(b)
}

// PopularityThroughFeed says this store's counts reach search only through
// its change feed, read by the search engine's indexer: its own prefix
// search does not re-rank by plays.
func (playStore) PopularityThroughFeed() {}

// ListPlays reads a page of the user's playbacks partition, newest
// playback id first. Rows with no play time were never recorded (a count
// that outlived its user's deletion) and are skipped.
func (p playStore) ListPlays(ctx context.Context, userID string, pg domain.Page) (_ []*domain.Play, _ string, err error) {
	defer wrap(&err, "cassandra.ListPlays(%q)", userID)
	cur, resume, err := pagetoken.Read(pg, ofPlays)
	if err != nil {
		return nil, "", err
	}
	const cols = `SELECT playback_id, track_id, device_id, play_time, counted FROM playbacks WHERE user_id = ? `
	var rows []playRow
	if !resume {
		err = p.read(ctx, cols+`ORDER BY playback_id DESC LIMIT ?`, userID, pg.Size+1).Select(&rows)
	} else {
		err = p.read(ctx, cols+`AND playback_id < ? ORDER BY playback_id DESC LIMIT ?`, userID, cur.ID, pg.Size+1).Select(&rows)
	}
	if err != nil {
		return nil, "", err
	}
	rows, next := pagetoken.Page(rows, pg.Size, func(last playRow) pagetoken.Cursor {
		return pagetoken.Cursor{List: ofPlays, ID: last.PlaybackID}
	})
	var plays []*domain.Play
	for _, r := range rows {
		if r.PlayTime == nil {
			continue
		}
		plays = append(plays, &domain.Play{UserID: userID, PlaybackID: r.PlaybackID, TrackID: r.TrackID, DeviceID: r.DeviceID,
			PlayTime: r.PlayTime.UTC(), Counted: r.Counted})
	}
	return plays, next, nil
}

type playRow struct {
	PlaybackID string     `db:"playback_id"`
	TrackID    string     `db:"track_id"`
	DeviceID   string     `db:"device_id"`
	PlayTime   *time.Time `db:"play_time"`
	Counted    bool       `db:"counted"`
}

// deletePlaysOf drops the user's three play partitions.
func (p playStore) deletePlaysOf(ctx context.Context, userID string) error {
	return p.writeEach(ctx, []stmt{
		{`DELETE FROM plays_by_user WHERE user_id = ?`, []any{userID}},
		{`DELETE FROM playbacks WHERE user_id = ?`, []any{userID}},
		{`DELETE FROM playback_starts WHERE user_id = ?`, []any{userID}},
	})
}

// CountedPlays reads the counted flags of a slice of the user's playbacks
// partition (ids in range) and counts them here: the slice is the plays
// started in the span, a few hundred rows at most.
func (p playStore) CountedPlays(ctx context.Context, userID, fromID, toID string) (_ int, err error) {
	defer wrap(&err, "cassandra.CountedPlays(%q)", userID)
	iter := p.read(ctx, `SELECT counted FROM playbacks WHERE user_id = ? AND playback_id >= ? AND playback_id < ?`,
		userID, fromID, toID).Iter()
	n := 0
	var counted bool
	for iter.Scan(&counted) {
		if counted {
			n++
		}
	}
	if err := iter.Close(); err != nil {
		return 0, err
	}
	return n, nil
}

// CreatePlayback writes the row with a TTL of the playback's lifetime
// (ExpireTime less StartTime, both the domain's clock), so it is gone soon
// after its reports would be refused anyway.
func (p playStore) CreatePlayback(ctx context.Context, sp *domain.StartedPlayback) (err error) {
	defer wrap(&err, "cassandra.CreatePlayback(%q, %q)", sp.UserID, sp.PlaybackID)
	ttl := max(int64((sp.ExpireTime.Sub(sp.StartTime)+time.Second-1)/time.Second), 1)
	return p.write(ctx, `INSERT INTO playback_starts (user_id, playback_id, track_id, position_ms, start_time, expire_time) `+
		`VALUES (?, ?, ?, ?, ?, ?) USING TTL ?`,
		sp.UserID, sp.PlaybackID, sp.TrackID, sp.Position.Milliseconds(), msTime(sp.StartTime), msTime(sp.ExpireTime), ttl).Exec()
}

func (p playStore) GetPlayback(ctx context.Context, userID, playbackID string) (_ *domain.StartedPlayback, err error) {
	defer wrap(&err, "cassandra.GetPlayback(%q, %q)", userID, playbackID)
	var r struct {
		TrackID    string    `db:"track_id"`
		PositionMS int64     `db:"position_ms"`
		StartTime  time.Time `db:"start_time"`
		ExpireTime time.Time `db:"expire_time"`
	}
	err = p.read(ctx, `SELECT track_id, position_ms, start_time, expire_time FROM playback_starts WHERE user_id = ? AND playback_id = ?`,
		userID, playbackID).Get(&r)
	if err := notFound(err, "playback", playbackID); err != nil {
		return nil, err
	}
	return &domain.StartedPlayback{
		UserID: userID, PlaybackID: playbackID, TrackID: r.TrackID, Position: time.Duration(r.PositionMS) * time.Millisecond,
		StartTime: r.StartTime.UTC(), ExpireTime: r.ExpireTime.UTC(),
	}, nil
}
