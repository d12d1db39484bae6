package e2e

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/media/manifest"
	"github.com/backbeat/backbeat/server/media/urlsign"
	"github.com/backbeat/backbeat/server/queue"
)

// TestMediaPipeline follows one track from upload to a listener's ears:
// upload (twice, as a flaky client would), transcode, signed streaming of
// every file of the ladder, then playback events and history.
func TestMediaPipeline(t *testing.T) {
	requireFFmpeg(t)
	natsAddr := freeAddr(t)
	s := startServer(t, t.TempDir(), brokerFlags(natsAddr)...)
	st := newStudio(t, s)
	ctx := apptest.Context(t)
	const seconds = 12
	file := makeAudio(t, t.TempDir(), "in.flac", seconds)
	trackID := st.track(t, "Twelve Seconds", 1)

	// Before any upload the track cannot play.
	_, err := st.fan.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: trackID}))
	apptest.WantCode(t, err, connect.CodeFailedPrecondition)
	// Listeners cannot upload.
	_, err = st.fan.Catalog.CreateTrackUpload(ctx, connect.NewRequest(&catalogv1.CreateTrackUploadRequest{TrackId: trackID}))
	apptest.WantCode(t, err, connect.CodePermissionDenied)

	up, err := st.artist.Catalog.CreateTrackUpload(ctx, connect.NewRequest(&catalogv1.CreateTrackUploadRequest{TrackId: trackID}))
	apptest.MustOK(t, "CreateTrackUpload", err)
	if code, body := put(t, up.Msg.UploadUrl, file); code != http.StatusOK {
		t.Fatalf("PUT = %d %s", code, body)
	}
	// An upload URL is good for one upload: a second PUT is refused and
	// must not produce a second job.
	if code, body := put(t, up.Msg.UploadUrl, file); code != http.StatusConflict {
		t.Fatalf("second PUT = %d %s, want 409", code, body)
	}
	tr := waitTrack(t, st.fan, trackID, 2*time.Minute)
	if tr.Status != catalogv1.TrackStatus_TRACK_STATUS_READY {
		t.Fatalf("track %v: %s", tr.Status, tr.StatusReason)
	}
	if !near(float64(tr.DurationMs), seconds*1000, 100) {
		t.Errorf("duration_ms = %d, want the audio's %d s", tr.DurationMs, seconds)
	}
	// One more PUT after the transcode: refused, still one transcode.
	if code, body := put(t, up.Msg.UploadUrl, file); code != http.StatusConflict {
		t.Fatalf("late PUT = %d %s, want 409", code, body)
	}
	time.Sleep(time.Second)
	if n := logCount(s.logs.String(), "media ready", up.Msg.UploadId); n != 1 {
		t.Errorf("upload transcoded %d times, want once", n)
	}

	start, err := st.fan.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: trackID, PositionMs: 2000}))
	apptest.MustOK(t, "StartPlayback", err)
	sp := start.Msg
	if sp.DurationMs != tr.DurationMs || sp.PositionMs != 2000 || sp.PlaybackId == "" {
		t.Errorf("StartPlayback = %+v", sp)
	}
	if l := sp.Loudness; l == nil || l.IntegratedLufs > -5 || l.IntegratedLufs < -40 || l.TruePeakDbtp > 1 {
		t.Errorf("loudness %+v is not plausible for the test audio", l)
	}
	if exp := sp.ExpireTime.AsTime(); exp.Before(time.Now().Add(50*time.Minute)) || exp.After(time.Now().Add(70*time.Minute)) {
		t.Errorf("expire_time %v, want about an hour ahead", exp)
	}

	t.Run("HLS ladder", func(t *testing.T) {
		res, body := get(t, sp.HlsUrl)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.apple.mpegurl" {
			t.Fatalf("master: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		master, err := manifest.ParseMaster(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if len(master.Variants) != 3 {
			t.Fatalf("%d variants, want 3", len(master.Variants))
		}
		wantKbps := []float64{96, 160, 320}
		for i, v := range master.Variants {
			if !strings.HasPrefix(v.Codecs, "mp4a.40") {
				t.Errorf("variant %d codecs %q", i, v.Codecs)
			}
			mres, mbody := get(t, resolve(sp.HlsUrl, v.URI))
			if mres.StatusCode != 200 {
				t.Fatalf("variant %d playlist: %d", i, mres.StatusCode)
			}
			media, err := manifest.ParseMedia(bytes.NewReader(mbody))
			if err != nil {
				t.Fatal(err)
			}
			if !media.EndList || media.PlaylistType != "VOD" {
				t.Errorf("variant %d is not a finished VOD playlist", i)
			}
			var total time.Duration
			whole := &bytes.Buffer{}
			ires, init := get(t, resolve(sp.HlsUrl, media.InitURIs()[0]))
			if ires.StatusCode != 200 {
				t.Fatalf("init segment: %d", ires.StatusCode)
			}
			whole.Write(init)
			for _, seg := range media.Segments {
				total += seg.Duration
				sres, sb := get(t, resolve(sp.HlsUrl, seg.URI))
				if sres.StatusCode != 200 || sres.Header.Get("Content-Type") != "audio/mp4" {
					t.Fatalf("segment %s: %d %q", seg.URI, sres.StatusCode, sres.Header.Get("Content-Type"))
				}
				if cc := sres.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "public") {
					t.Errorf("segment Cache-Control %q: a CDN could not cache it", cc)
				}
				whole.Write(sb)
			}
			if !near(total.Seconds(), seconds, 0.15) {
				t.Errorf("variant %d segments add up to %v, want %ds", i, total, seconds)
			}
			f := filepath.Join(t.TempDir(), "v.mp4")
			os.WriteFile(f, whole.Bytes(), 0o644)
			codec, ch, dur, kbps := ffprobe(t, f)
			if codec != "aac" || ch != 2 || !near(dur, seconds, 0.15) {
				t.Errorf("variant %d: %s %dch %.2fs", i, codec, ch, dur)
			}
			if kbps < wantKbps[i]*0.75 || kbps > wantKbps[i]*1.15 {
				t.Errorf("variant %d: %.0f kb/s, want about %.0f", i, kbps, wantKbps[i])
			}
		}
	})

	t.Run("DASH manifest", func(t *testing.T) {
		res, body := get(t, sp.DashUrl)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/dash+xml" {
			t.Fatalf("mpd: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		mpd, err := manifest.ParseMPD(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		reps := mpd.Representations()
		if len(reps) != 3 {
			t.Fatalf("%d representations, want 3", len(reps))
		}
		for _, r := range reps {
			segs, err := r.Segments()
			if err != nil {
				t.Fatal(err)
			}
			init, _ := r.InitURL()
			for _, u := range []string{init, segs[0].URL, segs[len(segs)-1].URL} {
				if res, _ := get(t, resolve(sp.DashUrl, u)); res.StatusCode != 200 {
					t.Errorf("DASH segment %s: %d", u, res.StatusCode)
				}
			}
		}
		if !near(mpd.Duration.Seconds(), seconds, 0.15) {
			t.Errorf("mpd duration %v", mpd.Duration)
		}
	})

	t.Run("progressive file over HTTP ranges", func(t *testing.T) {
		// ffprobe reads the URL itself, seeking with Range requests.
		codec, ch, dur, kbps := ffprobe(t, sp.ProgressiveUrl)
		if codec != "aac" || ch != 2 || !near(dur, seconds, 0.15) || kbps < 100 || kbps > 200 {
			t.Errorf("progressive: %s %dch %.2fs %.0fkb/s", codec, ch, dur, kbps)
		}
		full, body := get(t, sp.ProgressiveUrl)
		etag := full.Header.Get("ETag")
		if full.Header.Get("Accept-Ranges") != "bytes" || etag == "" || full.Header.Get("Last-Modified") == "" {
			t.Errorf("headers %v", full.Header)
		}
		part, pb := get(t, sp.ProgressiveUrl, "Range", "bytes=1000-1999")
		if part.StatusCode != http.StatusPartialContent || !bytes.Equal(pb, body[1000:2000]) {
			t.Errorf("range: %d, %d bytes, equal=%v", part.StatusCode, len(pb), bytes.Equal(pb, body[1000:2000]))
		}
		if cr := part.Header.Get("Content-Range"); !strings.HasPrefix(cr, "bytes 1000-1999/") {
			t.Errorf("Content-Range %q", cr)
		}
		tail, tb := get(t, sp.ProgressiveUrl, "Range", "bytes=-100")
		if tail.StatusCode != http.StatusPartialContent || !bytes.Equal(tb, body[len(body)-100:]) {
			t.Errorf("suffix range: %d", tail.StatusCode)
		}
		if res, _ := get(t, sp.ProgressiveUrl, "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
			t.Errorf("If-None-Match: %d, want 304", res.StatusCode)
		}
		if res, _ := get(t, sp.ProgressiveUrl, "Range", "bytes=99999999-"); res.StatusCode != http.StatusRequestedRangeNotSatisfiable {
			t.Errorf("range past the end: %d, want 416", res.StatusCode)
		}
	})

	t.Run("tokens", func(t *testing.T) {
		dir := sp.HlsUrl[:strings.LastIndex(sp.HlsUrl, "/")+1]
		token := strings.Split(strings.SplitN(sp.HlsUrl, "/media/s/", 2)[1], "/")[0]
		parts := strings.Split(token, ".")
		flip := func(s string) string {
			b := []byte(s)
			b[len(b)/2] ^= 1
			return string(b)
		}
		swap := func(tok string) string { return strings.Replace(sp.HlsUrl, token, tok, 1) }
		// Correctly signed with the server's key, but an hour old.
		keyHex, err := os.ReadFile(filepath.Join(s.dataDir, "media-signing.key"))
		apptest.MustOK(t, "read signing key", err)
		key, _ := hex.DecodeString(strings.TrimSpace(string(keyHex)))
		past, _ := urlsign.New(key, s.URL(), time.Minute, time.Minute, func() time.Time { return time.Now().Add(-time.Hour) })
		fresh, _ := urlsign.New(key, s.URL(), time.Minute, time.Minute, nil)
		dirParts := strings.Split(dir, "/")
		mediaID := dirParts[len(dirParts)-2]
		if res, _ := get(t, past.PlaybackURLs(trackID, mediaID, parts[1]).Progressive); res.StatusCode != http.StatusForbidden {
			t.Errorf("validly signed but expired: %d, want 403", res.StatusCode)
		}
		if res, _ := get(t, fresh.PlaybackURLs(trackID, mediaID, parts[1]).Progressive); res.StatusCode != http.StatusOK {
			t.Errorf("the same URL signed now: %d, want 200 (so the 403 above was the expiry)", res.StatusCode)
		}
		uploader := mustParse(t, up.Msg.UploadUrl).Query().Get("user")
		oldUp, _ := past.UploadURL(trackID, up.Msg.UploadId, uploader)
		if code, _ := put(t, oldUp, file); code != http.StatusForbidden {
			t.Errorf("expired upload URL: %d, want 403", code)
		}
		cases := map[string]string{
			"forged signature": swap(parts[0] + "." + parts[1] + "." + flip(parts[2])),
			"another user":     swap(parts[0] + "." + st.fanID[:25] + "x." + parts[2]),
			"extended expiry":  swap("9999999999." + parts[1] + "." + parts[2]),
			"wrong track path": strings.Replace(sp.HlsUrl, "/"+trackID+"/", "/"+flip(trackID)+"/", 1),
			"no token":         strings.Replace(sp.HlsUrl, token+"/", "", 1),
		}
		for name, u := range cases {
			res, _ := get(t, u)
			want := http.StatusForbidden
			if name == "no token" {
				want = http.StatusNotFound
			}
			if res.StatusCode != want {
				t.Errorf("%s: %d, want %d", name, res.StatusCode, want)
			}
		}
		if res, _ := get(t, dir+"seg-0-99999.m4s"); res.StatusCode != http.StatusNotFound {
			t.Errorf("missing segment: %d, want 404", res.StatusCode)
		}
		if res, _ := get(t, dir+"..%2Fmedia-signing.key"); res.StatusCode != http.StatusNotFound {
			t.Errorf("path escape: %d, want 404", res.StatusCode)
		}
		// A tampered or expired upload URL is refused too, writing nothing.
		u := strings.Replace(up.Msg.UploadUrl, "sig=", "sig=x", 1)
		if code, _ := put(t, u, file); code != http.StatusForbidden {
			t.Errorf("tampered upload URL: %d, want 403", code)
		}
	})

	t.Run("events and history", func(t *testing.T) {
		before := tr.PlayCount
		// A play from the start: a track shorter than 30 s counts once heard
		// to its end, and only when the server's clock allows the listening.
		started := time.Now()
		full, err := st.fan.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: trackID}))
		apptest.MustOK(t, "StartPlayback", err)
		ev := func(typ playbackv1.EventType, posMs int64) *playbackv1.PlaybackEvent {
			return &playbackv1.PlaybackEvent{PlaybackId: full.Msg.PlaybackId, TrackId: trackID, Type: typ, PositionMs: posMs, DeviceId: "phone"}
		}
		report := func(evs ...*playbackv1.PlaybackEvent) {
			_, err := st.fan.Playback.ReportPlayback(ctx, connect.NewRequest(&playbackv1.ReportPlaybackRequest{Events: evs}))
			apptest.MustOK(t, "ReportPlayback", err)
		}
		report(ev(playbackv1.EventType_EVENT_TYPE_START, 0), ev(playbackv1.EventType_EVENT_TYPE_PROGRESS, 8000))
		if n := awaitPlayCount(t, st, trackID, before); n != before {
			t.Errorf("play counted after 8 s of a 12 s track: %d", n)
		}
		time.Sleep(time.Until(started.Add(12 * time.Second)))
		report(ev(playbackv1.EventType_EVENT_TYPE_END, 12000))
		report(ev(playbackv1.EventType_EVENT_TYPE_END, 12000)) // a retried report
		if n := awaitPlayCount(t, st, trackID, before+1); n != before+1 {
			t.Errorf("play_count %d, want %d (one play, counted once)", n, before+1)
		}
		// A second play, skipped early, reported later from an offline device.
		second, err := st.fan.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: trackID}))
		apptest.MustOK(t, "StartPlayback", err)
		report(&playbackv1.PlaybackEvent{PlaybackId: second.Msg.PlaybackId, TrackId: trackID, Type: playbackv1.EventType_EVENT_TYPE_SKIP,
			PositionMs: 3000, DeviceId: "car", OccurTime: timestamppb.New(time.Now().Add(time.Minute))})
		if n := awaitPlayCount(t, st, trackID, before+1); n != before+1 {
			t.Errorf("a skip at 3 s counted: play_count %d", n)
		}
		hist, err := st.fan.Playback.ListRecentlyPlayed(ctx, connect.NewRequest(&playbackv1.ListRecentlyPlayedRequest{}))
		apptest.MustOK(t, "ListRecentlyPlayed", err)
		var devices []string
		for _, it := range hist.Msg.Items {
			devices = append(devices, it.DeviceId)
		}
		if !slices.Equal(devices, []string{"car", "phone"}) {
			t.Errorf("history devices %v, want [car phone] (newest first)", devices)
		}
		other, err := st.artist.Playback.ListRecentlyPlayed(ctx, connect.NewRequest(&playbackv1.ListRecentlyPlayedRequest{}))
		apptest.MustOK(t, "ListRecentlyPlayed", err)
		if len(other.Msg.Items) != 0 {
			t.Errorf("another user's history leaked: %v", other.Msg.Items)
		}
		// Analytics' view: the events, in order, on the user's subject of the
		// play event stream.
		nc, err := nats.Connect("nats://"+natsAddr, nats.UserInfo(brokerUser, brokerPassword))
		apptest.MustOK(t, "connect to the broker", err)
		defer nc.Close()
		js, _ := jetstream.New(nc)
		cons, err := js.OrderedConsumer(ctx, queue.PlaysStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{queue.PlaySubject(st.fanID)}})
		apptest.MustOK(t, "play event consumer", err)
		var types []string
		for range 5 {
			msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
			apptest.MustOK(t, "next play event", err)
			var e struct {
				Type string `json:"type"`
			}
			json.Unmarshal(msg.Data(), &e)
			types = append(types, e.Type)
		}
		if want := []string{"start", "progress", "end", "end", "skip"}; !slices.Equal(types, want) {
			t.Errorf("play events on the stream %v, want %v", types, want)
		}
	})

	t.Run("contexts", func(t *testing.T) {
		// Album context by index; a playlist the caller cannot see is not found.
		res, err := st.fan.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{
			Context: &playbackv1.PlaybackContext{Context: &playbackv1.PlaybackContext_AlbumId{AlbumId: st.album}}, ContextIndex: 0}))
		apptest.MustOK(t, "StartPlayback in album", err)
		if res.Msg.TrackId != trackID {
			t.Errorf("album index 0 played %s", res.Msg.TrackId)
		}
		_, err = st.fan.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{
			Context: &playbackv1.PlaybackContext{Context: &playbackv1.PlaybackContext_AlbumId{AlbumId: st.album}}, ContextIndex: 5}))
		apptest.WantCode(t, err, connect.CodeInvalidArgument)
		pl, err := st.artist.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{Playlist: &playlistv1.Playlist{Name: "secret"}}))
		apptest.MustOK(t, "CreatePlaylist", err)
		_, err = st.artist.Playlists.AddTracks(ctx, connect.NewRequest(&playlistv1.AddTracksRequest{PlaylistId: pl.Msg.Playlist.Id, TrackIds: []string{trackID}}))
		apptest.MustOK(t, "AddTracks", err)
		_, err = st.fan.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: trackID,
			Context: &playbackv1.PlaybackContext{Context: &playbackv1.PlaybackContext_PlaylistId{PlaylistId: pl.Msg.Playlist.Id}}}))
		apptest.WantCode(t, err, connect.CodeNotFound)
		res, err = st.artist.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{
			Context: &playbackv1.PlaybackContext{Context: &playbackv1.PlaybackContext_PlaylistId{PlaylistId: pl.Msg.Playlist.Id}}}))
		apptest.MustOK(t, "StartPlayback in own playlist", err)
		if res.Msg.TrackId != trackID {
			t.Errorf("playlist index 0 played %s", res.Msg.TrackId)
		}
		_, err = st.fan.Playback.StartPlayback(ctx, connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: trackID, PositionMs: 60_000}))
		apptest.WantCode(t, err, connect.CodeInvalidArgument)
	})
}

// awaitPlayCount reads the track's play count until it is want, for up to
// 60 s, and returns the last one read: the Cassandra store adds counted
// plays in the background (every --play-rollup-period, 200ms here), the
// embedded store at once.
func awaitPlayCount(t testing.TB, st *studio, trackID string, want int64) int64 {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := st.fan.Catalog.GetTrack(apptest.Context(t), connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: trackID}))
		apptest.MustOK(t, "GetTrack", err)
		if n := res.Msg.Track.PlayCount; n == want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func mustParse(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
