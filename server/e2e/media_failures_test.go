package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
)

// TestBadUploads: files that are not usable audio end FAILED with a reason a
// person can act on, and too-large files are refused before storage.
func TestBadUploads(t *testing.T) {
	requireFFmpeg(t)
	s := startServer(t, t.TempDir(), "--max-upload-bytes", "3000000", "--max-audio-duration", "20s")
	st := newStudio(t, s)
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.mp3")
	os.WriteFile(text, []byte(strings.Repeat("these are lyrics, not audio\n", 200)), 0o644)
	good := makeAudio(t, dir, "good.flac", 4)
	corrupt := filepath.Join(dir, "corrupt.flac")
	b, _ := os.ReadFile(good)
	for i := 200; i < len(b); i += 7 { // keep the header, ruin the frames
		b[i] ^= 0x5a
	}
	os.WriteFile(corrupt, b[:len(b)/2], 0o644)
	long := filepath.Join(dir, "long.opus")
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=25",
		"-c:a", "libopus", "-b:a", "32k", long).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	// Silence in a few KB: the transcoder's decode pass refuses it before
	// the ladder is encoded, and says so.
	silent := filepath.Join(dir, "silence.opus")
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono",
		"-t", "18", "-c:a", "libopus", "-b:a", "6k", "-frame_duration", "120", silent).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	video := filepath.Join(dir, "picture.mkv")
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=2:size=64x64:rate=5",
		"-c:v", "ffv1", video).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}

	for i, tc := range []struct {
		name, file, reason string
	}{
		{"text file", text, "not an audio file"},
		{"video without sound", video, "not an audio file"},
		{"corrupt audio", corrupt, ""},
		{"too long", long, "limit"},
		{"silent", silent, "audio is silent: no sound above -80 dBFS in 18s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := st.track(t, tc.name, int32(i+1))
			upload, code, body := st.upload(t, id, tc.file)
			if code != http.StatusOK {
				t.Fatalf("PUT = %d %s", code, body)
			}
			tr := waitTrack(t, st.fan, id, time.Minute)
			if tr.Status != catalogv1.TrackStatus_TRACK_STATUS_FAILED || tr.StatusReason == "" {
				t.Fatalf("status %v %q, want FAILED with a reason", tr.Status, tr.StatusReason)
			}
			if !strings.Contains(tr.StatusReason, tc.reason) {
				t.Errorf("reason %q does not say %q", tr.StatusReason, tc.reason)
			}
			// A poison file is refused once, not retried.
			if n := logCount(s.logs.String(), "transcode started", upload); n != 1 {
				t.Errorf("%d attempts at a file that can never work", n)
			}
			_, err := st.fan.Playback.StartPlayback(apptest.Context(t), connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: id}))
			apptest.WantCode(t, err, connect.CodeFailedPrecondition)
		})
	}

	t.Run("too large", func(t *testing.T) {
		id := st.track(t, "huge", 9)
		_, err := st.artist.Catalog.CreateTrackUpload(apptest.Context(t), connect.NewRequest(&catalogv1.CreateTrackUploadRequest{TrackId: id, SizeBytes: 3000001}))
		apptest.WantCode(t, err, connect.CodeInvalidArgument)
		big := filepath.Join(dir, "big.wav")
		os.WriteFile(big, make([]byte, 3000001), 0o644)
		_, code, _ := st.upload(t, id, big)
		if code != http.StatusRequestEntityTooLarge {
			t.Errorf("PUT of an oversized file = %d, want 413", code)
		}
		res, err := st.fan.Catalog.GetTrack(apptest.Context(t), connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: id}))
		apptest.MustOK(t, "GetTrack", err)
		if res.Msg.Track.Status != catalogv1.TrackStatus_TRACK_STATUS_PENDING_UPLOAD {
			t.Errorf("status %v after a refused upload", res.Msg.Track.Status)
		}
	})

	t.Run("a failed upload keeps older media playing", func(t *testing.T) {
		id := st.track(t, "replaced", 10)
		if _, code, body := st.upload(t, id, good); code != 200 {
			t.Fatalf("PUT %d %s", code, body)
		}
		if tr := waitTrack(t, st.fan, id, time.Minute); tr.Status != catalogv1.TrackStatus_TRACK_STATUS_READY {
			t.Fatalf("good upload: %v %s", tr.Status, tr.StatusReason)
		}
		if _, code, _ := st.upload(t, id, text); code != 200 {
			t.Fatal("PUT")
		}
		waitFailed(t, st, id, "the bad re-upload")
		_, err := st.fan.Playback.StartPlayback(apptest.Context(t), connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: id}))
		apptest.MustOK(t, "StartPlayback after a failed re-upload", err)
	})
}

