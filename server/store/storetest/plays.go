package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

var playTests = []test{
	{"Play/RecordOnce", testRecordPlayOnce},
	{"Play/CountOnce", testCountPlayOnce},
	{"Play/CountDeletedTrack", testCountDeletedTrack},
	{"Play/ListNewestFirst", testListPlays},
	{"Play/ListSameTime", testListPlaysSameTime},
	{"Play/SearchRankFollowsPlays", testSearchRankFollowsPlays},
	{"Play/StartedPlayback", testStartedPlayback},
	{"Play/CountedPlaysInRange", testCountedPlays},
	{"Cascade/DeleteUserPlays", testDeleteUserPlays},
	{"Concurrent/RecordPlay", testConcurrentRecordPlay},
	{"Concurrent/CountPlay", testConcurrentCountPlay},
	{"Concurrent/CountManyPlays", testConcurrentCountManyPlays},
}

func testRecordPlayOnce(t *testing.T, f *fixture) {
	u, other := f.user("listener"), f.user("other")
	ts := f.tracks(1)
	p := f.newPlay(u, ts[0])
	must(t, f.s.Plays.RecordPlay(f.ctx, p))
	must(t, f.s.Plays.RecordPlay(f.ctx, p)) // the same event delivered again
	wantEqual(t, "plays", f.plays(u.ID), []*domain.Play{p})
	// The same playback again, as a later event of the play reports it:
	// still one play, showing one of the events.
	again := *p
	again.DeviceID, again.PlayTime = "elsewhere", f.now()
	must(t, f.s.Plays.RecordPlay(f.ctx, &again))
	got := f.plays(u.ID)
	if len(got) != 1 || got[0].PlaybackID != p.PlaybackID || got[0].TrackID != p.TrackID ||
		!(got[0].PlayTime.Equal(p.PlayTime) || got[0].PlayTime.Equal(again.PlayTime)) {
		t.Fatalf("plays after a second event: %+v; want the one play", got)
	}

	// Playback ids are the user's: another user's play with the same id is
	// another play.
	theirs := *p
	theirs.UserID = other.ID
	must(t, f.s.Plays.RecordPlay(f.ctx, &theirs))
	wantEqual(t, "other user's plays", f.plays(other.ID), []*domain.Play{&theirs})
	if n := len(f.plays(u.ID)); n != 1 {
		t.Fatalf("first user has %d plays after another's, want 1", n)
	}
}

func testCountPlayOnce(t *testing.T, f *fixture) {
	u := f.user("listener")
	ar := f.artist("Counted")
	tr := f.newTrack("Counted Song", f.album("Counted", ar), ar)
	tr.PlayCount = 1000 // an imported history the counted plays add to
	must(t, f.s.Catalog.CreateTrack(f.ctx, tr))
	bystander := f.track("Not Played", nil, ar)
	p1, p2 := f.play(u, tr), f.play(u, tr)

	count := func(p *domain.Play, want int64) {
		t.Helper()
		must(t, f.s.Plays.CountPlay(f.ctx, u.ID, p.PlaybackID, p.TrackID))
		if n := f.playCount(tr.ID); n != want {
			t.Fatalf("PlayCount = %d, want %d", n, want)
		}
	}
	count(p1, 1001)
	count(p1, 1001) // counting one play twice counts it once
	count(p2, 1002)
	if n := f.playCount(bystander.ID); n != 0 {
		t.Fatalf("PlayCount of a track not played = %d, want 0", n)
	}
	p1.Counted, p2.Counted = true, true
	wantEqual(t, "plays", f.plays(u.ID), []*domain.Play{p2, p1})

	// Recording a counted play again leaves it counted, and counted once.
	must(t, f.s.Plays.RecordPlay(f.ctx, p1))
	wantEqual(t, "plays after recording again", f.plays(u.ID), []*domain.Play{p2, p1})
	count(p1, 1002)

	// UpdateTrack keeps the count.
	tr.Title, tr.UpdateTime = "Counted Song (Edit)", f.now()
	must(t, f.s.Catalog.UpdateTrack(f.ctx, tr))
	if n := f.playCount(tr.ID); n != 1002 {
		t.Fatalf("PlayCount after UpdateTrack = %d, want 1002", n)
	}
	count(f.play(u, tr), 1003)
}

