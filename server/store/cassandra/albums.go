package cassandra

import (
	"context"
	"slices"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

const albumColumns = `id, title, artist_ids, album_type, genres, release_date, artwork_url, create_time, update_time`

type albumRow struct {
	ID          string    `db:"id"`
	Title       string    `db:"title"`
	ArtistIDs   []string  `db:"artist_ids"`
	Type        string    `db:"album_type"`
	Genres      []string  `db:"genres"`
	ReleaseDate string    `db:"release_date"`
	ArtworkURL  string    `db:"artwork_url"`
	CreateTime  time.Time `db:"create_time"`
	UpdateTime  time.Time `db:"update_time"`
}

func (c catalogStore) GetAlbum(ctx context.Context, id string) (_ *domain.Album, err error) {
	defer wrap(&err, "cassandra.GetAlbum(%q)", id)
	var r albumRow
	if err := c.read(ctx, `SELECT `+albumColumns+` FROM albums WHERE id = ?`, id).Get(&r); err != nil {
		return nil, notFound(err, "album", id)
	}
	// Counting the album's partition of tracks_by_album (a few dozen rows)
	// keeps TrackCount exact without a counter that could drift.
	var n int
	if err := c.read(ctx, `SELECT COUNT(*) FROM tracks_by_album WHERE album_id = ?`, id).Scan(&n); err != nil {
		return nil, err
	}
	return &domain.Album{ID: r.ID, Title: r.Title, ArtistIDs: r.ArtistIDs, Type: domain.AlbumType(r.Type), Genres: r.Genres,
		ReleaseDate: r.ReleaseDate, ArtworkURL: r.ArtworkURL, TrackCount: n, CreateTime: r.CreateTime, UpdateTime: r.UpdateTime}, nil
}

func (c catalogStore) CreateAlbum(ctx context.Context, a *domain.Album) (err error) {
	defer wrap(&err, "cassandra.CreateAlbum(%q)", a.ID)
	applied, err := c.once(ctx, `INSERT INTO albums (`+albumColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
		a.ID, a.Title, a.ArtistIDs, string(a.Type), a.Genres, a.ReleaseDate, a.ArtworkURL, msTime(a.CreateTime), msTime(a.UpdateTime)).ExecCAS()
	if err == nil && !applied {
		err = domain.AlreadyExists("id", "album %q already exists", a.ID)
	}
	if err == nil {
		b := c.logged(ctx)
		for _, ar := range a.ArtistIDs {
			b.add(`INSERT INTO albums_by_artist (artist_id, release_date, album_id) VALUES (?, ?, ?)`, ar, a.ReleaseDate, a.ID)
		}
		addListing(b, kindAlbum, a.ID)
		b.feed(kindAlbum, a.ID)
		err = c.exec(b)
	}
	return err
}

func (s catalogStore) UpdateAlbum(ctx context.Context, a *domain.Album) (err error) {
	defer wrap(&err, "cassandra.UpdateAlbum(%q)", a.ID)
	old, err := s.GetAlbum(ctx, a.ID)
	if err != nil {
		return err
	}
	applied, err := s.once(ctx, `UPDATE albums SET title = ?, artist_ids = ?, album_type = ?, genres = ?, release_date = ?, artwork_url = ?, create_time = ?, update_time = ? WHERE id = ? IF EXISTS`,
		a.Title, a.ArtistIDs, string(a.Type), a.Genres, a.ReleaseDate, a.ArtworkURL, msTime(a.CreateTime), msTime(a.UpdateTime), a.ID).ExecCAS()
	if err != nil {
		return err
	}
	if !applied {
		return domain.NotFound("album", a.ID)
	}
	b := s.logged(ctx)
	for _, ar := range old.ArtistIDs {
		if old.ReleaseDate != a.ReleaseDate || !slices.Contains(a.ArtistIDs, ar) {
			b.add(`DELETE FROM albums_by_artist WHERE artist_id = ? AND release_date = ? AND album_id = ?`, ar, old.ReleaseDate, a.ID)
		}
	}
	for _, ar := range a.ArtistIDs {
		if old.ReleaseDate != a.ReleaseDate || !slices.Contains(old.ArtistIDs, ar) {
			b.add(`INSERT INTO albums_by_artist (artist_id, release_date, album_id) VALUES (?, ?, ?)`, ar, a.ReleaseDate, a.ID)
		}
	}
	b.feed(kindAlbum, a.ID)
	if err := s.exec(b); err != nil {
		return err
	}
	if old.Title == a.Title {
		return nil
	}
	// Tracks are found by their album's title too.
	tracks, err := s.trackIDsOfAlbum(ctx, a.ID)
	if err != nil {
		return err
	}
	return s.feed(ctx, kindTrack, tracks...)
}

// deleteAlbum deletes the album and its tracks and returns the ids of the
// tracks it deleted (not those a concurrent delete took first), with an
// error too: a retry does not find those tracks again.
func (s catalogStore) DeleteAlbum(ctx context.Context, id string) (_ []string, err error) {
	defer wrap(&err, "cassandra.DeleteAlbum(%q)", id)
	a, err := s.GetAlbum(ctx, id)
	if err != nil {
		return nil, err
	}
	tracks, err := s.trackIDsOfAlbum(ctx, id)
	if err != nil {
		return nil, err
	}
	deleted := make([]string, 0, len(tracks))
	for _, t := range tracks {
		err := s.DeleteTrack(ctx, t)
		if domain.IsKind(err, domain.KindNotFound) {
			continue
		}
		if err != nil {
			return deleted, err
		}
		deleted = append(deleted, t)
	}
	b := s.logged(ctx)
	for _, ar := range a.ArtistIDs {
		b.add(`DELETE FROM albums_by_artist WHERE artist_id = ? AND release_date = ? AND album_id = ?`, ar, a.ReleaseDate, id)
	}
	removeListing(b, kindAlbum, id)
	if err := s.exec(b); err != nil {
		return deleted, err
	}
	last := s.logged(ctx)
	last.add(`DELETE FROM albums WHERE id = ?`, id)
	last.feed(kindAlbum, id)
	if err := s.exec(last); err != nil {
		return deleted, err
	}
	return deleted, nil
}

func (c catalogStore) ListAlbums(ctx context.Context, p domain.Page) (_ []*domain.Album, _ string, err error) {
	defer wrap(&err, "cassandra.ListAlbums")
	as, next, err := listAll(ctx, c.Store, p, ofAlbums, kindAlbum, c.GetAlbum, func(a *domain.Album) string { return a.ID })
	if err != nil {
		return nil, "", err
	}
	return as, next, nil
}

type albumRef struct {
	ReleaseDate string `db:"release_date"`
	AlbumID     string `db:"album_id"`
}

func (c catalogStore) ListAlbumsByArtist(ctx context.Context, artistID string, p domain.Page) (_ []*domain.Album, _ string, err error) {
	defer wrap(&err, "cassandra.ListAlbumsByArtist(%q)", artistID)
	cur, resume, err := pagetoken.Read(p, ofAlbumsByArtist)
	if err != nil {
		return nil, "", err
	}
	var refs []albumRef
	if !resume {
		err = c.read(ctx, `SELECT release_date, album_id FROM albums_by_artist WHERE artist_id = ? LIMIT ?`, artistID, p.Size+1).Select(&refs)
	} else {
		err = c.read(ctx, `SELECT release_date, album_id FROM albums_by_artist WHERE artist_id = ? AND (release_date, album_id) < (?, ?) LIMIT ?`,
			artistID, cur.Key, cur.ID, p.Size+1).Select(&refs)
	}
	if err != nil {
		return nil, "", err
	}
	refs, next := pagetoken.Page(refs, p.Size, func(last albumRef) pagetoken.Cursor {
		return pagetoken.Cursor{List: ofAlbumsByArtist, Key: last.ReleaseDate, ID: last.AlbumID}
	})
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.AlbumID
	}
	as, err := fetchAll(ctx, ids, c.GetAlbum)
	if err != nil {
		return nil, "", err
	}
	return as, next, nil
}
