package domain_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// eventLog records the play events published.
type eventLog struct {
	mu     sync.Mutex
	events []domain.PlayEvent
}

func (l *eventLog) PublishPlayEvents(_ context.Context, _ string, es []domain.PlayEvent) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, es...)
	return nil
}

func (l *eventLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

// listening is a world with a playback service on a clock the test moves,
// a listener, and two ready tracks: a 3-minute song and a 12-second jingle.
type listening struct {
	*world
	pb            *domain.Playback
	log           *eventLog
	clock         time.Time
	fan, stranger domain.Principal
	song, jingle  *domain.Track
}

func newListening(t *testing.T, maxPerHour int) *listening {
	t.Helper()
	l := &listening{world: newWorld(t), log: &eventLog{}, clock: time.Date(2026, 12, 6, 20, 10, 0, 0, time.UTC)}
	l.pb = domain.NewPlaybackConfig(l.stores, nil, fakeSigner{}, l.log, domain.PlaybackConfig{
		MaxCountedPerHour: maxPerHour, Now: func() time.Time { return l.clock },
	})
	l.fan, l.stranger = l.listener(t, "fan"), l.listener(t, "stranger")
	ar := l.newArtist(t)
	l.song = l.readyTrack(t, ar.ID, 3*time.Minute)
	l.jingle = l.readyTrack(t, ar.ID, 12*time.Second)
	return l
}

func (l *listening) listener(t *testing.T, name string) domain.Principal {
	t.Helper()
	u := &domain.User{ID: domain.NewID(), Username: name, Email: name + "@example.com", Roles: []domain.Role{domain.RoleListener}}
	if err := l.stores.Users.CreateUser(l.ctx, u); err != nil {
		t.Fatal(err)
	}
	return domain.Principal{UserID: u.ID, Roles: u.Roles}
}

func (l *listening) readyTrack(t *testing.T, artistID string, d time.Duration) *domain.Track {
	t.Helper()
	tr := l.newTrack(t, artistID, "")
	job := domain.TranscodeJob{TrackID: tr.ID, UploadID: domain.NewID()}
	if err := l.media.TranscodeReady(l.ctx, job, d, domain.Loudness{}); err != nil {
		t.Fatal(err)
	}
	return tr
}

func (l *listening) start(t *testing.T, p domain.Principal, tr *domain.Track, pos time.Duration) string {
	t.Helper()
	st, err := l.pb.Start(l.ctx, p, tr.ID, domain.PlayContext{}, pos)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return st.PlaybackID
}

func ev(id string, tr *domain.Track, typ domain.PlayEventType, pos time.Duration) domain.PlayEvent {
	return domain.PlayEvent{PlaybackID: id, TrackID: tr.ID, Type: typ, Position: pos, DeviceID: "phone", OccurTime: time.Now()}
}

func (l *listening) report(t *testing.T, p domain.Principal, es ...domain.PlayEvent) {
	t.Helper()
	if err := l.pb.Report(l.ctx, p, es); err != nil {
		t.Fatalf("Report: %v", err)
	}
}

func (l *listening) playCount(t *testing.T, tr *domain.Track) int64 {
	t.Helper()
	got, err := l.stores.Catalog.GetTrack(l.ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got.PlayCount
}

func (l *listening) history(t *testing.T, p domain.Principal) []*domain.Play {
	t.Helper()
	plays, _, err := l.pb.RecentlyPlayed(l.ctx, p, domain.Page{Size: domain.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	return plays
}

func wantKind(t *testing.T, err error, k domain.Kind, field string) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != k || de.Field != field {
		t.Fatalf("error %v, want kind %v on field %q", err, k, field)
	}
}

// TestReportRefusesPlaybacksNotStartedByTheCaller reports made-up playback
// ids, another user's and a playback of another track: each refused, and
// the whole batch writes nothing, not even its valid events.
func TestReportRefusesPlaybacksNotStartedByTheCaller(t *testing.T) {
	l := newListening(t, 0)
	mine := l.start(t, l.fan, l.song, 0)
	theirs := l.start(t, l.stranger, l.song, 0)
	l.clock = l.clock.Add(time.Minute)
	good := ev(mine, l.song, domain.PlayEventEnd, 40*time.Second)
	for _, c := range []struct {
		name  string
		bad   domain.PlayEvent
		kind  domain.Kind
		field string
	}{
		{"made-up playback id", ev(domain.NewID(), l.song, domain.PlayEventEnd, 40*time.Second), domain.KindNotFound, ""},
		{"another user's playback", ev(theirs, l.song, domain.PlayEventEnd, 40*time.Second), domain.KindNotFound, ""},
		{"another track", ev(mine, l.jingle, domain.PlayEventEnd, 12*time.Second), domain.KindInvalid, "events[1].track_id"},
	} {
		err := l.pb.Report(l.ctx, l.fan, []domain.PlayEvent{good, c.bad})
		wantKind(t, err, c.kind, c.field)
		if n := l.playCount(t, l.song) + l.playCount(t, l.jingle); n != 0 {
			t.Fatalf("%s: play counts moved to %d", c.name, n)
		}
		if h := l.history(t, l.fan); len(h) != 0 {
			t.Fatalf("%s: history has %d plays", c.name, len(h))
		}
		if n := l.log.count(); n != 0 {
			t.Fatalf("%s: %d events published", c.name, n)
		}
	}
	// The stranger's own playback is theirs to report.
	l.report(t, l.stranger, ev(theirs, l.song, domain.PlayEventProgress, 31*time.Second))
	if n := l.playCount(t, l.song); n != 1 {
		t.Fatalf("play count %d after the stranger's own play, want 1", n)
	}
}

// TestReportExpiredPlayback refuses a playback past the report window.
func TestReportExpiredPlayback(t *testing.T) {
	l := newListening(t, 0)
	id := l.start(t, l.fan, l.song, 0)
	l.clock = l.clock.Add(domain.ReportWindow + time.Second)
	err := l.pb.Report(l.ctx, l.fan, []domain.PlayEvent{ev(id, l.song, domain.PlayEventEnd, 3*time.Minute)})
	wantKind(t, err, domain.KindNotFound, "")
}

// TestReportCountsOnlyWhatTheClockAllows: a play counts once it is heard
// for 30 s (a short track: to its end), and only if no more was heard
// than the time since StartPlayback allows; counted once, listed once.
func TestReportCountsOnlyWhatTheClockAllows(t *testing.T) {
	l := newListening(t, 0)
	id := l.start(t, l.fan, l.song, 0)

	l.clock = l.clock.Add(3 * time.Second)
	l.report(t, l.fan, ev(id, l.song, domain.PlayEventStart, 0), ev(id, l.song, domain.PlayEventEnd, 3*time.Minute))
	if n := l.playCount(t, l.song); n != 0 {
		t.Fatalf("a 3-minute play reported 3 s after it started counted: %d", n)
	}
	l.clock = l.clock.Add(20 * time.Second)
	l.report(t, l.fan, ev(id, l.song, domain.PlayEventProgress, 20*time.Second))
	if n := l.playCount(t, l.song); n != 0 {
		t.Fatalf("20 s of listening counted: %d", n)
	}
	l.clock = l.clock.Add(10 * time.Second) // 33 s since the start
	l.report(t, l.fan, ev(id, l.song, domain.PlayEventProgress, 31*time.Second))
	l.report(t, l.fan, ev(id, l.song, domain.PlayEventProgress, 31*time.Second)) // a retry
	l.clock = l.clock.Add(3 * time.Minute)
	l.report(t, l.fan, ev(id, l.song, domain.PlayEventEnd, 3*time.Minute))
	if n := l.playCount(t, l.song); n != 1 {
		t.Fatalf("play count %d, want 1 (one play, counted once)", n)
	}
	if h := l.history(t, l.fan); len(h) != 1 || !h[0].Counted {
		t.Fatalf("history %+v, want one counted play", h)
	}

	// A short track counts when heard to its end, not before its length.
	j := l.start(t, l.fan, l.jingle, 0)
	l.clock = l.clock.Add(2 * time.Second)
	l.report(t, l.fan, ev(j, l.jingle, domain.PlayEventEnd, 12*time.Second))
	if n := l.playCount(t, l.jingle); n != 0 {
		t.Fatalf("a 12 s track ended 2 s after it started counted: %d", n)
	}
	l.clock = l.clock.Add(10 * time.Second)
	l.report(t, l.fan, ev(j, l.jingle, domain.PlayEventEnd, 12*time.Second))
	if n := l.playCount(t, l.jingle); n != 1 {
		t.Fatalf("a 12 s track heard to its end: play count %d, want 1", n)
	}

	// Listening is counted from where the playback started: resumed at
	// 2:00, a position of 2:31 is 31 s heard.
	r := l.start(t, l.fan, l.song, 2*time.Minute)
	l.clock = l.clock.Add(25 * time.Second)
	l.report(t, l.fan, ev(r, l.song, domain.PlayEventProgress, 2*time.Minute+25*time.Second))
	if n := l.playCount(t, l.song); n != 1 {
		t.Fatalf("25 s heard after resuming counted: %d", n)
	}
	l.clock = l.clock.Add(10 * time.Second)
	l.report(t, l.fan, ev(r, l.song, domain.PlayEventProgress, 2*time.Minute+31*time.Second))
	if n := l.playCount(t, l.song); n != 2 {
		t.Fatalf("31 s heard after resuming: play count %d, want 2", n)
	}
}

// TestReportCapsCountedPlaysPerHour: past the cap, plays stay in the
// history, uncounted; the next hour counts again.
func TestReportCapsCountedPlaysPerHour(t *testing.T) {
	const maxPerHour = 3
	l := newListening(t, maxPerHour)
	var ids []string
	for range 5 {
		ids = append(ids, l.start(t, l.fan, l.song, 0))
	}
	l.clock = l.clock.Add(time.Minute)
	for _, id := range ids {
		l.report(t, l.fan, ev(id, l.song, domain.PlayEventProgress, 40*time.Second))
	}
	if n := l.playCount(t, l.song); n != maxPerHour {
		t.Fatalf("play count %d after 5 plays in one hour, want the cap %d", n, maxPerHour)
	}
	if h := l.history(t, l.fan); len(h) != 5 {
		t.Fatalf("history has %d plays, want all 5", len(h))
	}
	// Reported again, the plays over the cap still do not count.
	for _, id := range ids {
		l.report(t, l.fan, ev(id, l.song, domain.PlayEventEnd, 3*time.Minute))
	}
	if n := l.playCount(t, l.song); n != maxPerHour {
		t.Fatalf("play count %d after reporting again, want %d", n, maxPerHour)
	}
	// Another listener has a cap of their own.
	s := l.start(t, l.stranger, l.song, 0)
	l.clock = l.clock.Add(time.Hour)
	l.report(t, l.stranger, ev(s, l.song, domain.PlayEventProgress, 40*time.Second))
	next := l.start(t, l.fan, l.song, 0)
	l.clock = l.clock.Add(time.Minute)
	l.report(t, l.fan, ev(next, l.song, domain.PlayEventProgress, 40*time.Second))
	if n := l.playCount(t, l.song); n != maxPerHour+2 {
		t.Fatalf("play count %d, want %d (the stranger's play and the fan's next hour)", n, maxPerHour+2)
	}
}

// TestReportTracksGoneOrSilent: a play of a track deleted since is left
// out of the history; a playback of a track with no playable audio (never
// handed out by Start, so stored here directly) is refused.
func TestReportTracksGoneOrSilent(t *testing.T) {
	l := newListening(t, 0)
	id := l.start(t, l.fan, l.jingle, 0)
	if err := l.stores.Catalog.DeleteTrack(l.ctx, l.jingle.ID); err != nil {
		t.Fatal(err)
	}
	l.clock = l.clock.Add(time.Minute)
	l.report(t, l.fan, ev(id, l.jingle, domain.PlayEventEnd, 12*time.Second))
	if h := l.history(t, l.fan); len(h) != 0 {
		t.Fatalf("history of a deleted track: %+v", h)
	}

	silent := l.newTrack(t, l.newArtist(t).ID, "")
	if _, err := l.pb.Start(l.ctx, l.fan, silent.ID, domain.PlayContext{}, 0); !domain.IsKind(err, domain.KindFailedPrecondition) {
		t.Fatalf("Start of a track with no audio: %v", err)
	}
	sp := &domain.StartedPlayback{UserID: l.fan.UserID, PlaybackID: domain.NewID(), TrackID: silent.ID,
		StartTime: l.clock.Add(-time.Minute), ExpireTime: l.clock.Add(time.Hour)}
	if err := l.stores.Plays.CreatePlayback(l.ctx, sp); err != nil {
		t.Fatal(err)
	}
	err := l.pb.Report(l.ctx, l.fan, []domain.PlayEvent{ev(sp.PlaybackID, silent, domain.PlayEventProgress, 40*time.Second)})
	wantKind(t, err, domain.KindFailedPrecondition, "")
	if n := l.playCount(t, silent); n != 0 {
		t.Fatalf("a track with no audio got a play counted: %d", n)
	}
}