// testCountDeletedTrack counts a play whose track was deleted since: the
// play is marked counted, and no track comes back.
func testCountDeletedTrack(t *testing.T, f *fixture) {
	u := f.user("listener")
	ts := f.tracks(2)
	p := f.play(u, ts[0])
	must(t, f.s.Catalog.DeleteTrack(f.ctx, ts[0].ID))
	must(t, f.s.Plays.CountPlay(f.ctx, u.ID, p.PlaybackID, p.TrackID))
	must(t, f.s.Plays.CountPlay(f.ctx, u.ID, p.PlaybackID, p.TrackID))
	f.settleCounts()
	_, err := f.s.Catalog.GetTrack(f.ctx, ts[0].ID)
	wantKind(t, err, domain.KindNotFound)
	got, err := f.s.Catalog.BatchGetTracks(f.ctx, []string{ts[0].ID, ts[1].ID})
	must(t, err)
	wantIDs(t, "BatchGetTracks", ids(got, trackID), []string{ts[1].ID})
	p.Counted = true
	wantEqual(t, "plays", f.plays(u.ID), []*domain.Play{p})
}

// testListPlays records plays out of time order, for two users: each lists
// only their own, newest PlayTime first, whatever the page size.
func testListPlays(t *testing.T, f *fixture) {
	u, other := f.user("listener"), f.user("other")
	ts := f.tracks(3)
	var plays []*domain.Play
	for i := range 9 {
		plays = append(plays, f.newPlay(u, ts[i%len(ts)]))
		f.play(other, ts[0])
	}
	order := []int{4, 0, 8, 2, 6, 1, 7, 3, 5}
	for _, i := range order {
		must(t, f.s.Plays.RecordPlay(f.ctx, plays[i]))
	}
	slices.Reverse(plays) // newest first
	want := ids(plays, playbackID)
	for size := 1; size <= len(plays)+1; size++ {
		wantIDs(t, fmt.Sprintf("size %d", size), collect(t, size, func(p domain.Page) ([]string, string, error) {
			ps, next, err := f.s.Plays.ListPlays(f.ctx, u.ID, p)
			return ids(ps, playbackID), next, err
		}), want)
	}
	wantEqual(t, "plays", f.plays(u.ID), plays)
	if n := len(f.plays(other.ID)); n != 9 {
		t.Fatalf("other user has %d plays, want 9", n)
	}
	wantEqual(t, "a stranger's plays", f.plays(f.user("stranger").ID), []*domain.Play(nil))

	page, next, err := f.s.Plays.ListPlays(f.ctx, u.ID, domain.Page{Size: len(plays)})
	must(t, err)
	if len(page) != len(plays) || next != "" {
		t.Fatalf("page of exactly all plays: %d plays, next %q; want no next token", len(page), next)
	}
	for _, garbage := range []string{"garbage", "%%%", "eyJ4IjoxfQ"} {
		_, _, err := f.s.Plays.ListPlays(f.ctx, u.ID, domain.Page{Size: 2, Token: garbage})
		wantField(t, err, domain.KindInvalid, "page_token")
	}
	_, token, err := f.s.Plays.ListPlays(f.ctx, u.ID, domain.Page{Size: 2})
	must(t, err)
	for _, forged := range forgeTokens(t, token) {
		wantForgedRefused(t, forged, func(p domain.Page) ([]string, string, error) {
			ps, next, err := f.s.Plays.ListPlays(f.ctx, u.ID, p)
			return ids(ps, playbackID), next, err
		})
	}
	// A token of another list is refused.
	_, token, err = f.s.Catalog.ListTracks(f.ctx, domain.Page{Size: 1})
	must(t, err)
	_, _, err = f.s.Plays.ListPlays(f.ctx, u.ID, domain.Page{Size: 2, Token: token})
	wantField(t, err, domain.KindInvalid, "page_token")
	_, _, err = f.s.Plays.ListPlays(f.ctx, u.ID, domain.Page{Size: 0})
	wantField(t, err, domain.KindInvalid, "page_size")
}

// testListPlaysSameTime pages through plays sharing a PlayTime (a store
// keeps milliseconds; devices report seconds): every play once, at every
// page size.
func testListPlaysSameTime(t *testing.T, f *fixture) {
	u := f.user("listener")
	tr := f.tracks(1)[0]
	older, same := f.play(u, tr), f.now()
	var want []string
	for range 5 {
		p := f.newPlay(u, tr)
		p.PlayTime = same
		must(t, f.s.Plays.RecordPlay(f.ctx, p))
		want = append(want, p.PlaybackID)
	}
	newer := f.play(u, tr)
	for size := 1; size <= 8; size++ {
		got := collect(t, size, func(p domain.Page) ([]string, string, error) {
			ps, next, err := f.s.Plays.ListPlays(f.ctx, u.ID, p)
			return ids(ps, playbackID), next, err
		})
		if len(got) != 7 || got[0] != newer.PlaybackID || got[6] != older.PlaybackID {
			t.Fatalf("size %d: got %q; want %s first, %s last", size, got, newer.PlaybackID, older.PlaybackID)
		}
		wantIDs(t, fmt.Sprintf("size %d, same-time plays sorted", size), sorted(got[1:6]), sorted(want))
	}
}

