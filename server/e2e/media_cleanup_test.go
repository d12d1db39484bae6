package e2e

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	catalogv1 "github.com/backbeat/backbeat/gen/go/backbeat/catalog/v1"
	playbackv1 "github.com/backbeat/backbeat/gen/go/backbeat/playback/v1"
	"github.com/backbeat/backbeat/server/app/apptest"
	"github.com/backbeat/backbeat/server/media/blobkey"
)

// cleanupGrace is how long the server under test keeps replaced media.
const cleanupGrace = 2 * time.Second

// TestMediaCleanup: stored media nothing plays any more leaves blob storage.
// A set replaced by a new upload goes once its grace has passed (the new one
// stays), a refused upload at once, and a deleted track's, album's or
// artist's files at once, breaking the URLs handed out for them.
func TestMediaCleanup(t *testing.T) {
	requireFFmpeg(t)
	s := startServer(t, t.TempDir(), "--media-cleanup-grace", cleanupGrace.String())
	st := newStudio(t, s)
	dir := t.TempDir()
	audio := makeAudio(t, dir, "take.flac", 3)
	text := filepath.Join(dir, "notes.mp3")
	os.WriteFile(text, []byte(strings.Repeat("these are lyrics, not audio\n", 200)), 0o644)

	t.Run("replaced media goes after the grace, the new one stays", func(t *testing.T) {
		id := st.track(t, "Second Take", 1)
		a := uploadReady(t, st, id, audio)
		spA := playMedia(t, st, id, a)
		mustHaveBlobs(t, s, blobkey.UploadPrefixes(id, a)...)

		b := uploadReady(t, st, id, audio)
		waitNoBlobs(t, s, blobkey.UploadPrefixes(id, a)...)
		mustHaveBlobs(t, s, blobkey.UploadPrefixes(id, b)...)
		if n := logCount(s.logs.String(), "media removed", "media_id="+b); n != 0 {
			t.Errorf("the playing set %s was removed", b)
		}
		// Not before the grace: the removal is scheduled as B is switched
		// in (just before, so a failed switch keeps A), due the grace after
		// that, and runs no earlier.
		scheduledAt := logTime(t, s, "media cleanup scheduled", "media_id="+a)
		notBefore := logTimeAttr(t, s, "not_before", "media cleanup scheduled", "media_id="+a)
		readyAt := logTime(t, s, "media ready", b)
		removedAt := logTime(t, s, "media removed", "media_id="+a)
		t.Logf("replaced set removed %v after its cleanup was scheduled, %v after the new one became ready",
			removedAt.Sub(scheduledAt), removedAt.Sub(readyAt))
		if scheduledAt.After(readyAt) {
			t.Errorf("cleanup of the replaced set scheduled at %v, after the new one became ready at %v", scheduledAt, readyAt)
		}
		// The due time is taken just before the job is published and logged;
		// log times have millisecond precision, not_before has more.
		if d := notBefore.Sub(scheduledAt); d < cleanupGrace-time.Second || d > cleanupGrace+time.Millisecond {
			t.Errorf("replaced set due %v after its cleanup was logged as scheduled, want the %v grace", d, cleanupGrace)
		}
		if removedAt.Before(notBefore.Truncate(time.Millisecond)) {
			t.Errorf("replaced set removed at %v, before it was due at %v", removedAt, notBefore)
		}
		for _, u := range []string{spA.HlsUrl, spA.DashUrl, spA.ProgressiveUrl} {
			if res, _ := get(t, u); res.StatusCode != http.StatusNotFound {
				t.Errorf("A's old signed URL %s: %d, want 404", u, res.StatusCode)
			}
		}
		spB := playMedia(t, st, id, b)
		if res, _ := get(t, spB.ProgressiveUrl, "Range", "bytes=0-99"); res.StatusCode != http.StatusPartialContent {
			t.Errorf("B's progressive file: %d", res.StatusCode)
		}
	})

	t.Run("a refused upload leaves nothing behind", func(t *testing.T) {
		id := st.track(t, "Kept Take", 2)
		good := uploadReady(t, st, id, audio)
		bad, code, body := st.upload(t, id, text)
		if code != http.StatusOK {
			t.Fatalf("PUT = %d %s", code, body)
		}
		waitFailed(t, st, id, "the text upload")
		waitNoBlobs(t, s, blobkey.UploadPrefixes(id, bad)...)
		if n := logCount(s.logs.String(), "media removed", "media_id="+bad); n == 0 {
			t.Errorf("no cleanup of the refused upload %s logged", bad)
		}
		// The earlier media is no garbage: it stays, and plays.
		time.Sleep(cleanupGrace + time.Second)
		mustHaveBlobs(t, s, blobkey.UploadPrefixes(id, good)...)
		playMedia(t, st, id, good)
	})

	t.Run("deleting a track removes its media at once", func(t *testing.T) {
		id := st.track(t, "Deleted Take", 3)
		m := uploadReady(t, st, id, audio)
		sp := playMedia(t, st, id, m)
		mustHaveBlobs(t, s, blobkey.TrackPrefixes(id)...)
		_, err := st.artist.Catalog.DeleteTrack(apptest.Context(t), connect.NewRequest(&catalogv1.DeleteTrackRequest{TrackId: id}))
		apptest.MustOK(t, "DeleteTrack", err)
		start := time.Now()
		waitNoBlobs(t, s, blobkey.TrackPrefixes(id)...)
		t.Logf("deleted track's media gone %v after DeleteTrack", time.Since(start).Round(time.Millisecond))
		if res, _ := get(t, sp.HlsUrl); res.StatusCode != http.StatusNotFound {
			t.Errorf("old signed master URL: %d, want 404", res.StatusCode)
		}
		if n := logCount(s.logs.String(), "media removed", "track_id="+id, "whole_track=true"); n == 0 {
			t.Errorf("no whole-track cleanup of %s logged", id)
		}
	})

	t.Run("deleting an album removes its tracks' media", func(t *testing.T) {
		al, err := st.artist.Catalog.CreateAlbum(apptest.Context(t), connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: "Doomed", ArtistIds: []string{st.artID}}}))
		apptest.MustOK(t, "CreateAlbum", err)
		id := albumTrack(t, st, al.Msg.Album.Id, st.artID, "On a Deleted Album")
		m := uploadReady(t, st, id, audio)
		sp := playMedia(t, st, id, m)
		mustHaveBlobs(t, s, blobkey.TrackPrefixes(id)...)
		_, err = st.artist.Catalog.DeleteAlbum(apptest.Context(t), connect.NewRequest(&catalogv1.DeleteAlbumRequest{AlbumId: al.Msg.Album.Id}))
		apptest.MustOK(t, "DeleteAlbum", err)
		waitNoBlobs(t, s, blobkey.TrackPrefixes(id)...)
		if res, _ := get(t, sp.HlsUrl); res.StatusCode != http.StatusNotFound {
			t.Errorf("old signed master URL: %d, want 404", res.StatusCode)
		}
	})

	t.Run("deleting an artist removes its tracks' media", func(t *testing.T) {
		ar, err := st.artist.Catalog.CreateArtist(apptest.Context(t), connect.NewRequest(&catalogv1.CreateArtistRequest{Artist: &catalogv1.Artist{Name: "Short Lived"}}))
		apptest.MustOK(t, "CreateArtist", err)
		artID := ar.Msg.Artist.Id
		al, err := st.artist.Catalog.CreateAlbum(apptest.Context(t), connect.NewRequest(&catalogv1.CreateAlbumRequest{Album: &catalogv1.Album{Title: "Only Album", ArtistIds: []string{artID}}}))
		apptest.MustOK(t, "CreateAlbum", err)
		id := albumTrack(t, st, al.Msg.Album.Id, artID, "By a Deleted Artist")
		uploadReady(t, st, id, audio)
		mustHaveBlobs(t, s, blobkey.TrackPrefixes(id)...)
		_, err = st.artist.Catalog.DeleteArtist(apptest.Context(t), connect.NewRequest(&catalogv1.DeleteArtistRequest{ArtistId: artID}))
		apptest.MustOK(t, "DeleteArtist", err)
		waitNoBlobs(t, s, blobkey.TrackPrefixes(id)...)
	})
}

