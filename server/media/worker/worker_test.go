package worker

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/media/blob"
	"github.com/backbeat/backbeat/server/media/blobkey"
	"github.com/backbeat/backbeat/server/store/embedded"
)

// Cleanup deletes only what the catalog no longer plays, on a real local
// blob store and the embedded store.
func TestCleanupDeletesOnlyGarbage(t *testing.T) {
	ctx := context.Background()
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
	media := domain.NewMedia(stores, nil, nil, nil, nil, 1<<20)
	w := New(blobs, media, nil, t.TempDir(), 1, slog.New(slog.DiscardHandler))

	now := time.Now().UTC()
	artist := &domain.Artist{ID: domain.NewID(), Name: "A", CreateTime: now, UpdateTime: now}
	if err := stores.Catalog.CreateArtist(ctx, artist); err != nil {
		t.Fatal(err)
	}
	track := &domain.Track{ID: domain.NewID(), Title: "T", ArtistIDs: []string{artist.ID}, CreateTime: now, UpdateTime: now}
	if err := stores.Catalog.CreateTrack(ctx, track); err != nil {
		t.Fatal(err)
	}
	playing, old := domain.NewID(), domain.NewID()
	if err := stores.Catalog.SetTrackMedia(ctx, track.ID, domain.TrackMedia{Status: domain.TrackReady, MediaID: playing}); err != nil {
		t.Fatal(err)
	}
	other := domain.NewID() // another track's files must never be touched
	var keys []string
	for _, tr := range []string{track.ID, other} {
		for _, m := range []string{playing, old} {
			keys = append(keys, blobkey.Upload(tr, m),
				blobkey.MediaPrefix(tr, m)+"master.m3u8", blobkey.MediaPrefix(tr, m)+"a/seg1.m4s")
		}
	}
	for _, k := range keys {
		if _, err := blobs.Put(ctx, k, strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(k string) bool {
		o, err := blobs.Open(ctx, k)
		if err != nil {
			return false
		}
		o.Close()
		return true
	}
	check := func(step string, gone func(k string) bool) {
		t.Helper()
		for _, k := range keys {
			if want := !gone(k); exists(k) != want {
				t.Errorf("%s: %s exists = %v, want %v", step, k, !want, want)
			}
		}
	}
	of := func(tr, m string) func(string) bool {
		return func(k string) bool {
			for _, p := range blobkey.UploadPrefixes(tr, m) {
				if strings.HasPrefix(k, p) {
					return true
				}
			}
			return false
		}
	}
	none := func(string) bool { return false }

	for _, job := range []domain.CleanupJob{
		{TrackID: track.ID, MediaID: playing}, // it plays
		{TrackID: track.ID},                   // the track exists
	} {
		if err := w.Cleanup(ctx, job); err != nil {
			t.Fatal(err)
		}
		check("cleanup of what plays", none)
	}

	if err := w.Cleanup(ctx, domain.CleanupJob{TrackID: track.ID, MediaID: old}); err != nil {
		t.Fatal(err)
	}
	check("replaced set", of(track.ID, old))
	if err := w.Cleanup(ctx, domain.CleanupJob{TrackID: track.ID, MediaID: old}); err != nil {
		t.Fatalf("a repeated cleanup: %v", err)
	}

	if err := stores.Catalog.DeleteTrack(ctx, track.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.Cleanup(ctx, domain.CleanupJob{TrackID: track.ID}); err != nil {
		t.Fatal(err)
	}
	check("deleted track", func(k string) bool { return strings.Contains(k, "/"+track.ID+"/") })
}
