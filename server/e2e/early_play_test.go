package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// encode writes seconds of makeAudio-like stereo audio to dir/name with
// ffmpeg's extra output options (codec, format).
func encode(t testing.TB, dir, name string, seconds int, extra ...string) string {
	t.Helper()
	src := makeAudio(t, dir, "src-"+name+".wav", seconds)
	path := filepath.Join(dir, name)
	args := append([]string{"-hide_banner", "-loglevel", "error", "-y", "-i", src}, extra...)
	if out, err := exec.Command("ffmpeg", append(args, path)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", name, err, out)
	}
	return path
}

func startPlayback(t testing.TB, st *studio, trackID string) *playbackv1.StartPlaybackResponse {
	t.Helper()
	res, err := st.fan.Playback.StartPlayback(apptest.Context(t), connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: trackID}))
	apptest.MustOK(t, "StartPlayback "+trackID, err)
	return res.Msg
}

func trackStatus(t testing.TB, st *studio, trackID string) catalogv1.TrackStatus {
	t.Helper()
	res, err := st.fan.Catalog.GetTrack(apptest.Context(t), connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: trackID}))
	apptest.MustOK(t, "GetTrack", err)
	return res.Msg.Track.Status
}

// TestPlayBeforeLadder: tracks uploaded behind 20 bulk transcode jobs (one
// worker) play at once through StartPlayback, MP3 and FLAC as their
// original files and AIFF transcoded on the fly; playing them moves their
// ladder jobs ahead of the bulk ones; once a ladder is ready StartPlayback
// returns it.
func TestPlayBeforeLadder(t *testing.T) {
	requireE2E(t)
	requireFFmpeg(t)
	s := startServer(t, t.TempDir(), "--transcode-workers", "1", "--max-transcode-backlog", "0")
	st := newStudio(t, s)
	dir := t.TempDir()

	// The bulk work: 20 uploads queued before anything is played.
	bulkFile := encode(t, dir, "bulk.flac", 2)
	var bulk []string
	for i := range 20 {
		id := st.track(t, fmt.Sprintf("Bulk %d", i), int32(10+i))
		if _, code, body := st.upload(t, id, bulkFile); code != 200 {
			t.Fatalf("bulk PUT %d: %d %s", i, code, body)
		}
		bulk = append(bulk, id)
	}

	files := []struct {
		name  string
		args  []string
		kind  playbackv1.StreamKind
		ctype string
		codec string
	}{
		{"in.mp3", []string{"-c:a", "libmp3lame", "-b:a", "192k"}, playbackv1.StreamKind_STREAM_KIND_ORIGINAL, "audio/mpeg", "mp3"},
		{"in.flac", nil, playbackv1.StreamKind_STREAM_KIND_ORIGINAL, "audio/flac", "flac"},
		{"in.aiff", nil, playbackv1.StreamKind_STREAM_KIND_LIVE_TRANSCODE, "audio/mpeg", "mp3"},
	}
	played := map[string]string{}
	for i, f := range files {
		file := encode(t, dir, f.name, 3, f.args...)
		id := st.track(t, f.name, int32(1+i))
		if _, code, body := st.upload(t, id, file); code != 200 {
			t.Fatalf("PUT %s: %d %s", f.name, code, body)
		}
		played[f.name] = id
		sp := startPlayback(t, st, id)
		if sp.StreamKind != f.kind || sp.LadderReady || sp.HlsUrl != "" || sp.DashUrl != "" || sp.ProgressiveUrl == "" {
			t.Fatalf("%s: StartPlayback = kind %v, ladder ready %v, hls %q, dash %q, progressive %q",
				f.name, sp.StreamKind, sp.LadderReady, sp.HlsUrl, sp.DashUrl, sp.ProgressiveUrl)
		}
		res, body := get(t, sp.ProgressiveUrl)
		cc := res.Header.Get("Cache-Control")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != f.ctype || cc == "" || strings.Contains(cc, "immutable") || strings.Contains(cc, "public") {
			t.Fatalf("%s: GET %d, Content-Type %q, Cache-Control %q", f.name, res.StatusCode, res.Header.Get("Content-Type"), cc)
		}
		// The bytes decode to the whole track.
		got := filepath.Join(dir, "got-"+f.name)
		writeFile(t, got, body)
		codec, ch, dur, _ := ffprobe(t, got)
		if codec != f.codec || ch != 2 || !near(dur, 3, 0.2) {
			t.Errorf("%s: served %s, %d channels, %.2fs", f.name, codec, ch, dur)
		}
		if f.kind == playbackv1.StreamKind_STREAM_KIND_ORIGINAL {
			// Players seek with ranges.
			res, part := get(t, sp.ProgressiveUrl, "Range", "bytes=100-199")
			if res.StatusCode != 206 || len(part) != 100 || string(part) != string(body[100:200]) {
				t.Errorf("%s: Range GET %d, %d bytes", f.name, res.StatusCode, len(part))
			}
		} else if cc != "no-store" || res.Header.Get("Accept-Ranges") != "none" {
			t.Errorf("%s: on-the-fly stream Cache-Control %q, Accept-Ranges %q", f.name, cc, res.Header.Get("Accept-Ranges"))
		}
		// The URL is signed: another track's path with its token is refused.
		forged := strings.Replace(sp.ProgressiveUrl, id, bulk[0], 1)
		if res, _ := get(t, forged); res.StatusCode != 403 {
			t.Errorf("%s: forged URL answered %d", f.name, res.StatusCode)
		}
	}

	// The played tracks' ladders come before the bulk uploads queued
	// earlier: at most the bulk job running when they were played (and one
	// the worker may have pulled meanwhile) is done first.
	for name, id := range played {
		if tr := waitTrack(t, st.fan, id, 3*time.Minute); tr.Status != catalogv1.TrackStatus_TRACK_STATUS_READY {
			t.Fatalf("%s: %v %s", name, tr.Status, tr.StatusReason)
		}
	}
	done := 0
	for _, id := range bulk {
		if trackStatus(t, st, id) == catalogv1.TrackStatus_TRACK_STATUS_READY {
			done++
		}
	}
	if done > 2 {
		t.Errorf("%d of 20 bulk tracks were transcoded before the 3 played ones", done)
	}
	t.Logf("bulk tracks ready when the played ones were: %d of 20", done)

	// Now the ladder plays.
	for name, id := range played {
		sp := startPlayback(t, st, id)
		if sp.StreamKind != playbackv1.StreamKind_STREAM_KIND_LADDER || !sp.LadderReady || sp.HlsUrl == "" {
			t.Errorf("%s after its ladder: kind %v, ladder ready %v, hls %q", name, sp.StreamKind, sp.LadderReady, sp.HlsUrl)
		}
		if res, _ := get(t, sp.HlsUrl); res.StatusCode != 200 {
			t.Errorf("%s: master playlist %d", name, res.StatusCode)
		}
	}
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