// albumTrack creates a track of artistID on album.
func albumTrack(t testing.TB, st *studio, album, artistID, title string) string {
	t.Helper()
	res, err := st.artist.Catalog.CreateTrack(apptest.Context(t), connect.NewRequest(&catalogv1.CreateTrackRequest{Track: &catalogv1.Track{
		Title: title, ArtistIds: []string{artistID}, AlbumId: album, TrackNumber: 1, DurationMs: 1000,
	}}))
	apptest.MustOK(t, "CreateTrack", err)
	return res.Msg.Track.Id
}

// uploadReady uploads file to the track and waits until its media set is
// the one that plays, returning the upload (= media) id.
func uploadReady(t testing.TB, st *studio, trackID, file string) string {
	t.Helper()
	id, code, body := st.upload(t, trackID, file)
	if code != http.StatusOK {
		t.Fatalf("PUT = %d %s", code, body)
	}
	// The worker logs "media ready" once the track plays the new set.
	deadline := time.Now().Add(2 * time.Minute)
	for logCount(st.s.logs.String(), "media ready", id) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("upload %s not ready after 2m", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if tr := waitTrack(t, st.fan, trackID, time.Minute); tr.Status != catalogv1.TrackStatus_TRACK_STATUS_READY {
		t.Fatalf("track %v: %s", tr.Status, tr.StatusReason)
	}
	return id
}

// playMedia starts playback of the track as the listener, checking it plays
// media set mediaID and its master playlist is served.
func playMedia(t testing.TB, st *studio, trackID, mediaID string) *playbackv1.StartPlaybackResponse {
	t.Helper()
	res, err := st.fan.Playback.StartPlayback(apptest.Context(t), connect.NewRequest(&playbackv1.StartPlaybackRequest{TrackId: trackID}))
	apptest.MustOK(t, "StartPlayback", err)
	// .../media/s/<token>/<track>/<media>/master.m3u8
	parts := strings.Split(mustParse(t, res.Msg.HlsUrl).Path, "/")
	if got := parts[len(parts)-2]; got != mediaID {
		t.Fatalf("StartPlayback plays media %s, want %s", got, mediaID)
	}
	if page, _ := get(t, res.Msg.HlsUrl); page.StatusCode != http.StatusOK {
		t.Fatalf("master playlist of media %s: %d", mediaID, page.StatusCode)
	}
	return res.Msg
}

// blobFiles lists the files stored under key (a file or a directory) in the
// server's local blob store, <data-dir>/blobs.
func blobFiles(t testing.TB, s *server, key string) []string {
	t.Helper()
	root := filepath.Join(s.dataDir, "blobs")
	var out []string
	err := filepath.WalkDir(filepath.Join(root, filepath.FromSlash(key)), func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // never there, or removed while we look
		}
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("list blobs under %s: %v", key, err)
	}
	return out
}

