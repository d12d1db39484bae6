package cassandra

import (
	"context"
	"errors"
	"math/bits"
	"time"

	"github.com/gocql/gocql"

	"github.com/backbeat/backbeat/server/domain"
)

// The play rollup adds the intents in play_count_log to the tracks' play
// counts, off the request path: one runner at a time across replicas and
// data centres (the play-rollup lease, a lightweight transaction at
// SERIAL), bucket by bucket in order, with its place kept in play_rollup.
//
// A bucket is rolled up once it is closed: countGrace after its end, so
// counts in flight when it ended have landed. Rolling one up is safe to
// repeat (a pass that died half-way, a runner that lost its lease while
// another took over): each play is counted in the bucket its count_bucket
// names only, and each track records the last bucket it took plays from and
// how many (play_rolled), so adding a bucket again adds only what is new.

const (
	// countGrace is how long after a bucket ends the rollup waits for
	// counts still in flight (a slow write, clock skew between replicas).
	countGrace = 10 * time.Second
	// rollupLease names the rollup's lease and checkpoint.
	rollupLease = "play-rollup"
	// rollupBackfill is how far back a rollup with no checkpoint starts.
	rollupBackfill = 2 * time.Minute
	// rollupMaxBuckets bounds one pass (an hour of buckets), so a runner
	// catching up after an outage renews its lease between passes.
	rollupMaxBuckets = int64(time.Hour / countBucket)
	// rolledShift packs (bucket, plays) into play_rolled.
	rolledShift = 20
)

// startRollup runs the rollup every period in the background until Close.
func (s *Store) startRollup(period time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.stopRollup = func() {
		cancel()
		<-done
	}
	go func() {
		defer close(done)
		s.runRollup(ctx, period)
	}()
}

