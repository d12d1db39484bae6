package cassandra

import (
	"context"
	"errors"
	"math/bits"
	"math/rand/v2"
	"time"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

// Listening history: playbacks holds one row per play, keyed by playback id
// in the user's partition, and is where recording and counting decide, by
// lightweight transactions; plays_by_user lists the plays newest first.
// Both expire 90 days after they are written (the tables' default TTL).
// A track's play count is sharded counters (track_plays) plus the count the
// track was created with (play_base), summed into tracks.play_count by each
// counted play so that reading a track stays one read.

type playStore struct{ *Store }

const playbackColumns = `track_id, device_id, play_time, counted, listed`

type playbackRow struct {
	TrackID  string    `db:"track_id"`
	DeviceID string    `db:"device_id"`
	PlayTime time.Time `db:"play_time"`
	Counted  bool      `db:"counted"`
	Listed   bool      `db:"listed"`
}

func (s *Store) getPlayback(ctx context.Context, userID, playbackID string) (playbackRow, error) {
	var r playbackRow
	err := s.read(ctx, `SELECT `+playbackColumns+` FROM playbacks WHERE user_id = ? AND playback_id = ?`, userID, playbackID).Get(&r)
	return r, notFound(err, "play", playbackID)
}

// RecordPlay reads first: a play's every event records it again, and all
// but the first find it there, without a Paxos round. The first inserts
// with IF NOT EXISTS, so of concurrent first events one creates it. The
// history row is written after, from the stored row (the winner's play
// time), and marked written in playbacks.listed; a call that finds the play
// recorded but not listed (its recorder failed in between, or timed out not
// knowing its insert landed) writes it again, which is idempotent.
func (p playStore) RecordPlay(ctx context.Context, pl *domain.Play) (_ bool, err error) {
	defer wrap(&err, "cassandra.RecordPlay(%q, %q)", pl.UserID, pl.PlaybackID)
	have, err := p.getPlayback(ctx, pl.UserID, pl.PlaybackID)
	switch {
	case err == nil:
		return false, p.list(ctx, pl.UserID, pl.PlaybackID, have)
	case !domain.IsKind(err, domain.KindNotFound):
		return false, err
	}
	row := playbackRow{TrackID: pl.TrackID, DeviceID: pl.DeviceID, PlayTime: msTime(pl.PlayTime), Counted: pl.Counted}
	existing := map[string]any{}
	applied, err := p.once(ctx, `INSERT INTO playbacks (user_id, playback_id, track_id, device_id, play_time, counted) `+
		`VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
		pl.UserID, pl.PlaybackID, row.TrackID, row.DeviceID, row.PlayTime, row.Counted).MapScanCAS(existing)
	if err != nil {
		return false, err
	}
	if !applied {
		// Another call recorded it first: list its row, not ours.
		row.TrackID, _ = existing["track_id"].(string)
		row.DeviceID, _ = existing["device_id"].(string)
		row.PlayTime, _ = existing["play_time"].(time.Time)
		row.Listed, _ = existing["listed"].(bool)
	}
	return applied, p.list(ctx, pl.UserID, pl.PlaybackID, row)
}

// list writes the play's history row unless playbacks says it is written.
func (p playStore) list(ctx context.Context, userID, playbackID string, r playbackRow) error {
	if r.Listed {
		return nil
	}
	if err := p.write(ctx, `INSERT INTO plays_by_user (user_id, play_time, playback_id, track_id, device_id) VALUES (?, ?, ?, ?, ?)`,
		userID, r.PlayTime, playbackID, r.TrackID, r.DeviceID).Exec(); err != nil {
		return err
	}
	return p.write(ctx, `UPDATE playbacks SET listed = true WHERE user_id = ? AND playback_id = ?`, userID, playbackID).Exec()
}

// CountPlay flips counted with UPDATE ... IF counted = false (LOCAL_SERIAL),
// so of concurrent calls one wins; only the winner adds the play to the
// track. A play already counted is seen by a plain read first, without a
// Paxos round.
//
// The flip and the counter update cannot be one write: a count lost between
// them (a crash, a counter timeout) stays lost, as the store never risks
// counting a play twice. A flip whose outcome a timeout hid is settled by a
// serial read of counted_by, the token of the call that won.
func (p playStore) CountPlay(ctx context.Context, userID, playbackID string) (_ bool, err error) {
	defer wrap(&err, "cassandra.CountPlay(%q, %q)", userID, playbackID)
	have, err := p.getPlayback(ctx, userID, playbackID)
	if err != nil {
		return false, err
	}
	if have.Counted {
		return false, nil
	}
	token := domain.NewID()
	existing := map[string]any{}
	applied, err := p.once(ctx, `UPDATE playbacks SET counted = true, counted_by = ? WHERE user_id = ? AND playback_id = ? IF counted = false`,
		token, userID, playbackID).MapScanCAS(existing)
	if err != nil {
		var by string
		if rerr := p.read(ctx, `SELECT counted_by FROM playbacks WHERE user_id = ? AND playback_id = ?`, userID, playbackID).
			Consistency(gocql.Consistency(gocql.LocalSerial)).Scan(&by); rerr != nil || by == "" {
			return false, err
		}
		// (LOCAL_SERIAL shares its protocol code with the serial consistency.)
		// Counted: by this call, or by another, which then added the play.
		applied = by == token
	} else if !applied {
		if c, ok := existing["counted"].(bool); !ok || !c {
			// The row went (the user was deleted, or it expired) after the read.
			return false, domain.NotFound("play", playbackID)
		}
	}
	if !applied {
		return false, nil
	}
	// The play is counted now whatever happens to the track's count: a
	// failure there is logged, not returned, since a retry would find the
	// play counted and could not redo it.
	if err := p.addPlay(context.WithoutCancel(ctx), have.TrackID); err != nil {
		p.log.Warn("cassandra: counted play not added to its track", "track", have.TrackID, "user", userID,
			"playback", playbackID, "err", err)
	}
	return true, nil
}

// ListPlays reads a page of plays_by_user, then the pages' counted flags
// from playbacks (one partition, playback_id IN the page).
func (p playStore) ListPlays(ctx context.Context, userID string, pg domain.Page) (_ []*domain.Play, _ string, err error) {
	defer wrap(&err, "cassandra.ListPlays(%q)", userID)
	cur, resume, err := pagetoken.Read(pg, ofPlays)
	if err != nil {
		return nil, "", err
	}
	var rows []playRow
	if !resume {
		err = p.read(ctx, `SELECT play_time, playback_id, track_id, device_id FROM plays_by_user WHERE user_id = ? LIMIT ?`,
			userID, pg.Size+1).Select(&rows)
	} else {
		err = p.read(ctx, `SELECT play_time, playback_id, track_id, device_id FROM plays_by_user WHERE user_id = ? `+
			`AND (play_time, playback_id) < (?, ?) LIMIT ?`,
			userID, time.UnixMilli(cur.N).UTC(), cur.ID, pg.Size+1).Select(&rows)
	}
	if err != nil {
		return nil, "", err
	}
	rows, next := pagetoken.Page(rows, pg.Size, func(last playRow) pagetoken.Cursor {
		return pagetoken.Cursor{List: ofPlays, N: last.PlayTime.UnixMilli(), ID: last.PlaybackID}
	})
	if len(rows) == 0 {
		return nil, next, nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.PlaybackID
	}
	var flags []struct {
		PlaybackID string `db:"playback_id"`
		Counted    bool   `db:"counted"`
	}
	if err := p.read(ctx, `SELECT playback_id, counted FROM playbacks WHERE user_id = ? AND playback_id IN ?`, userID, ids).
		Select(&flags); err != nil {
		return nil, "", err
	}
	counted := make(map[string]bool, len(flags))
	for _, f := range flags {
		counted[f.PlaybackID] = f.Counted
	}
	plays := make([]*domain.Play, len(rows))
	for i, r := range rows {
		plays[i] = &domain.Play{UserID: userID, PlaybackID: r.PlaybackID, TrackID: r.TrackID, DeviceID: r.DeviceID,
			PlayTime: r.PlayTime.UTC(), Counted: counted[r.PlaybackID]}
	}
	return plays, next, nil
}

type playRow struct {
	PlayTime   time.Time `db:"play_time"`
	PlaybackID string    `db:"playback_id"`
	TrackID    string    `db:"track_id"`
	DeviceID   string    `db:"device_id"`
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

// playShards is how many counter partitions one track's plays spread over.
const playShards = 8

// addPlay adds one play to the track: a counter update on a random shard
// (never retried: a counter update is not idempotent, and a play lost to a
// timeout is preferred to one counted twice), then play_count rewritten as
// play_base plus the sum of the shards.
//
// The rewrite is a plain write timestamped just after the track's title was
// last written (WRITETIME(title), which CreateTrack and UpdateTrack set):
//   - a DeleteTrack after the read is newer, so the write cannot bring back
//     a partial row of a deleted track;
//   - concurrent rewrites (of counts read since the same title write) tie on
//     the timestamp, and Cassandra keeps the greater value of a tie, which
//     for non-negative bigints is the greater count, so play_count does not
//     go back to an older sum. A rewrite read before an UpdateTrack and one
//     read after do not tie: play_count may then be behind the counters by
//     the plays in flight, until the next counted play rewrites it. It is
//     eventually right, not exact under concurrent counting.
//
// Nothing else may write play_count or play_base (CreateTrack aside): a
// write stamped with the current time would hide every later count until
// the title is next written.
//
// The search rank (see indexTrack) follows the count on a coarse scale:
// re-indexing writes every prefix row of the track, so it happens only when
// the count moves to another step of rankStep, and with the step as rank,
// so concurrent counts crossing one step write the same rows.
func (s *Store) addPlay(ctx context.Context, trackID string) error {
	var count int64
	var base, written *int64
	err := s.read(ctx, `SELECT play_count, play_base, WRITETIME(title) FROM tracks WHERE id = ?`, trackID).Scan(&count, &base, &written)
	if errors.Is(err, gocql.ErrNotFound) {
		return nil // a play of a deleted track counts towards nothing
	}
	if err != nil {
		return err
	}
	if err := s.once(ctx, `UPDATE track_plays SET plays = plays + 1 WHERE track_id = ? AND shard = ?`,
		trackID, rand.IntN(playShards)).Exec(); err != nil {
		return err
	}
	sum, err := s.trackPlays(ctx, trackID)
	if err != nil {
		return err
	}
	// A track from before play_base existed had only its created count in
	// play_count (nothing folded counters into it then): that is its base.
	b := count
	if base != nil {
		b = *base
	}
	total := b + sum
	if written == nil {
		return nil // no title cell: not a whole track row
	}
	if err := s.write(ctx, `UPDATE tracks USING TIMESTAMP ? SET play_count = ?, play_base = ? WHERE id = ?`,
		*written+1, total, b, trackID).Exec(); err != nil {
		return err
	}
	if rankStep(total) == rankStep(count) {
		return nil
	}
	// Popularity reaches the search engine through the feed, once per
	// step of rankStep: the batching that keeps the play path cheap.
	if err := s.feed(ctx, kindTrack, trackID); err != nil {
		return err
	}
	t, err := catalogStore{s}.GetTrack(ctx, trackID)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	t.PlayCount = rankStep(total)
	return s.indexTrack(ctx, t)
}

// rankStep rounds a play count down to its 4 leading bits: every count up
// to 15, then steps of 1/16 to 1/8 of the count, so a track is re-indexed
// about 8 times per doubling of its plays (some 180 times up to 10M plays).
func rankStep(n int64) int64 {
	if n < 16 {
		return n
	}
	shift := bits.Len64(uint64(n)) - 4
	return n >> shift << shift
}

// trackPlays sums a track's play counters, one single-partition read per
// shard, concurrently.
func (s *Store) trackPlays(ctx context.Context, trackID string) (int64, error) {
	shards := make([]int, playShards)
	for i := range shards {
		shards[i] = i
	}
	counts, err := fetchAll(ctx, shards, func(ctx context.Context, shard int) (int64, error) {
		var n int64
		err := s.read(ctx, `SELECT plays FROM track_plays WHERE track_id = ? AND shard = ?`, trackID, shard).Scan(&n)
		return n, notFound(err, "play counter", trackID)
	})
	if err != nil {
		return 0, err
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	return total, nil
}