// testSearchRankFollowsPlays checks that counted plays rank tracks that
// match a query equally well.
func testSearchRankFollowsPlays(t *testing.T, f *fixture) {
	if _, ok := f.s.Plays.(interface{ PopularityThroughFeed() }); ok {
		t.Skip("this store's play counts reach search through its change feed (an external engine ranks)")
	}
	u := f.user("listener")
	ar := f.artist("Cover Band")
	al := f.album("Covers", ar)
	a, b := f.track("Anthem", al, ar), f.track("Anthem", al, ar)
	count := func(tr *domain.Track, n int) {
		t.Helper()
		for range n {
			p := f.play(u, tr)
			must(t, f.s.Plays.CountPlay(f.ctx, u.ID, p.PlaybackID, p.TrackID))
		}
		f.settleCounts()
	}
	count(b, 2)
	wantIDs(t, "after plays of b", hitIDs(f.search("anthem", domain.ItemTrack)), []string{b.ID, a.ID})
	count(a, 3)
	wantIDs(t, "after more plays of a", hitIDs(f.search("anthem", domain.ItemTrack)), []string{a.ID, b.ID})
	hits := f.search("anthem", domain.ItemTrack)
	if hits[0].Track.PlayCount != 3 || hits[1].Track.PlayCount != 2 {
		t.Fatalf("hits' PlayCounts = %d, %d; want 3, 2", hits[0].Track.PlayCount, hits[1].Track.PlayCount)
	}
}

func testDeleteUserPlays(t *testing.T, f *fixture) {
	u, keep := f.user("leaving"), f.user("staying")
	tr := f.tracks(1)[0]
	p := f.play(u, tr)
	f.play(u, tr)
	kept := f.play(keep, tr)
	must(t, f.s.Plays.CountPlay(f.ctx, u.ID, p.PlaybackID, p.TrackID))

	started := f.startPlayback(u, tr)
	keptStart := f.startPlayback(keep, tr)

	must(t, f.s.Users.DeleteUser(f.ctx, u.ID))
	_, err := f.s.Plays.GetPlayback(f.ctx, u.ID, started.PlaybackID)
	wantKind(t, err, domain.KindNotFound)
	wantEqual(t, "deleted user's plays", f.plays(u.ID), []*domain.Play(nil))
	got, err := f.s.Plays.GetPlayback(f.ctx, keep.ID, keptStart.PlaybackID)
	must(t, err)
	wantEqual(t, "other user's started playback", got, keptStart)
	wantEqual(t, "other user's plays", f.plays(keep.ID), []*domain.Play{kept})
	// Counted plays stay in the track's count.
	if n := f.playCount(tr.ID); n != 1 {
		t.Fatalf("PlayCount after DeleteUser = %d, want 1", n)
	}
}

// testConcurrentRecordPlay races recordings of one playback, each event its
// own time: one play is listed, showing one of them.
func testConcurrentRecordPlay(t *testing.T, f *fixture) {
	const n = 8
	u := f.user("listener")
	tr := f.tracks(1)[0]
	first := f.newPlay(u, tr)
	plays := make([]*domain.Play, n)
	for i := range plays {
		p := *first
		p.PlayTime = first.PlayTime.Add(time.Duration(i) * time.Second) // each event its own time
		plays[i] = &p
	}
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range plays {
		wg.Go(func() {
			<-start
			errs[i] = f.s.Plays.RecordPlay(f.ctx, plays[i])
		})
	}
	close(start)
	wg.Wait()
	for i := range plays {
		must(t, errs[i])
	}
	got := f.plays(u.ID)
	if len(got) != 1 || !slices.ContainsFunc(plays, func(p *domain.Play) bool { return reflect.DeepEqual(p, got[0]) }) {
		t.Fatalf("plays after concurrent recordings: %+v; want one of the recorded events", got)
	}
}

// testConcurrentCountPlay races counts of one play: the track's count goes
// up by one.
func testConcurrentCountPlay(t *testing.T, f *fixture) {
	const n = 8
	u := f.user("listener")
	tr := f.tracks(1)[0]
	p := f.play(u, tr)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f.s.Plays.CountPlay(f.ctx, u.ID, p.PlaybackID, p.TrackID)
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		must(t, errs[i])
	}
	if got := f.playCount(tr.ID); got != 1 {
		t.Fatalf("PlayCount = %d, want 1", got)
	}
	p.Counted = true
	wantEqual(t, "plays", f.plays(u.ID), []*domain.Play{p})
}

