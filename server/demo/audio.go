package demo

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/media/blob"
	"github.com/backbeat/backbeat/server/media/blobkey"
)

// AudioSeconds is the length of each generated demo tune.
const AudioSeconds = 12

// SeedAudio gives the tracks of the demo playlist generated audio (a chord
// per track, made by ffmpeg), sends it through the real upload pipeline
// and waits until every one is transcoded, so the demo can play them.
// Tracks that already have media are left alone.
func SeedAudio(ctx context.Context, stores domain.Stores, media *domain.Media, blobs blob.Store, ffmpeg string, log *slog.Logger) error {
	ids, err := demoMix(ctx, stores)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "backbeat-demo-audio-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	var waiting []string
	for i, id := range ids {
		t, err := stores.Catalog.GetTrack(ctx, id)
		if err != nil {
			return fmt.Errorf("demo track: %w", err)
		}
		if t.MediaID != "" || t.Status == domain.TrackProcessing {
			waiting = append(waiting, id)
			continue
		}
		file := filepath.Join(dir, fmt.Sprintf("%d.flac", i))
		if err := tune(ctx, ffmpeg, file, i, t.Title); err != nil {
			return err
		}
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		job := domain.TranscodeJob{TrackID: id, UploadID: domain.NewID(), UserID: t.ArtistIDs[0]}
		_, err = blobs.Put(ctx, blobkey.Upload(job.TrackID, job.UploadID), f)
		f.Close()
		if err != nil {
			return fmt.Errorf("store demo audio: %w", err)
		}
		if err := media.UploadReceived(ctx, job); err != nil {
			return fmt.Errorf("queue demo audio: %w", err)
		}
		waiting = append(waiting, id)
	}
	for _, id := range waiting {
		for {
			t, err := stores.Catalog.GetTrack(ctx, id)
			if err != nil {
				return err
			}
			if t.MediaID != "" || t.Status == domain.TrackFailed {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	log.Info("demo audio ready", "tracks", len(ids), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func demoMix(ctx context.Context, stores domain.Stores) ([]string, error) {
	u, err := stores.Users.GetUserByUsername(ctx, ListenerUsername)
	if err != nil {
		return nil, fmt.Errorf("demo listener: %w", err)
	}
	// Found by name: the demo listener may have made playlists of its own
	// since the first start, and those tracks get no generated audio.
	var mix string
	page := domain.Page{Size: 100}
	for mix == "" {
		pls, next, err := stores.Playlists.ListPlaylistsByOwner(ctx, u.ID, false, page)
		if err != nil {
			return nil, fmt.Errorf("demo playlist: %w", err)
		}
		for _, p := range pls {
			if p.Name == MixName {
				mix = p.ID
				break
			}
		}
		if next == "" {
			break
		}
		page.Token = next
	}
	if mix == "" {
		return nil, fmt.Errorf("demo playlist %q not found", MixName)
	}
	entries, _, err := stores.Playlists.ListEntries(ctx, mix, domain.Page{Size: 100})
	if err != nil {
		return nil, fmt.Errorf("demo playlist entries: %w", err)
	}
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.TrackID)
	}
	return ids, nil
}

// tune writes a short stereo chord, different for each n, with a slow
// swell so it sounds like something rather than a test tone.
func tune(ctx context.Context, ffmpeg, path string, n int, title string) error {
	root := 196.0 * float64(int(1)<<(n%3)) / float64(1+n%2) * (1 + float64(n)/12)
	expr := fmt.Sprintf("(0.25*sin(2*PI*%[1]f*t)+0.18*sin(2*PI*%[1]f*1.25*t)+0.14*sin(2*PI*%[1]f*1.5*t))*(0.6+0.4*sin(2*PI*0.25*t))", root)
	cmd := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("aevalsrc=%s|%s:s=44100:d=%d", expr, expr, AudioSeconds),
		"-metadata", "title="+title, "-c:a", "flac", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("generate demo audio with %s: %w: %s", ffmpeg, err, out)
	}
	return nil
}
