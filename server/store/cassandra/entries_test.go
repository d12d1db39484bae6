package cassandra

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// testPlaylistEntries edits one playlist from many goroutines at once
// (moves, removes, adds) against a real Cassandra, then makes each edit's
// batch apply and time out, or never get through: the entries converge
// with no duplicate, ghost or lost entry, the count equals the rows, a
// removed entry stays removed, and an edit whose outcome a timeout hid is
// settled by the version, not undone.
func testPlaylistEntries(t *testing.T, s *Store, f *failingSession) {
	ctx := t.Context()
	st := s.Stores()
	now := time.Now().UTC().Truncate(time.Millisecond)
	tr := &domain.Track{ID: domain.NewID(), Title: "Song", Status: domain.TrackReady, CreateTime: now, UpdateTime: now}
	if err := st.Catalog.CreateTrack(ctx, tr); err != nil {
		t.Fatal(err)
	}
	newPlaylist := func() string {
		t.Helper()
		pl := &domain.Playlist{ID: domain.NewID(), OwnerID: "owner", Name: "Edited", CreateTime: now, UpdateTime: now}
		if err := st.Playlists.CreatePlaylist(ctx, pl); err != nil {
			t.Fatal(err)
		}
		return pl.ID
	}
	newEntries := func(n int) []*domain.PlaylistEntry {
		out := make([]*domain.PlaylistEntry, n)
		for i := range out {
			out[i] = &domain.PlaylistEntry{ID: domain.NewID(), TrackID: tr.ID, AddedBy: "owner", AddTime: now}
		}
		return out
	}
	// listed returns the playlist's entry ids in order, checking that the
	// count and the by-id rows agree with them.
	listed := func(t *testing.T, id string) []string {
		t.Helper()
		var ids []string
		for token := ""; ; {
			page, next, err := st.Playlists.ListEntries(ctx, id, domain.Page{Size: 100, Token: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page {
				ids = append(ids, e.ID)
			}
			if token = next; token == "" {
				break
			}
		}
		if dup := duplicate(ids); dup != "" {
			t.Fatalf("entry %s listed twice in %v", dup, ids)
		}
		pl, err := st.Playlists.GetPlaylist(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if pl.TrackCount != len(ids) {
			t.Fatalf("TrackCount %d, but %d entries listed", pl.TrackCount, len(ids))
		}
		byID, err := playlistStore{s}.allEntries(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(byID) != len(ids) {
			t.Fatalf("%d by-id rows for %d entries listed", len(byID), len(ids))
		}
		return ids
	}

	// race runs each of fns at once, once, and returns their errors.
	race := func(fns ...func() error) []error {
		errs := make([]error, len(fns))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, fn := range fns {
			wg.Go(func() {
				<-start
				errs[i] = fn()
			})
		}
		close(start)
		wg.Wait()
		return errs
	}
	refused := func(err error) bool {
		return err == nil || domain.IsKind(err, domain.KindNotFound)
	}

	t.Run("MovesOfOneEntry", func(t *testing.T) {
		id := newPlaylist()
		add := newEntries(10)
		if err := st.Playlists.AddEntries(ctx, id, add, -1); err != nil {
			t.Fatal(err)
		}
		var moves []func() error
		for i := 1; i < len(add); i++ {
			moves = append(moves, func() error { return st.Playlists.MoveEntries(ctx, id, []string{add[0].ID}, add[i].ID) })
		}
		for i, err := range race(moves...) {
			if err != nil {
				t.Errorf("move %d: %v", i, err)
			}
		}
		if got := listed(t, id); len(got) != len(add) {
			t.Fatalf("entries %v after concurrent moves of one, want %d", got, len(add))
		}
	})

	t.Run("MovesRacingRemove", func(t *testing.T) {
		id := newPlaylist()
		add := newEntries(10)
		if err := st.Playlists.AddEntries(ctx, id, add, -1); err != nil {
			t.Fatal(err)
		}
		var fns []func() error
		for i := 1; i < len(add); i++ {
			fns = append(fns, func() error { return st.Playlists.MoveEntries(ctx, id, []string{add[0].ID}, add[i].ID) })
			if i%2 == 0 {
				fns = append(fns, func() error { return st.Playlists.RemoveEntries(ctx, id, []string{add[0].ID}) })
			}
		}
		for i, err := range race(fns...) {
			if !refused(err) {
				t.Errorf("edit %d: %v", i, err)
			}
		}
		got := listed(t, id)
		if slices.Contains(got, add[0].ID) || len(got) != len(add)-1 {
			t.Fatalf("entries %v: want the removed entry gone and the other %d", got, len(add)-1)
		}
	})

	t.Run("Mixed", func(t *testing.T) {
		id := newPlaylist()
		seed := newEntries(8)
		if err := st.Playlists.AddEntries(ctx, id, seed, -1); err != nil {
			t.Fatal(err)
		}
		var (
			mu      sync.Mutex
			live    []string // entries added and not (yet) removed
			removed = map[string]bool{}
			wg      sync.WaitGroup
		)
		for _, e := range seed {
			live = append(live, e.ID)
		}
		pick := func(r *rand.Rand) string {
			mu.Lock()
			defer mu.Unlock()
			return live[r.IntN(len(live))]
		}
		const workers, ops = 8, 12
		errs := make(chan error, workers*ops)
		for w := range workers {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(w), 14))
				for range ops {
					var err error
					switch r.IntN(3) {
					case 0:
						err = st.Playlists.MoveEntries(ctx, id, []string{pick(r)}, pick(r))
					case 1:
						victim := pick(r)
						if err = st.Playlists.RemoveEntries(ctx, id, []string{victim}); err == nil {
							mu.Lock()
							removed[victim] = true
							live = slices.DeleteFunc(live, func(x string) bool { return x == victim })
							mu.Unlock()
						}
					default:
						add := newEntries(2)
						if err = st.Playlists.AddEntries(ctx, id, add, r.IntN(20)); err == nil {
							mu.Lock()
							live = append(live, add[0].ID, add[1].ID)
							mu.Unlock()
						}
					}
					// Another worker removing the entry first, or a move
					// onto itself, is a refusal, not a failure.
					if err != nil && !domain.IsKind(err, domain.KindNotFound) && !domain.IsKind(err, domain.KindInvalid) {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("edit: %v", err)
		}
		got := listed(t, id)
		for _, e := range got {
			if removed[e] {
				t.Errorf("removed entry %s is back", e)
			}
		}
		if !sameSet(got, live) {
			t.Fatalf("entries %v, want the %d added and not removed %v", got, len(live), live)
		}
	})

	t.Run("AddAppliedThenTimedOut", func(t *testing.T) {
		id := newPlaylist()
		f.setFaults(&fault{match: "IF version", kind: applyThenTimeout, times: 1})
		add := newEntries(3)
		if err := st.Playlists.AddEntries(ctx, id, add, -1); err != nil {
			t.Fatalf("AddEntries whose batch applied and timed out: %v; want it settled as added", err)
		}
		f.setFaults()
		if got := listed(t, id); !slices.Equal(got, []string{add[0].ID, add[1].ID, add[2].ID}) {
			t.Fatalf("entries %v, want the three added once", got)
		}
		if n := usesOf(t, s, tr.ID, id); n != 3 {
			t.Fatalf("%d track-use rows, want 3", n)
		}
	})

	t.Run("AddNeverApplied", func(t *testing.T) {
		id := newPlaylist()
		keep := newEntries(1)
		if err := st.Playlists.AddEntries(ctx, id, keep, -1); err != nil {
			t.Fatal(err)
		}
		f.setFaults(&fault{match: "IF version", kind: failWith, err: errInvalid, times: 1})
		if err := st.Playlists.AddEntries(ctx, id, newEntries(2), -1); err == nil {
			t.Fatal("AddEntries whose batch failed: nil error")
		}
		f.setFaults()
		if got := listed(t, id); !slices.Equal(got, []string{keep[0].ID}) {
			t.Fatalf("entries %v, want only the first", got)
		}
		if n := usesOf(t, s, tr.ID, id); n != 1 {
			t.Fatalf("%d track-use rows after a failed add, want 1 (its own taken back)", n)
		}
	})

	t.Run("RemoveAndMoveAppliedThenTimedOut", func(t *testing.T) {
		id := newPlaylist()
		add := newEntries(4)
		if err := st.Playlists.AddEntries(ctx, id, add, -1); err != nil {
			t.Fatal(err)
		}
		f.setFaults(&fault{match: "IF version", kind: applyThenTimeout, times: 1})
		if err := st.Playlists.RemoveEntries(ctx, id, []string{add[1].ID}); err != nil {
			t.Fatalf("RemoveEntries whose batch applied and timed out: %v; want it settled as removed", err)
		}
		f.setFaults(&fault{match: "IF version", kind: applyThenTimeout, times: 1})
		if err := st.Playlists.MoveEntries(ctx, id, []string{add[3].ID}, add[0].ID); err != nil {
			t.Fatalf("MoveEntries whose batch applied and timed out: %v", err)
		}
		f.setFaults()
		if got, want := listed(t, id), []string{add[3].ID, add[0].ID, add[2].ID}; !slices.Equal(got, want) {
			t.Fatalf("entries %v, want %v", got, want)
		}
		if err := st.Playlists.RemoveEntries(ctx, id, []string{add[1].ID}); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("removing the removed entry again: %v; want NotFound", err)
		}
		if n := usesOf(t, s, tr.ID, id); n != 3 {
			t.Fatalf("%d track-use rows, want 3", n)
		}
	})
}

// usesOf counts the track-use rows of the playlist for the track.
func usesOf(t *testing.T, s *Store, trackID, playlistID string) int {
	t.Helper()
	var n int
	if err := s.session.Query(`SELECT COUNT(*) FROM playlists_by_track WHERE track_id = ? AND shard = ? AND playlist_id = ?`,
		trackID, shardOf(playlistID, useShards), playlistID).WithContext(t.Context()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func duplicate(ids []string) string {
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return id
		}
		seen[id] = true
	}
	return ""
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
