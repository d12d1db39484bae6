package e2e

import (
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/domain"
)

// TestPlayCountsCannotBeFaked reports playbacks the server never started,
// another user's playback, another track's, and a whole play heard in no
// time, against the real binary: each is refused or not counted, and the
// track's count moves only for a play whose listening the clock allows,
// once however often it is reported.
func TestPlayCountsCannotBeFaked(t *testing.T) {
	requireE2E(t)
	requireFFmpeg(t)
	s := startServer(t, t.TempDir())
	st := newStudio(t, s)
	ctx := apptest.Context(t)
	const seconds = 12
	trackID := st.track(t, "Counted Tune", 1)
	otherID := st.track(t, "Other Tune", 2)
	if _, code, body := st.upload(t, trackID, makeAudio(t, t.TempDir(), "in.flac", seconds)); code != http.StatusOK {
		t.Fatalf("upload: %d %s", code, body)
	}
	if tr := waitTrack(t, st.fan, trackID, 2*time.Minute); tr.DurationMs < 11_000 {
		t.Fatalf("track not ready: %v %s (%d ms)", tr.Status, tr.StatusReason, tr.DurationMs)
	}
	ev := func(id, track string, typ playbackv1.EventType, posMs int64) *playbackv1.PlaybackEvent {
		return &playbackv1.PlaybackEvent{PlaybackId: id, TrackId: track, Type: typ, PositionMs: posMs}
	}
	report := func(c apptest.API, evs ...*playbackv1.PlaybackEvent) error {
		_, err := c.Playback.ReportPlayback(ctx, connect.NewRequest(&playbackv1.ReportPlaybackRequest{Events: evs}))
		return err
	}
	end := playbackv1.EventType_EVENT_TYPE_END

	// A flood of made-up playback ids: every batch refused, nothing counted.
	for range 5 {
		var evs []*playbackv1.PlaybackEvent
		for range 100 {
			evs = append(evs, ev(domain.NewID(), trackID, end, seconds*1000))
		}
		apptest.WantCode(t, report(st.fan, evs...), connect.CodeNotFound)
	}
	// The artist's own playback, reported by the fan: not the fan's.
	theirs, err := st.artist.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: trackID}))
	apptest.MustOK(t, "StartPlayback", err)
	apptest.WantCode(t, report(st.fan, ev(theirs.Msg.PlaybackId, trackID, end, seconds*1000)), connect.CodeNotFound)
	mine, err := st.fan.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: trackID}))
	apptest.MustOK(t, "StartPlayback", err)
	began := time.Now()
	id := mine.Msg.PlaybackId
	// The fan's playback, named with another track.
	apptest.WantCode(t, report(st.fan, ev(id, otherID, end, seconds*1000)), connect.CodeInvalidArgument)
	// The whole track heard the instant it started: kept, not counted.
	apptest.MustOK(t, "ReportPlayback", report(st.fan, ev(id, trackID, end, seconds*1000)))
	if n := awaitPlayCount(t, st, trackID, 0); n != 0 {
		t.Fatalf("play count %d after faked and instant plays, want 0", n)
	}
	hist, err := st.fan.Playback.ListRecentlyPlayed(ctx, connect.NewRequest(&playbackv1.ListRecentlyPlayedRequest{}))
	apptest.MustOK(t, "ListRecentlyPlayed", err)
	if len(hist.Msg.Items) != 1 || hist.Msg.Items[0].TrackId != trackID {
		t.Fatalf("history %v, want the one real play", hist.Msg.Items)
	}

	// Once the track's length has gone by, its end counts, once.
	time.Sleep(time.Until(began.Add(seconds * time.Second)))
	for range 3 {
		apptest.MustOK(t, "ReportPlayback", report(st.fan, ev(id, trackID, end, seconds*1000)))
	}
	if n := awaitPlayCount(t, st, trackID, 1); n != 1 {
		t.Fatalf("play count %d after a real play reported three times, want 1", n)
	}
}
