package queue

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/backbeat/backbeat/server/domain"
)

func TestPlaySubject(t *testing.T) {
	id := domain.NewID()
	for in, want := range map[string]string{
		id:           PlaySubjectPrefix + id,
		"Ab-9_z":     PlaySubjectPrefix + "Ab-9_z",
		"a.b":        PlaySubjectPrefix + "~YS5i",
		"*":          PlaySubjectPrefix + "~Kg",
		"~YS5i":      PlaySubjectPrefix + "~fllTNWk",
		"":           PlaySubjectPrefix + "~",
		"user@x.org": PlaySubjectPrefix + "~dXNlckB4Lm9yZw",
	} {
		if got := PlaySubject(in); got != want {
			t.Errorf("PlaySubject(%q) = %q, want %q", in, got, want)
		}
	}
}

// readPlays reads every play event of userID with an ordered (ephemeral)
// consumer, as an analytics consumer would.
func readPlays(t *testing.T, b *Broker, userID string) []domain.PlayEvent {
	t.Helper()
	ctx := testCtx(t)
	c, err := b.js.OrderedConsumer(ctx, PlaysStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{PlaySubject(userID)},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []domain.PlayEvent
	for {
		batch, err := c.Fetch(100, jetstream.FetchMaxWait(300*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			if m.Subject() != PlaySubject(userID) {
				t.Fatalf("subject %q, want %q", m.Subject(), PlaySubject(userID))
			}
			var e domain.PlayEvent
			if err := json.Unmarshal(m.Data(), &e); err != nil {
				t.Fatalf("decode %q: %v", m.Data(), err)
			}
			out = append(out, e)
		}
		if err := batch.Error(); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return out
		}
	}
}

func playEvents(userID, playbackID string, n int, t0 time.Time) []domain.PlayEvent {
	evs := make([]domain.PlayEvent, n)
	for i := range evs {
		typ := domain.PlayEventProgress
		switch i {
		case 0:
			typ = domain.PlayEventStart
		case n - 1:
			typ = domain.PlayEventEnd
		}
		evs[i] = domain.PlayEvent{
			UserID:     userID,
			PlaybackID: playbackID,
			TrackID:    "track-1",
			Type:       typ,
			Position:   time.Duration(i) * 10 * time.Second,
			DeviceID:   "phone",
			OccurTime:  t0.Add(time.Duration(i) * 10 * time.Second).UTC(),
		}
	}
	return evs
}

func TestPlayEventsPerUserOrder(t *testing.T) {
	t.Parallel()
	log := testLogger(t)
	b := openEmbedded(t, log, t.TempDir(), "")
	ctx := testCtx(t)

	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	u1, u2, odd := domain.NewID(), domain.NewID(), "oidc|someone.else@example.org"
	u1a := playEvents(u1, "pb-1", 5, t0)
	u2a := playEvents(u2, "pb-2", 3, t0)
	u1b := playEvents(u1, "pb-3", 400, t0.Add(time.Hour)) // more than one publish chunk
	oddEv := playEvents("", "pb-4", 2, t0)                // UserID filled in from the argument
	for _, p := range []struct {
		user string
		evs  []domain.PlayEvent
	}{{u1, u1a}, {u2, u2a}, {u1, u1b}, {odd, oddEv}, {u1, u1a[:2]} /* a client retry */} {
		if err := b.PublishPlayEvents(ctx, p.user, p.evs); err != nil {
			t.Fatalf("PublishPlayEvents(%s): %v", p.user, err)
		}
	}
	if err := b.PublishPlayEvents(ctx, u1, nil); err != nil {
		t.Fatalf("PublishPlayEvents(no events) = %v", err)
	}
	if err := b.PublishPlayEvents(ctx, "", u1a); err == nil {
		t.Fatal("PublishPlayEvents without user id succeeded")
	}

	check := func(user string, want []domain.PlayEvent) {
		t.Helper()
		got := readPlays(t, b, user)
		if len(got) != len(want) {
			t.Fatalf("user %s: %d events, want %d", user, len(got), len(want))
		}
		for i := range want {
			w := want[i]
			w.UserID = user
			if g := got[i]; g.UserID != w.UserID || g.PlaybackID != w.PlaybackID || g.Type != w.Type ||
				g.Position != w.Position || !g.OccurTime.Equal(w.OccurTime) || g.TrackID != w.TrackID || g.DeviceID != w.DeviceID {
				t.Fatalf("user %s event %d = %+v, want %+v", user, i, g, w)
			}
		}
	}
	check(u1, append(append([]domain.PlayEvent(nil), u1a...), u1b...))
	check(u2, u2a)
	check(odd, oddEv)
}

func TestPlayEventsAfterClose(t *testing.T) {
	t.Parallel()
	log := testLogger(t)
	b, err := Open(testCtx(t), Config{StoreDir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	err = b.PublishPlayEvents(context.Background(), "u", playEvents("u", "pb", 1, time.Now()))
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("PublishPlayEvents after Close = %v, want ErrClosed", err)
	}
}