// TestTranscodeSurvivesACrash kills the server (SIGKILL, no goodbye) while
// ffmpeg is working; the restarted server finishes the job.
func TestTranscodeSurvivesACrash(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	flags := []string{"--transcode-ack-wait", "3s"}
	id, upload := crashMidTranscode(t, dir, flags)

	s2 := startServer(t, dir, flags...)
	fan := as(s2, apptest.Login(t, anon(s2), "fan", "correct horse battery").Tokens.AccessToken)
	tr := waitTrack(t, fan, id, 3*time.Minute)
	if tr.Status != catalogv1.TrackStatus_TRACK_STATUS_READY {
		t.Fatalf("after restart: %v %s", tr.Status, tr.StatusReason)
	}
	if n := logCount(s2.logs.String(), "media ready", upload, "attempt=2"); n != 1 {
		t.Errorf("the restarted server did not finish the job as its second attempt:\n%s", s2.logs)
	}
}

// TestTranscodeGivesUpWhenTheLastAttemptDies: with one attempt allowed, a
// worker dying mid-job leaves the track FAILED with a reason, not stuck in
// PROCESSING.
func TestTranscodeGivesUpWhenTheLastAttemptDies(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	flags := []string{"--transcode-ack-wait", "3s", "--transcode-attempts", "1"}
	id, _ := crashMidTranscode(t, dir, flags)
	s2 := startServer(t, dir, flags...)
	fan := as(s2, apptest.Login(t, anon(s2), "fan", "correct horse battery").Tokens.AccessToken)
	tr := waitTrack(t, fan, id, 3*time.Minute)
	if tr.Status != catalogv1.TrackStatus_TRACK_STATUS_FAILED || !strings.Contains(tr.StatusReason, "stopped unexpectedly") {
		t.Fatalf("after the last attempt died: %v %q, want FAILED saying why", tr.Status, tr.StatusReason)
	}
}

