package cassandra

import (
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/storetest"
)

// testPlayCounts runs the play path against a real Cassandra through a
// counting, failing session: a counted play costs two statements (the
// play's upsert and one logged batch), neither a read nor a lightweight
// transaction; the same count delivered twice, retried after its batch
// applied and timed out, counted later by another replica and earlier by
// another data centre (other buckets) adds one play; rolling up again adds
// nothing; and the count's move to another rank step appends the track to
// the search change feed.
func testPlayCounts(t *testing.T, s *Store, f *failingSession) {
	ctx := t.Context()
	st := s.Stores()
	now := time.Now().UTC().Truncate(time.Millisecond)
	u := &domain.User{ID: domain.NewID(), Username: "counter", CreateTime: now, UpdateTime: now}
	tr := &domain.Track{ID: domain.NewID(), Title: "Counted", Status: domain.TrackReady, PlayCount: 7, CreateTime: now, UpdateTime: now}
	if err := st.Users.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := st.Catalog.CreateTrack(ctx, tr); err != nil {
		t.Fatal(err)
	}
	playCount := func() int64 {
		t.Helper()
		got, err := st.Catalog.GetTrack(ctx, tr.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.PlayCount
	}
	calls := func() int {
		f.mu.Lock()
		defer f.mu.Unlock()
		n := 0
		for _, c := range f.attempts {
			n += c
		}
		return n
	}

	// One counted play: its statements.
	p := &domain.Play{UserID: u.ID, PlaybackID: domain.NewID(), TrackID: tr.ID, DeviceID: "phone", PlayTime: now}
	before := calls()
	if err := st.Plays.RecordPlay(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := st.Plays.CountPlay(ctx, u.ID, p.PlaybackID, tr.ID); err != nil {
		t.Fatal(err)
	}
	if n := calls() - before; n != 2 {
		t.Fatalf("a counted play took %d statements, want 2", n)
	}
	t.Logf("statements per counted play: %d (record: 1 upsert, count: 1 logged batch of 3 writes); before 011: 17 (2 LWT, 11 reads, 3 writes, 1 counter update)", calls()-before)

	// The same count again, and once more after its batch applied and its
	// answer was lost (the retry wrapper sends it again).
	f.setFaults(&fault{match: "INSERT INTO play_count_log", kind: applyThenTimeout, times: 1})
	if err := st.Plays.CountPlay(ctx, u.ID, p.PlaybackID, tr.ID); err != nil {
		t.Fatalf("CountPlay whose batch applied and timed out: %v", err)
	}
	f.setFaults()
	if attempts, applied := f.attemptsMatching("INSERT INTO play_count_log"); attempts != 3 || applied != 3 {
		t.Fatalf("count batches: %d attempts, %d applied; want 3 and 3", attempts, applied)
	}
	// The same play counted by a replica 30 s later (a retried report) and
	// by another data centre whose count is 30 s older but arrives now.
	ps := playStore{s}
	for _, at := range []time.Time{time.Now().Add(30 * time.Second), time.Now().Add(-30 * time.Second)} {
		if err := ps.countPlayAt(ctx, u.ID, p.PlaybackID, tr.ID, at); err != nil {
			t.Fatal(err)
		}
	}
	// Another play, counted once.
	q := &domain.Play{UserID: u.ID, PlaybackID: domain.NewID(), TrackID: tr.ID, PlayTime: now}
	if err := st.Plays.RecordPlay(ctx, q); err != nil {
		t.Fatal(err)
	}
	if err := st.Plays.CountPlay(ctx, u.ID, q.PlaybackID, tr.ID); err != nil {
		t.Fatal(err)
	}
	if n := playCount(); n != 7 {
		t.Fatalf("PlayCount before any rollup = %d, want 7 (counts are added by the rollup)", n)
	}
	// Roll up as of a minute from now, so every bucket written is closed.
	later := time.Now().Add(time.Minute)
	for range 2 {
		if err := s.rollupPlays(ctx, later, false); err != nil {
			t.Fatal(err)
		}
		if n := playCount(); n != 9 {
			t.Fatalf("PlayCount after rollup = %d, want 9 (7 + two plays, each once)", n)
		}
	}
	var through int64
	if err := s.session.Query(`SELECT through FROM play_rollup WHERE name = ?`, rollupLease).WithContext(ctx).Scan(&through); err != nil {
		t.Fatal(err)
	}
	if want := countBucketOf(later.Add(-countGrace)) - 1; through != want {
		t.Fatalf("checkpoint at bucket %d, want %d", through, want)
	}
	// 7 -> 9 is a move of rank step: the track is in the change feed.
	var kinds []string
	for _, at := range []time.Time{time.Now().Add(-feedBucket), time.Now()} {
		iter := s.session.Query(`SELECT kind, id FROM search_feed WHERE bucket = ? AND shard = ?`,
			feedBucketOf(at), feedShard(kindTrack, tr.ID)).WithContext(ctx).Iter()
		var kind, id string
		for iter.Scan(&kind, &id) {
			if id == tr.ID {
				kinds = append(kinds, kind)
			}
		}
		if err := iter.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(kinds) < 2 { // one from CreateTrack, one from the rollup
		t.Fatalf("feed records of the track: %v; want its creation's and the rollup's", kinds)
	}
	// The history shows both plays, counted.
	plays, _, err := st.Plays.ListPlays(ctx, u.ID, domain.Page{Size: 10})
	if err != nil || len(plays) != 2 || !plays[0].Counted || !plays[1].Counted || plays[1].PlaybackID != p.PlaybackID {
		t.Fatalf("history %+v, %v; want both plays, counted, newest first", plays, err)
	}
}

// BenchmarkReportPlayback prints ReportPlayback's store work on Cassandra in
// counted plays per second; compare with the embedded store's benchmark of
// the same name run in the same go test command.
func BenchmarkReportPlayback(b *testing.B) {
	s := openBenchStore(b, "backbeat_bench_report")
	storetest.BenchReport(b, s.Stores(), playStore{s}.RollupPlays)
}
