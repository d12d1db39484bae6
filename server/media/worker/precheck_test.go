package worker

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/media/blob"
	"github.com/backbeat/backbeat/server/media/blobkey"
	"github.com/backbeat/backbeat/server/media/transcode"
	"github.com/backbeat/backbeat/server/queue"
	"github.com/backbeat/backbeat/server/store/embedded"
)

// needFFmpeg skips tests that run the real binaries in -short mode or
// where they are missing.
func needFFmpeg(tb testing.TB) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("runs ffmpeg: skipped in -short mode")
	}
	for _, bin := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(bin); err != nil {
			tb.Skipf("%s not installed: %v", bin, err)
		}
	}
}

func ffmpeg(tb testing.TB, args ...string) {
	tb.Helper()
	full := append([]string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y"}, args...)
	if b, err := exec.Command("ffmpeg", full...).CombinedOutput(); err != nil {
		tb.Fatalf("ffmpeg %v: %v\n%s", full, err, b)
	}
}

// TestSilentUploadFailsBeforeTheLadder runs the worker on the file,
// 29 minutes of silence in a few hundred KB: the track ends FAILED with the
// pre-check's reason, the job is not retried and no media is stored. A
// short music-like upload still ends READY.
func TestSilentUploadFailsBeforeTheLadder(t *testing.T) {
	needFFmpeg(t)
	ctx := context.Background()
	dir := t.TempDir()
	minute := filepath.Join(dir, "minute.opus")
	ffmpeg(t, "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "60",
		"-c:a", "libopus", "-b:a", "6k", "-frame_duration", "120", "-application", "voip", minute)
	silent := filepath.Join(dir, "silence.opus")
	ffmpeg(t, "-stream_loop", "28", "-i", minute, "-c", "copy", silent)
	music := filepath.Join(dir, "music.flac")
	ffmpeg(t, "-filter_complex", "anoisesrc=d=12:c=pink:a=0.3:r=44100,aformat=channel_layouts=stereo[n];"+
		"sine=f=330:d=12:r=44100,aformat=channel_layouts=stereo[s];[n][s]amix=inputs=2", music)

	s, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	stores := s.Stores()
	blobs, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	media := domain.NewMedia(stores, nil, nil, nil, nil, 1<<30)
	w := New(blobs, media, transcode.New(transcode.Config{}), t.TempDir(), 5, slog.New(slog.DiscardHandler))
	now := time.Now().UTC()
	artist := &domain.Artist{ID: domain.NewID(), Name: "A", CreateTime: now, UpdateTime: now}
	if err := stores.Catalog.CreateArtist(ctx, artist); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		file   string
		status domain.TrackStatus
		reason string
	}{
		{silent, domain.TrackFailed, "audio is silent: no sound above -80 dBFS in 29m"},
		{music, domain.TrackReady, ""},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			track := &domain.Track{ID: domain.NewID(), Title: "T", ArtistIDs: []string{artist.ID}, CreateTime: now, UpdateTime: now}
			if err := stores.Catalog.CreateTrack(ctx, track); err != nil {
				t.Fatal(err)
			}
			job := domain.TranscodeJob{TrackID: track.ID, UploadID: domain.NewID()}
			f, err := os.Open(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = blobs.Put(ctx, blobkey.Upload(job.TrackID, job.UploadID), f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = w.Handle(ctx, job, 1, false)
			t.Logf("%s: the worker spent %v", filepath.Base(tc.file), time.Since(start).Round(time.Millisecond))
			got, gerr := stores.Catalog.GetTrack(ctx, track.ID)
			if gerr != nil {
				t.Fatal(gerr)
			}
			if got.Status != tc.status || !strings.HasPrefix(got.StatusReason, tc.reason) {
				t.Errorf("track %v %q, want %v %q", got.Status, got.StatusReason, tc.status, tc.reason)
			}
			stored := false
			o, oerr := blobs.Open(ctx, blobkey.MediaPrefix(job.TrackID, job.UploadID)+transcode.MasterPlaylist)
			if oerr == nil {
				o.Close()
				stored = true
			}
			switch tc.status {
			case domain.TrackFailed:
				if !queue.IsPermanent(err) {
					t.Errorf("Handle = %v, want a permanent error (no retry)", err)
				}
				if stored {
					t.Error("media stored for a refused upload")
				}
			default:
				if err != nil || !stored {
					t.Errorf("Handle = %v, media stored %v", err, stored)
				}
			}
		})
	}
}