// testConcurrentCountManyPlays counts many plays of one track at once, by
// several users: each play counts once, none is lost.
func testConcurrentCountManyPlays(t *testing.T, f *fixture) {
	const users, playsEach = 4, 5
	tr := f.tracks(1)[0]
	type ref struct{ user, playback, track string }
	var refs []ref
	for i := range users {
		u := f.user(fmt.Sprintf("fan%d", i))
		for range playsEach {
			refs = append(refs, ref{u.ID, f.play(u, tr).PlaybackID, tr.ID})
		}
	}
	errs := make(chan error, 2*len(refs))
	var wg sync.WaitGroup
	for _, r := range refs {
		for range 2 { // each play counted twice, at once
			wg.Go(func() {
				errs <- f.s.Plays.CountPlay(f.ctx, r.user, r.playback, r.track)
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	if got := f.playCount(tr.ID); got != int64(len(refs)) {
		t.Fatalf("PlayCount = %d, want %d", got, len(refs))
	}
}

// startPlayback stores a new started playback of tr by u, starting now at
// 1.5 s into the track and expiring a day later.
func (f *fixture) startPlayback(u *domain.User, tr *domain.Track) *domain.StartedPlayback {
	f.t.Helper()
	at := f.now()
	sp := &domain.StartedPlayback{
		UserID: u.ID, PlaybackID: f.id(), TrackID: tr.ID, Position: 1500 * time.Millisecond,
		StartTime: at, ExpireTime: at.Add(24 * time.Hour),
	}
	must(f.t, f.s.Plays.CreatePlayback(f.ctx, sp))
	return sp
}

// testStartedPlayback stores started playbacks and reads them back: each
// as stored, and only for the user it was started by.
func testStartedPlayback(t *testing.T, f *fixture) {
	u, other := f.user("listener"), f.user("other")
	ts := f.tracks(2)
	a, b := f.startPlayback(u, ts[0]), f.startPlayback(u, ts[1])
	theirs := f.startPlayback(other, ts[0])
	for _, sp := range []*domain.StartedPlayback{a, b, theirs} {
		got, err := f.s.Plays.GetPlayback(f.ctx, sp.UserID, sp.PlaybackID)
		must(t, err)
		wantEqual(t, "started playback", got, sp)
	}
	_, err := f.s.Plays.GetPlayback(f.ctx, u.ID, f.id())
	wantKind(t, err, domain.KindNotFound)
	// Another user's playback id is not found, whoever asks.
	_, err = f.s.Plays.GetPlayback(f.ctx, other.ID, a.PlaybackID)
	wantKind(t, err, domain.KindNotFound)
	_, err = f.s.Plays.GetPlayback(f.ctx, u.ID, theirs.PlaybackID)
	wantKind(t, err, domain.KindNotFound)
	// Starting a playback is not a play: nothing in the history, no count.
	wantEqual(t, "plays", f.plays(u.ID), []*domain.Play(nil))
	if n := f.playCount(ts[0].ID); n != 0 {
		t.Fatalf("PlayCount after starting playbacks = %d, want 0", n)
	}
}

// testCountedPlays counts counted plays by playback id range: [from, to),
// the user's own only, uncounted plays not at all.
func testCountedPlays(t *testing.T, f *fixture) {
	u, other := f.user("listener"), f.user("other")
	tr := f.tracks(1)[0]
	var ps []*domain.Play
	for range 6 {
		ps = append(ps, f.play(u, tr))
		f.play(other, tr)
	}
	for _, i := range []int{0, 1, 3, 5} {
		must(t, f.s.Plays.CountPlay(f.ctx, u.ID, ps[i].PlaybackID, tr.ID))
	}
	theirs := f.play(other, tr)
	must(t, f.s.Plays.CountPlay(f.ctx, other.ID, theirs.PlaybackID, tr.ID))
	for _, c := range []struct {
		from, to string
		want     int
	}{
		{ps[0].PlaybackID, f.id(), 4},
		{ps[1].PlaybackID, ps[5].PlaybackID, 2}, // to is excluded
		{ps[2].PlaybackID, ps[3].PlaybackID, 0},
		{ps[5].PlaybackID, ps[5].PlaybackID, 0},
		{"0", "z", 4},
	} {
		n, err := f.s.Plays.CountedPlays(f.ctx, u.ID, c.from, c.to)
		must(t, err)
		if n != c.want {
			t.Fatalf("CountedPlays(%s, %s) = %d, want %d", c.from, c.to, n, c.want)
		}
	}
	n, err := f.s.Plays.CountedPlays(f.ctx, f.user("stranger").ID, "0", "z")
	must(t, err)
	if n != 0 {
		t.Fatalf("CountedPlays of a user with no plays = %d", n)
	}
}
