package cassandra

import (
	"context"
	"slices"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// Resumable creates (issue 14, item 5). A create is a lightweight
// transaction on the entity's row followed by a batch of index, listing and
// feed rows. If the transaction applied but its answer was lost (a
// timeout), the index rows were never written and the entity is unlisted
// and unsearchable. The caller's retry finds the row there; when the stored
// row is the one this very request would write, the retry is taken as the
// same create resumed: the index batch (every statement idempotent) is
// written and the create succeeds. A row that differs is someone else's:
// AlreadyExists, and nothing is written.

// resumeCreate is what a create does when its INSERT ... IF NOT EXISTS did
// not apply: nil (go on and write the index rows) if same reports the stored
// row to be this request's, else AlreadyExists on the id. A row deleted
// meanwhile counts as someone else's.
func resumeCreate(what, id string, same func() (bool, error)) error {
	ok, err := same()
	if err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return err
	}
	if err == nil && ok {
		return nil
	}
	return domain.AlreadyExists("id", "%s %q already exists", what, id)
}

// sameTime compares a stored timestamp with a requested one at the
// millisecond precision CQL keeps.
func sameTime(stored, req time.Time) bool { return stored.Equal(msTime(req)) }

func (c catalogStore) sameArtist(ctx context.Context, a *domain.Artist) (bool, error) {
	got, err := c.GetArtist(ctx, a.ID)
	if err != nil {
		return false, err
	}
	return got.Name == a.Name && got.Bio == a.Bio && slices.Equal(got.Genres, a.Genres) && got.ImageURL == a.ImageURL &&
		slices.Equal(got.OwnerIDs, a.OwnerIDs) && sameTime(got.CreateTime, a.CreateTime), nil
}

func (c catalogStore) sameAlbum(ctx context.Context, a *domain.Album) (bool, error) {
	var r albumRow
	if err := c.read(ctx, `SELECT `+albumColumns+` FROM albums WHERE id = ?`, a.ID).Get(&r); err != nil {
		return false, notFound(err, "album", a.ID)
	}
	return r.Title == a.Title && slices.Equal(r.ArtistIDs, a.ArtistIDs) && r.Type == string(a.Type) &&
		slices.Equal(r.Genres, a.Genres) && r.ReleaseDate == a.ReleaseDate && r.ArtworkURL == a.ArtworkURL &&
		sameTime(r.CreateTime, a.CreateTime), nil
}

func (c catalogStore) sameTrack(ctx context.Context, t *domain.Track) (bool, error) {
	got, err := c.GetTrack(ctx, t.ID)
	if err != nil {
		return false, err
	}
	return got.Title == t.Title && slices.Equal(got.ArtistIDs, t.ArtistIDs) && got.AlbumID == t.AlbumID &&
		got.DiscNumber == t.DiscNumber && got.TrackNumber == t.TrackNumber && slices.Equal(got.Genres, t.Genres) &&
		got.Explicit == t.Explicit && got.ReleaseDate == t.ReleaseDate && got.ISRC == t.ISRC &&
		sameTime(got.CreateTime, t.CreateTime), nil
}

func (p playlistStore) samePlaylist(ctx context.Context, pl *domain.Playlist) (bool, error) {
	r, err := p.playlistRow(ctx, pl.ID)
	if err != nil {
		return false, err
	}
	return r.OwnerID == pl.OwnerID && r.Name == pl.Name && r.Description == pl.Description && r.Public == pl.Public &&
		r.Collaborative == pl.Collaborative && sameTime(r.CreateTime, pl.CreateTime), nil
}

// cas runs a lightweight transaction through the Session (once, never
// retried: a timeout may have applied it), where a test's failing session
// can make it apply and then time out.
func (s *Store) cas(ctx context.Context, stmt string, args ...any) (bool, error) {
	return s.sess.ExecCAS(ctx, Statement{CQL: stmt, Args: args})
}
