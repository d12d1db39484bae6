package domain_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/embedded"
)

// cleanupLog stands in for the broker: it records what the domain
// schedules, or fails when told to.
type cleanupLog struct {
	mu   sync.Mutex
	jobs []domain.CleanupJob
	fail error
}

func (q *cleanupLog) EnqueueCleanup(_ context.Context, j domain.CleanupJob) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	q.jobs = append(q.jobs, j)
	return nil
}

func (q *cleanupLog) take() []domain.CleanupJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	j := q.jobs
	q.jobs = nil
	return j
}

// noJobs accepts transcode jobs: these tests call the transcode outcomes
// directly.
type noJobs struct{}

func (noJobs) EnqueueTranscode(context.Context, domain.TranscodeJob) error { return nil }

type world struct {
	ctx     context.Context
	stores  domain.Stores
	q       *cleanupLog
	catalog *domain.Catalog
	media   *domain.Media
	artist  domain.Principal
	now     time.Time
}

const grace = 70 * time.Minute

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	s, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	stores := s.Stores()
	w := &world{ctx: ctx, q: &cleanupLog{}, now: time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)}
	janitor := domain.NewJanitor(w.q, grace, nil, func() time.Time { return w.now })
	w.stores = stores
	w.catalog = domain.NewCatalog(stores, janitor, nil)
	w.media = domain.NewMedia(stores, w.catalog, noJobs{}, janitor, nil, 1<<20)
	u := &domain.User{ID: domain.NewID(), Username: "artist1", Roles: []domain.Role{domain.RoleListener, domain.RoleArtist}}
	if err := stores.Users.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	w.artist = domain.Principal{UserID: u.ID, Roles: u.Roles}
	return w
}