// crashMidTranscode starts a server, uploads a long file and SIGKILLs the
// server while ffmpeg works on it, checking ffmpeg dies too.
func crashMidTranscode(t *testing.T, dir string, flags []string) (trackID, uploadID string) {
	t.Helper()
	s := startServer(t, dir, flags...)
	st := newStudio(t, s)
	file := makeAudio(t, t.TempDir(), "long.flac", 150)
	id := st.track(t, "Long Song", 1)
	upload, code, body := st.upload(t, id, file)
	if code != 200 {
		t.Fatalf("PUT %d %s", code, body)
	}
	// Wait until ffmpeg is working on this upload, then pull the plug.
	deadline := time.Now().Add(30 * time.Second)
	for !ffmpegRunning(upload) {
		if time.Now().After(deadline) {
			t.Fatalf("ffmpeg never started:\n%s", s.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	if _, err := st.fan.Catalog.GetTrack(apptest.Context(t), connect.NewRequest(&catalogv1.GetTrackRequest{TrackId: id})); err == nil {
		t.Fatal("the server answered after SIGKILL")
	}
	deadline = time.Now().Add(5 * time.Second)
	for ffmpegRunning(upload) { // the server's ffmpeg dies with it
		if time.Now().After(deadline) {
			t.Fatal("ffmpeg outlived the killed server")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return id, upload
}

// ffmpegRunning reports whether an ffmpeg process works on the upload (its
// scratch directory is named after the upload id).
func ffmpegRunning(uploadID string) bool {
	out, _ := exec.Command("pgrep", "-f", "ffmpeg.*"+uploadID).Output()
	return len(strings.TrimSpace(string(out))) > 0
}

// TestReplicasShareTheWork runs two server processes against one Cassandra,
// one blob directory and one broker (the first replica's embedded NATS,
// which the second joins by URL): every upload is transcoded exactly once,
// and both replicas take jobs.
func TestReplicasShareTheWork(t *testing.T) {
	requireFFmpeg(t)
	if os.Getenv("BACKBEAT_E2E_STORE") != "cassandra" {
		t.Skip("replicas share a Cassandra store: runs in the BACKBEAT_E2E_STORE=cassandra pass")
	}
	blobs := t.TempDir()
	dirA, dirB := t.TempDir(), t.TempDir()
	key := strings.Repeat("ab", 32)
	natsAddr := freeAddr(t)
	keyspace := storeFlags(t, dirA)
	shared := append([]string{"--blob-dir", blobs, "--media-signing-key", key, "--transcode-workers", "1"}, keyspace...)
	a := startServer(t, dirA, append(shared, brokerFlags(natsAddr)...)...)
	b := startServer(t, dirB, append(shared, "--nats-url", "nats://"+natsAddr, "--nats-user", brokerUser, "--nats-password", brokerPassword)...)
	st := newStudio(t, a)

	file := makeAudio(t, t.TempDir(), "in.flac", 8)
	const n = 8
	var ids, uploads []string
	for i := range n {
		id := st.track(t, fmt.Sprintf("Shared %d", i), int32(i+1))
		// Alternate replicas for the upload itself too.
		via := st.artist
		if i%2 == 1 {
			via = as(b, apptest.Login(t, anon(b), "artist", "correct horse battery").Tokens.AccessToken)
		}
		up, err := via.Catalog.CreateTrackUpload(apptest.Context(t), connect.NewRequest(&catalogv1.CreateTrackUploadRequest{TrackId: id}))
		apptest.MustOK(t, "CreateTrackUpload", err)
		if code, body := put(t, up.Msg.UploadUrl, file); code != 200 {
			t.Fatalf("PUT %d %s", code, body)
		}
		ids, uploads = append(ids, id), append(uploads, up.Msg.UploadId)
	}
	fanB := as(b, apptest.Login(t, anon(b), "fan", "correct horse battery").Tokens.AccessToken)
	for _, id := range ids {
		if tr := waitTrack(t, fanB, id, 3*time.Minute); tr.Status != catalogv1.TrackStatus_TRACK_STATUS_READY {
			t.Fatalf("track %s: %v %s", id, tr.Status, tr.StatusReason)
		}
	}
	doneA, doneB := 0, 0
	for _, u := range uploads {
		na, nb := logCount(a.logs.String(), "media ready", u), logCount(b.logs.String(), "media ready", u)
		if na+nb != 1 {
			t.Errorf("upload %s transcoded %d times (A %d, B %d), want exactly once", u, na+nb, na, nb)
		}
		doneA, doneB = doneA+na, doneB+nb
	}
	t.Logf("replica A transcoded %d, replica B %d", doneA, doneB)
	if doneA == 0 || doneB == 0 {
		t.Errorf("one replica did all the work (A %d, B %d): the queue is not shared", doneA, doneB)
	}
	// Media written by one replica streams from the other.
	sp, err := fanB.Playback.StartPlayback(apptest.Context(t), connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: ids[0]}))
	apptest.MustOK(t, "StartPlayback on B", err)
	if res, _ := get(t, sp.Msg.HlsUrl); res.StatusCode != 200 {
		t.Errorf("master playlist from B: %d", res.StatusCode)
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitFailed waits until a re-upload of the track, whose older media keeps
// it READY meanwhile, has turned it FAILED.
func waitFailed(t testing.TB, st *studio, id, what string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		tr := waitTrack(t, st.fan, id, time.Minute)
		if tr.Status == catalogv1.TrackStatus_TRACK_STATUS_FAILED {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never failed", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
