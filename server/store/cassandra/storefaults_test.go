package cassandra

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// attemptsMatching counts the calls whose CQL contains sub.
func (f *failingSession) attemptsMatching(sub string) (attempts, applied int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for cqlText, n := range f.attempts {
		if strings.Contains(cqlText, sub) {
			attempts += n
			applied += f.applied[cqlText]
		}
	}
	return attempts, applied
}

// TestStoreUnderFailingSession runs store operations against a real
// Cassandra with a failing session under the retry wrapper: a logged batch
// that applied but whose answer was lost is sent again and the operation
// succeeds with its rows written once; a batch that keeps timing out gives
// up after the configured attempts with an Unavailable error.
func TestStoreUnderFailingSession(t *testing.T) {
	ctx := t.Context()
	s, f := failingStore(t, "backbeat_faults",
		&fault{match: "INTO artist_follows_by_user", kind: applyThenTimeout, times: 1},
		&fault{match: "INTO artists_by_owner", kind: applyThenTimeout, times: 1},
		&fault{match: "FROM artist_follows_by_user WHERE", kind: timeoutBefore})
	st := s.Stores()

	// Create: the artist's insert is a lightweight transaction (not
	// retried); the owner index batch after it is, and the artist is
	// listed once.
	now := time.Now().UTC().Truncate(time.Millisecond)
	a := &domain.Artist{ID: domain.NewID(), Name: "Faulty", OwnerIDs: []string{"u1"}, CreateTime: now, UpdateTime: now}
	if err := st.Catalog.CreateArtist(ctx, a); err != nil {
		t.Fatalf("CreateArtist with an ambiguous index batch: %v", err)
	}
	owned, err := st.Catalog.ListArtistsByOwner(ctx, "u1")
	if err != nil || len(owned) != 1 || owned[0].ID != a.ID {
		t.Fatalf("artists of u1: %v, err %v; want the one created", owned, err)
	}

	// Follow: the batch applies, its answer is lost, the retry lands on
	// rows already there.
	if err := st.Users.FollowArtist(ctx, "u1", a.ID); err != nil {
		t.Fatalf("FollowArtist with an ambiguous batch: %v", err)
	}
	if attempts, applied := f.attemptsMatching("INTO artist_follows_by_user"); attempts != 2 || applied != 2 {
		t.Fatalf("follow batch: %d attempts, %d applied; want 2 and 2 (retried after the lost answer)", attempts, applied)
	}
	ids, _, err := st.Users.ListFollowedArtists(ctx, "u1", domain.Page{Size: 10})
	if err != nil || !slices.Equal(ids, []string{a.ID}) {
		t.Fatalf("followed artists %v, err %v; want the artist once", ids, err)
	}

	// Re-following rewrites the follow (delete old time, insert new) in a
	// batch that never gets through: the operation gives up after three
	// attempts, Unavailable, and the old follow stands.
	time.Sleep(2 * time.Millisecond) // a new follow time
	err = st.Users.FollowArtist(ctx, "u1", a.ID)
	if !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("FollowArtist with batches timing out: %v; want Unavailable", err)
	}
	if attempts, applied := f.attemptsMatching("FROM artist_follows_by_user WHERE"); attempts != 3 || applied != 0 {
		t.Fatalf("re-follow batch: %d attempts, %d applied; want 3 and 0", attempts, applied)
	}
	if ids, _, err := st.Users.ListFollowedArtists(ctx, "u1", domain.Page{Size: 10}); err != nil || !slices.Equal(ids, []string{a.ID}) {
		t.Fatalf("followed artists after the failed re-follow: %v, err %v; want the artist", ids, err)
	}
}

// TestSpeculativeReadsOnOneNode: with speculative execution firing at once,
// reads on a single node still get their answer (a missing track is
// NotFound), not the "no connections" of a speculative run that found no
// second host.
func TestSpeculativeReadsOnOneNode(t *testing.T) {
	cfg := migrateConfig(t, "backbeat_speculate")
	dropAfter(t, cfg)
	ctx := t.Context()
	if err := Migrate(ctx, cfg); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	cfg.SpeculativeDelay = time.Microsecond
	s, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st := s.Stores()
	for i := range 50 {
		if _, err := st.Catalog.GetTrack(ctx, "no-such-track"); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("read %d: %v; want NotFound", i, err)
		}
	}
}

// failingStore migrates a new keyspace named after prefix (dropped when the
// test ends) and opens a store on it whose statements go through a failing
// session with faults.
func failingStore(t *testing.T, prefix string, faults ...*fault) (*Store, *failingSession) {
	t.Helper()
	cfg := migrateConfig(t, prefix)
	dropAfter(t, cfg)
	ctx := t.Context()
	if err := Migrate(ctx, cfg); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	session, err := connect(ctx, cfg, cfg.Keyspace)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(session.Close)
	f := newFailingSession(driverSession{session}, faults...)
	return newStore(cfg, session, f), f
}

// TestWritePaths runs the write-path tests of issue 14 (claims, play counts,
// playlist entries) on one migrated keyspace, through one failing session:
// migrating a keyspace costs more than all of them.
func TestWritePaths(t *testing.T) {
	s, f := failingStore(t, "backbeat_writepaths")
	t.Run("Claims", func(t *testing.T) { testClaims(t, s, f) })
	t.Run("PlayCounts", func(t *testing.T) { testPlayCounts(t, s, f) })
	t.Run("PlaylistEntries", func(t *testing.T) { testPlaylistEntries(t, s, f) })
}