func (w *world) newArtist(t *testing.T) *domain.Artist {
	t.Helper()
	a, err := w.catalog.CreateArtist(w.ctx, w.artist, &domain.Artist{Name: "Artist"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (w *world) newTrack(t *testing.T, artistID, albumID string) *domain.Track {
	t.Helper()
	tr, err := w.catalog.CreateTrack(w.ctx, w.artist, &domain.Track{Title: "Song", ArtistIDs: []string{artistID}, AlbumID: albumID})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// ready runs a successful transcode of a new upload of the track.
func (w *world) ready(t *testing.T, trackID string) string {
	t.Helper()
	up := domain.NewID()
	time.Sleep(2 * time.Millisecond) // ids order by millisecond
	if err := w.media.TranscodeReady(w.ctx, domain.TranscodeJob{TrackID: trackID, UploadID: up}, time.Minute, domain.Loudness{}); err != nil {
		t.Fatal(err)
	}
	return up
}

func (w *world) due(t *testing.T, j domain.CleanupJob) bool {
	t.Helper()
	ok, err := w.media.CleanupDue(w.ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestReplacedMediaIsRemovedAfterTheGrace(t *testing.T) {
	w := newWorld(t)
	tr := w.newTrack(t, w.newArtist(t).ID, "")

	first := w.ready(t, tr.ID)
	if jobs := w.q.take(); len(jobs) != 0 {
		t.Fatalf("the first media set replaced nothing, yet scheduled %+v", jobs)
	}
	second := w.ready(t, tr.ID)
	jobs := w.q.take()
	want := domain.CleanupJob{TrackID: tr.ID, MediaID: first, NotBefore: w.now.Add(grace)}
	if len(jobs) != 1 || jobs[0] != want {
		t.Fatalf("scheduled %+v, want [%+v]", jobs, want)
	}
	if !w.due(t, jobs[0]) {
		t.Fatal("the replaced set is not garbage")
	}
	if w.due(t, domain.CleanupJob{TrackID: tr.ID, MediaID: second}) {
		t.Fatal("the set that plays counts as garbage")
	}
	if w.due(t, domain.CleanupJob{TrackID: tr.ID}) {
		t.Fatal("an existing track's whole media counts as garbage")
	}

	// A result for the same upload again (a redelivered job) replaces nothing.
	if err := w.media.TranscodeReady(w.ctx, domain.TranscodeJob{TrackID: tr.ID, UploadID: second}, time.Minute, domain.Loudness{}); err != nil {
		t.Fatal(err)
	}
	if jobs := w.q.take(); len(jobs) != 0 {
		t.Fatalf("a repeated result scheduled %+v", jobs)
	}
}

func TestLosingAndFailedUploadsAreRemovedAtOnce(t *testing.T) {
	w := newWorld(t)
	tr := w.newTrack(t, w.newArtist(t).ID, "")
	older := domain.NewID()
	time.Sleep(2 * time.Millisecond)
	newer := w.ready(t, tr.ID)
	w.q.take()

	// The older upload finishes last: the newer one keeps playing.
	if err := w.media.TranscodeReady(w.ctx, domain.TranscodeJob{TrackID: tr.ID, UploadID: older}, time.Minute, domain.Loudness{}); err != nil {
		t.Fatal(err)
	}
	got, err := w.catalog.GetTrack(w.ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.MediaID != newer {
		t.Fatalf("track plays %s, want the newer upload %s", got.MediaID, newer)
	}
	if jobs := w.q.take(); len(jobs) != 1 || jobs[0] != (domain.CleanupJob{TrackID: tr.ID, MediaID: older, NotBefore: w.now}) {
		t.Fatalf("scheduled %+v, want the losing upload removed now", jobs)
	}
	need, err := w.media.NeedsTranscode(w.ctx, domain.TranscodeJob{TrackID: tr.ID, UploadID: older})
	if err != nil || need {
		t.Fatalf("NeedsTranscode(older upload) = %v, %v; want false: its file may be gone", need, err)
	}

	bad := domain.NewID()
	if err := w.media.TranscodeFailed(w.ctx, domain.TranscodeJob{TrackID: tr.ID, UploadID: bad}, "not audio"); err != nil {
		t.Fatal(err)
	}
	if jobs := w.q.take(); len(jobs) != 1 || jobs[0] != (domain.CleanupJob{TrackID: tr.ID, MediaID: bad, NotBefore: w.now}) {
		t.Fatalf("scheduled %+v, want the failed upload removed now", jobs)
	}
}

func TestDeletedTracksLoseTheirMedia(t *testing.T) {
	w := newWorld(t)
	artist := w.newArtist(t)
	album, err := w.catalog.CreateAlbum(w.ctx, w.artist, &domain.Album{Title: "Album", ArtistIDs: []string{artist.ID}})
	if err != nil {
		t.Fatal(err)
	}
	single := w.newTrack(t, artist.ID, "")
	onAlbum := []*domain.Track{w.newTrack(t, artist.ID, album.ID), w.newTrack(t, artist.ID, album.ID)}
	alone := w.newTrack(t, artist.ID, "")
	w.q.take()

	sorted := func(j []domain.CleanupJob) []domain.CleanupJob {
		slices.SortFunc(j, func(a, b domain.CleanupJob) int { return strings.Compare(a.TrackID, b.TrackID) })
		return j
	}
	whole := func(ids ...string) []domain.CleanupJob {
		var out []domain.CleanupJob
		for _, id := range ids {
			out = append(out, domain.CleanupJob{TrackID: id, NotBefore: w.now})
		}
		return sorted(out)
	}

	if err := w.catalog.DeleteTrack(w.ctx, w.artist, single.ID); err != nil {
		t.Fatal(err)
	}
	if got, want := w.q.take(), whole(single.ID); !slices.Equal(got, want) {
		t.Fatalf("DeleteTrack scheduled %+v, want %+v", got, want)
	}
	if !w.due(t, domain.CleanupJob{TrackID: single.ID}) {
		t.Fatal("a deleted track's media is not garbage")
	}

	if err := w.catalog.DeleteAlbum(w.ctx, w.artist, album.ID); err != nil {
		t.Fatal(err)
	}
	if got, want := sorted(w.q.take()), whole(onAlbum[0].ID, onAlbum[1].ID); !slices.Equal(got, want) {
		t.Fatalf("DeleteAlbum scheduled %+v, want %+v", got, want)
	}

	// The broker being down does not undo or fail a deletion.
	w.q.fail = errors.New("broker down")
	if err := w.catalog.DeleteArtist(w.ctx, w.artist, artist.ID); err != nil {
		t.Fatalf("DeleteArtist with the broker down: %v", err)
	}
	if _, err := w.catalog.GetTrack(w.ctx, alone.ID); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("the artist's track survived: %v", err)
	}
	w.q.fail = nil

	// A transcode finishing after its track was deleted cleans up after itself.
	if err := w.media.TranscodeReady(w.ctx, domain.TranscodeJob{TrackID: alone.ID, UploadID: domain.NewID()}, time.Minute, domain.Loudness{}); err != nil {
		t.Fatal(err)
	}
	if got, want := w.q.take(), whole(alone.ID); !slices.Equal(got, want) {
		t.Fatalf("a late transcode of a deleted track scheduled %+v, want %+v", got, want)
	}
}

// halfDelete is a catalog store whose DeleteAlbum fails after deleting
// some tracks, as a Cassandra delete can.
type halfDelete struct {
	domain.CatalogStore
	deleted []string
}

func (h halfDelete) DeleteAlbum(context.Context, string) ([]string, error) {
	return h.deleted, domain.Unavailable("node down")
}

func TestTracksOfAFailedDeleteStillLoseTheirMedia(t *testing.T) {
	w := newWorld(t)
	artist := w.newArtist(t)
	album, err := w.catalog.CreateAlbum(w.ctx, w.artist, &domain.Album{Title: "Album", ArtistIDs: []string{artist.ID}})
	if err != nil {
		t.Fatal(err)
	}
	gone := []string{w.newTrack(t, artist.ID, album.ID).ID}
	stores := w.stores
	stores.Catalog = halfDelete{CatalogStore: stores.Catalog, deleted: gone}
	c := domain.NewCatalog(stores, domain.NewJanitor(w.q, grace, nil, func() time.Time { return w.now }), nil)
	w.q.take()

	if err := c.DeleteAlbum(w.ctx, w.artist, album.ID); !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("DeleteAlbum = %v, want the store's unavailable error", err)
	}
	want := []domain.CleanupJob{{TrackID: gone[0], NotBefore: w.now}}
	if got := w.q.take(); !slices.Equal(got, want) {
		t.Fatalf("scheduled %+v, want %+v: a retry would not see the deleted track", got, want)
	}
}
