package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	playlistv1 "github.com/backbeat/backbeat/gen/go/backbeat/playlist/v1"
	"github.com/backbeat/backbeat/server/app"
	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/store/embedded"
)

// TestBackupDuringWritesRestores takes a backup while clients keep creating
// playlists, restores it into an empty data directory and serves it: the
// restored database passes SQLite's consistency checks, every write
// acknowledged before the backup began is there, and the signing keys came
// along (an access token of the original server is accepted by the
// restored one). A damaged backup, or a data directory in use, is refused
// and left untouched.
func TestBackupDuringWritesRestores(t *testing.T) {
	// One public URL for both servers: the issuer's identifier is in the
	// tokens, so the restored server must be the same issuer.
	const public = "http://backbeat.invalid"
	orig := apptest.Start(t, func(c *app.Config) { c.PublicURL = public })
	token, _ := apptest.Register(t, apptest.NewAPI(apptest.HTTP1Client(), "http://"+orig.Addr().String(), ""), "writer")
	api := apptest.NewAPI(apptest.HTTP1Client(), "http://"+orig.Addr().String(), token)
	cfg := app.Defaults()
	cfg.DataDir = orig.DataDir
	blobKey := "media/t1/m1/master.m3u8"
	writeFile(t, filepath.Join(cfg.DataDir, "blobs", filepath.FromSlash(blobKey)), "#EXTM3U\n")

	type ack struct {
		id string
		at time.Time
	}
	var (
		mu    sync.Mutex
		acked []ack
		wg    sync.WaitGroup
	)
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	ctx, stop := context.WithCancel(apptest.Context(t))
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				res, err := api.Playlists.CreatePlaylist(ctx, connect.NewRequest(&playlistv1.CreatePlaylistRequest{
					Playlist: &playlistv1.Playlist{Name: fmt.Sprintf("w%d-%d", w, i)},
				}))
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("create playlist: %v", err)
					}
					return
				}
				mu.Lock()
				acked = append(acked, ack{res.Msg.Playlist.Id, time.Now()})
				mu.Unlock()
			}
		}()
	}
	waitFor := func(n int) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for count() < n {
			if time.Now().After(deadline) {
				t.Fatalf("only %d of %d writes acknowledged in a minute", count(), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(30)
	backup := filepath.Join(t.TempDir(), "backup")
	began := time.Now()
	m, err := app.Backup(ctx, cfg, backup)
	if err != nil {
		t.Fatal(err)
	}
	// Writes go on after the snapshot, as they would in production.
	waitFor(count() + 30)
	stop()
	wg.Wait()
	if len(m.Files) != 3 {
		t.Errorf("backup holds %v, want the database and both signing keys", m.Files)
	}
	if len(m.Blobs) != 1 || m.Blobs[0].Key != blobKey {
		t.Errorf("blob manifest %v, want just %s", m.Blobs, blobKey)
	}

	// A damaged copy is refused before anything is restored.
	damaged := filepath.Join(t.TempDir(), "damaged")
	copyDir(t, backup, damaged)
	writeFile(t, filepath.Join(damaged, "media-signing.key"), "00\n")
	target := app.Defaults()
	target.DataDir = filepath.Join(t.TempDir(), "restored")
	if _, err := app.Restore(context.Background(), target, damaged); err == nil {
		t.Fatal("a backup whose key file changed was restored")
	}
	if entries, _ := os.ReadDir(target.DataDir); len(entries) > 0 {
		t.Fatalf("a refused restore left %v behind", entries)
	}

	r, err := app.Restore(context.Background(), target, backup)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.MissingBlobs) != 1 || r.MissingBlobs[0] != blobKey {
		t.Errorf("missing blobs %v, want %s (the new blob directory is empty)", r.MissingBlobs, blobKey)
	}
	if err := embedded.Check(context.Background(), filepath.Join(target.DataDir, embedded.DBFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Restore(context.Background(), target, backup); err == nil {
		t.Error("a restore over a data directory in use was accepted")
	}

	restored := apptest.Start(t, func(c *app.Config) { c.DataDir, c.PublicURL = target.DataDir, public })
	rapi := apptest.NewAPI(apptest.HTTP1Client(), "http://"+restored.Addr().String(), token)
	checked := 0
	for _, a := range acked {
		if !a.at.Before(began) {
			continue
		}
		checked++
		if _, err := rapi.Playlists.GetPlaylist(apptest.Context(t), connect.NewRequest(&playlistv1.GetPlaylistRequest{PlaylistId: a.id})); err != nil {
			t.Errorf("playlist %s, acknowledged before the backup began, after restore: %v", a.id, err)
		}
	}
	t.Logf("%d writes acknowledged, %d before the backup began, all restored", len(acked), checked)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(to, e.Name()), string(b))
	}
}
