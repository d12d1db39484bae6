package embedded

import (
	"context"
	"database/sql"
	"errors"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/search"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

func scanAlbum(sc scanner) (*domain.Album, error) {
	var a domain.Album
	var artists, genres, typ string
	var ct, ut int64
	if err := sc.Scan(&a.ID, &a.Title, &artists, &typ, &genres, &a.ReleaseDate, &a.ArtworkURL, &a.TrackCount, &ct, &ut); err != nil {
		return nil, err
	}
	var err error
	if a.ArtistIDs, err = colList[string](artists); err != nil {
		return nil, err
	}
	if a.Genres, err = colList[string](genres); err != nil {
		return nil, err
	}
	a.Type = domain.AlbumType(typ)
	a.CreateTime, a.UpdateTime = colTime(ct), colTime(ut)
	return &a, nil
}

func (c catalogStore) CreateAlbum(ctx context.Context, a *domain.Album) (err error) {
	defer derrors.Wrap(&err, "embedded.CreateAlbum(%q)", a.ID)
	return c.catalogWrite(ctx, func(tx querier, ch *indexChanges) error {
		// TrackCount is the store's: a new album has no tracks.
		_, err := tx.ExecContext(ctx, "INSERT INTO albums ("+albumCols+") VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
			a.ID, a.Title, listCol(a.ArtistIDs), string(a.Type), listCol(a.Genres), a.ReleaseDate, a.ArtworkURL,
			timeCol(a.CreateTime), timeCol(a.UpdateTime))
		if uniqueViolation(err, "albums.id") {
			return domain.AlreadyExists("id", "album %q already exists", a.ID)
		}
		if err != nil {
			return err
		}
		if err := setCredits(ctx, tx, "album_artists", "album_id", a.ID, a.ArtistIDs, false); err != nil {
			return err
		}
		return ch.reloadAlbums(ctx, tx, "a.id = ?", a.ID)
	})
}

func (c catalogStore) GetAlbum(ctx context.Context, id string) (a *domain.Album, err error) {
	defer derrors.Wrap(&err, "embedded.GetAlbum(%q)", id)
	return getOne(ctx, c.rq(ctx), "SELECT "+albumCols+" FROM albums WHERE id = ?", scanAlbum, "album", id)
}

// UpdateAlbum keeps TrackCount (the store's) and CreateTime (see
// UpdateArtist).
func (c catalogStore) UpdateAlbum(ctx context.Context, a *domain.Album) (err error) {
	defer derrors.Wrap(&err, "embedded.UpdateAlbum(%q)", a.ID)
	return c.catalogWrite(ctx, func(tx querier, ch *indexChanges) error {
		var oldTitle string
		err := tx.QueryRowContext(ctx, "SELECT title FROM albums WHERE id = ?", a.ID).Scan(&oldTitle)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFound("album", a.ID)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE albums SET title = ?, artist_ids = ?, type = ?, genres = ?, release_date = ?,
			artwork_url = ?, update_time = ? WHERE id = ?`,
			a.Title, listCol(a.ArtistIDs), string(a.Type), listCol(a.Genres), a.ReleaseDate, a.ArtworkURL,
			timeCol(a.UpdateTime), a.ID); err != nil {
			return err
		}
		if err := setCredits(ctx, tx, "album_artists", "album_id", a.ID, a.ArtistIDs, true); err != nil {
			return err
		}
		if err := ch.reloadAlbums(ctx, tx, "a.id = ?", a.ID); err != nil || oldTitle == a.Title {
			return err
		}
		// Its tracks are found by the album title too.
		return ch.reloadTracks(ctx, tx, "t.album_id = ?", a.ID)
	})
}

// DeleteAlbum returns the deleted tracks' ids, as DeleteArtist does.
func (c catalogStore) DeleteAlbum(ctx context.Context, id string) (deletedTracks []string, err error) {
	defer derrors.Wrap(&err, "embedded.DeleteAlbum(%q)", id)
	var deleted []string
	err = c.catalogWrite(ctx, func(tx querier, ch *indexChanges) error {
		tracks, err := queryStrings(ctx, tx, "SELECT id FROM tracks WHERE album_id = ?", id)
		if err != nil {
			return err
		}
		deleted = tracks
		// Tracks, their playlist entries and the counts go by cascade.
		res, err := tx.ExecContext(ctx, "DELETE FROM albums WHERE id = ?", id)
		if err != nil {
			return err
		}
		if err := requireRow(res, "album", id); err != nil {
			return err
		}
		ch.remove(search.KindAlbum, id)
		for _, t := range tracks {
			ch.remove(search.KindTrack, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return deleted, nil
}

func (c catalogStore) ListAlbums(ctx context.Context, p domain.Page) (albums []*domain.Album, next string, err error) {
	defer derrors.Wrap(&err, "embedded.ListAlbums")
	cur, _, err := pagetoken.Read(p, listAlbums)
	if err != nil {
		return nil, "", err
	}
	rows, err := scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, "SELECT "+albumCols+" FROM albums WHERE id > ? ORDER BY id LIMIT ?",
		cur.ID, p.Size+1)), scanAlbum)
	if err != nil {
		return nil, "", err
	}
	albums, next = pagetoken.Page(rows, p.Size, func(a *domain.Album) pagetoken.Cursor { return pagetoken.Cursor{List: listAlbums, ID: a.ID} })
	return albums, next, nil
}

// ListAlbumsByArtist orders by release date, newest first, then by id
// (newest first too) among albums released the same day.
func (c catalogStore) ListAlbumsByArtist(ctx context.Context, artistID string, p domain.Page) (albums []*domain.Album, next string, err error) {
	defer derrors.Wrap(&err, "embedded.ListAlbumsByArtist(%q)", artistID)
	cur, after, err := pagetoken.Read(p, listAlbumsByArtist)
	if err != nil {
		return nil, "", err
	}
	rows, err := scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, "SELECT "+qualified("a", albumCols)+`
		FROM album_artists x JOIN albums a ON a.id = x.album_id
		WHERE x.artist_id = ?1 AND (NOT ?2 OR (a.release_date, a.id) < (?3, ?4))
		ORDER BY a.release_date DESC, a.id DESC LIMIT ?5`,
		artistID, after, cur.Key, cur.ID, p.Size+1)), scanAlbum)
	if err != nil {
		return nil, "", err
	}
	albums, next = pagetoken.Page(rows, p.Size, func(a *domain.Album) pagetoken.Cursor {
		return pagetoken.Cursor{List: listAlbumsByArtist, Key: a.ReleaseDate, ID: a.ID}
	})
	return albums, next, nil
}