func mustHaveBlobs(t testing.TB, s *server, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if len(blobFiles(t, s, k)) == 0 {
			t.Errorf("no files under %s in blob storage, want them kept", k)
		}
	}
}

// waitNoBlobs waits up to 30s for every key to hold no files.
func waitNoBlobs(t testing.TB, s *server, keys ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var left []string
		for _, k := range keys {
			left = append(left, blobFiles(t, s, k)...)
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d files still in blob storage after 30s, e.g. %v", len(left), left[:min(len(left), 5)])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logTime is the time of the server's first log line holding every part.
func logTime(t testing.TB, s *server, parts ...string) time.Time {
	t.Helper()
	return logTimeAttr(t, s, "time", parts...)
}

// logTimeAttr is the time-valued attribute key of the server's first log
// line holding every part.
func logTimeAttr(t testing.TB, s *server, key string, parts ...string) time.Time {
	t.Helper()
	re := regexp.MustCompile(`(?:^| )` + regexp.QuoteMeta(key) + `=(\S+)`)
	for _, line := range strings.Split(s.logs.String(), "\n") {
		if logCount(line, parts...) == 0 {
			continue
		}
		m := re.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("log line without %s: %s", key, line)
		}
		at, err := time.Parse(time.RFC3339Nano, m[1])
		apptest.MustOK(t, "parse log "+key, err)
		return at
	}
	t.Fatalf("no log line with %q", parts)
	return time.Time{}
}