// runRollup holds or waits for the lease, and while holding it rolls up
// once per period.
func (s *Store) runRollup(ctx context.Context, period time.Duration) {
	holder := domain.NewID()
	leases := searchFeed{s}
	ttl := max(3*period, 30*time.Second)
	t := time.NewTicker(period)
	defer t.Stop()
	holding := false
	defer func() {
		if holding {
			rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = leases.ReleaseLease(rctx, rollupLease, holder)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok, err := leases.HoldLease(ctx, rollupLease, holder, ttl)
		if err != nil {
			s.log.Warn("cassandra: play rollup lease", "err", err)
			continue
		}
		if ok != holding {
			s.log.Info("cassandra: play rollup lease", "held", ok)
			holding = ok
		}
		if !ok {
			continue
		}
		if err := s.rollupPlays(ctx, time.Now(), false); err != nil && ctx.Err() == nil {
			s.log.Warn("cassandra: play rollup pass failed; the next pass resumes it", "err", err)
		}
	}
}

// RollupPlays runs one rollup pass now, including the bucket still open, so
// every count made before the call is in the tracks' counts when it
// returns. Tests call it; the background rollup (Config.PlayRollupPeriod)
// does the same for closed buckets.
func (p playStore) RollupPlays(ctx context.Context) (err error) {
	defer wrap(&err, "cassandra.RollupPlays")
	return p.rollupPlays(ctx, time.Now(), true)
}

// rollupPlays rolls up the buckets after the checkpoint that are closed at
// now, and with open the one still open too; the checkpoint moves past
// closed buckets only.
func (s *Store) rollupPlays(ctx context.Context, now time.Time, open bool) error {
	var through int64
	err := s.sess.Scan(ctx, Statement{CQL: `SELECT through FROM play_rollup WHERE name = ?`, Args: []any{rollupLease}, Idempotent: true}, &through)
	if errors.Is(err, gocql.ErrNotFound) {
		through, err = countBucketOf(now.Add(-rollupBackfill)), nil
	}
	if err != nil {
		return err
	}
	closed := countBucketOf(now.Add(-countGrace)) - 1
	last := closed
	if open {
		last = countBucketOf(now)
	}
	last = min(last, through+rollupMaxBuckets)
	for b := through + 1; b <= last; b++ {
		if err := s.rollupBucket(ctx, b); err != nil {
			return err
		}
		if b <= closed {
			if err := s.sess.Exec(ctx, Statement{CQL: `INSERT INTO play_rollup (name, through) VALUES (?, ?)`,
				Args: []any{rollupLease, b}, Idempotent: true}); err != nil {
				return err
			}
		}
	}
	return nil
}

type countIntent struct {
	UserID     string `db:"user_id"`
	PlaybackID string `db:"playback_id"`
	TrackID    string `db:"track_id"`
}

// rollupBucket adds bucket b's plays to their tracks.
func (s *Store) rollupBucket(ctx context.Context, b int64) error {
	shards := make([]int, countShards)
	for i := range shards {
		shards[i] = i
	}
	logs, err := fetchAll(ctx, shards, func(ctx context.Context, shard int) ([]countIntent, error) {
		var rows []countIntent
		err := s.read(ctx, `SELECT user_id, playback_id, track_id FROM play_count_log WHERE bucket = ? AND shard = ?`, b, shard).Select(&rows)
		return rows, err
	})
	if err != nil {
		return err
	}
	var intents []countIntent
	for _, l := range logs {
		intents = append(intents, l...)
	}
	if len(intents) == 0 {
		return nil
	}
	// A play counts in the bucket of its first count only; one whose row
	// is gone (its user deleted since) counts where its intent is.
	mine, err := fetchAll(ctx, intents, func(ctx context.Context, in countIntent) (bool, error) {
		var at *int64
		err := s.read(ctx, `SELECT count_bucket FROM playbacks WHERE user_id = ? AND playback_id = ?`, in.UserID, in.PlaybackID).Scan(&at)
		if errors.Is(err, gocql.ErrNotFound) {
			return true, nil
		}
		return err == nil && (at == nil || *at == b), err
	})
	if err != nil {
		return err
	}
	plays := map[string]int64{}
	var tracks []string
	for i, in := range intents {
		if !mine[i] {
			continue
		}
		if plays[in.TrackID] == 0 {
			tracks = append(tracks, in.TrackID)
		}
		plays[in.TrackID]++
	}
	stepped, err := fetchAll(ctx, tracks, func(ctx context.Context, id string) (bool, error) {
		return s.addPlays(ctx, id, b, plays[id])
	})
	if err != nil {
		return err
	}
	var moved []string
	for i, id := range tracks {
		if stepped[i] {
			moved = append(moved, id)
		}
	}
	// Popularity reaches the search engine through the feed, once per
	// step of rankStep and once per bucket at most.
	return s.feed(ctx, kindTrack, moved...)
}

// addPlays adds n plays of bucket b to the track, unless it has them, and
// says whether its count moved to another rankStep.
//
// The write is a plain one timestamped just after the track's title was
// last written (WRITETIME(title), which CreateTrack and UpdateTrack set):
//   - a DeleteTrack after the read is newer, so the write cannot bring back
//     a partial row of a deleted track;
//   - UpdateTrack does not write play_count, and the next rollup writes
//     after its title;
//   - two rollup writes between title writes tie on the timestamp, and
//     Cassandra then keeps the greater value of each cell: play_count and
//     play_rolled only grow, so the later state wins.
//
// Nothing else may write play_count (CreateTrack aside).
func (s *Store) addPlays(ctx context.Context, trackID string, b, n int64) (bool, error) {
	var (
		count            int64
		rolled, wrote    *int64
		rolledB, rolledN int64
	)
	err := s.read(ctx, `SELECT play_count, play_rolled, WRITETIME(title) FROM tracks WHERE id = ?`, trackID).Scan(&count, &rolled, &wrote)
	if errors.Is(err, gocql.ErrNotFound) || err == nil && wrote == nil {
		return false, nil // a play of a deleted track counts towards nothing
	}
	if err != nil {
		return false, err
	}
	if rolled != nil {
		rolledB, rolledN = *rolled>>rolledShift, *rolled&(1<<rolledShift-1)
	}
	var total int64
	switch {
	case rolledB > b:
		return false, nil // rolled up past b already (a late duplicate pass)
	case rolledB == b:
		total = count + n - rolledN
	default:
		total = count + n
	}
	if rolledB == b && n <= rolledN {
		return false, nil
	}
	if err := s.sess.Exec(ctx, Statement{CQL: `UPDATE tracks USING TIMESTAMP ? SET play_count = ?, play_rolled = ? WHERE id = ?`,
		Args: []any{*wrote + 1, total, b<<rolledShift | min(n, 1<<rolledShift-1), trackID}, Idempotent: true}); err != nil {
		return false, err
	}
	return rankStep(total) != rankStep(count), nil
}

// rankStep rounds a play count down to its 4 leading bits: every count up
// to 15, then steps of 1/16 to 1/8 of the count, so a track's search
// document is refreshed about 8 times per doubling of its plays (some 180
// times up to 10M plays).
func rankStep(n int64) int64 {
	if n < 16 {
		return n
	}
	shift := bits.Len64(uint64(n)) - 4
	return n >> shift << shift
}
