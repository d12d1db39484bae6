package embedded

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/search"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

func scanArtist(sc scanner) (*domain.Artist, error) {
	var a domain.Artist
	var genres, owners string
	var ct, ut int64
	if err := sc.Scan(&a.ID, &a.Name, &a.Bio, &genres, &a.ImageURL, &owners, &ct, &ut); err != nil {
		return nil, err
	}
	var err error
	if a.Genres, err = colList[string](genres); err != nil {
		return nil, err
	}
	if a.OwnerIDs, err = colList[string](owners); err != nil {
		return nil, err
	}
	a.CreateTime, a.UpdateTime = colTime(ct), colTime(ut)
	return &a, nil
}

func setOwners(ctx context.Context, tx querier, artistID string, ownerIDs []string) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM artist_owners WHERE artist_id = ?", artistID); err != nil {
		return err
	}
	for _, u := range ownerIDs {
		if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO artist_owners (user_id, artist_id) VALUES (?, ?)", u, artistID); err != nil {
			return err
		}
	}
	return nil
}

func (c catalogStore) CreateArtist(ctx context.Context, a *domain.Artist) (err error) {
	defer derrors.Wrap(&err, "embedded.CreateArtist(%q)", a.ID)
	return c.catalogWrite(ctx, func(tx querier, ch *indexChanges) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO artists ("+artistCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			a.ID, a.Name, a.Bio, listCol(a.Genres), a.ImageURL, listCol(a.OwnerIDs), timeCol(a.CreateTime), timeCol(a.UpdateTime))
		if uniqueViolation(err, "artists.id") {
			return domain.AlreadyExists("id", "artist %q already exists", a.ID)
		}
		if err != nil {
			return err
		}
		if err := setOwners(ctx, tx, a.ID, a.OwnerIDs); err != nil {
			return err
		}
		ch.upsert(artistDoc(a.ID, a.Name))
		return nil
	})
}

func (c catalogStore) GetArtist(ctx context.Context, id string) (a *domain.Artist, err error) {
	defer derrors.Wrap(&err, "embedded.GetArtist(%q)", id)
	return getOne(ctx, c.rq(ctx), "SELECT "+artistCols+" FROM artists WHERE id = ?", scanArtist, "artist", id)
}

// UpdateArtist keeps CreateTime: it is when the artist was created, and the
// oldest-first listing must not reorder when an artist is edited.
func (c catalogStore) UpdateArtist(ctx context.Context, a *domain.Artist) (err error) {
	defer derrors.Wrap(&err, "embedded.UpdateArtist(%q)", a.ID)
	return c.catalogWrite(ctx, func(tx querier, ch *indexChanges) error {
		var oldName string
		err := tx.QueryRowContext(ctx, "SELECT name FROM artists WHERE id = ?", a.ID).Scan(&oldName)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFound("artist", a.ID)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE artists SET name = ?, bio = ?, genres = ?, image_url = ?, owner_ids = ?,
			update_time = ? WHERE id = ?`,
			a.Name, a.Bio, listCol(a.Genres), a.ImageURL, listCol(a.OwnerIDs), timeCol(a.UpdateTime), a.ID); err != nil {
			return err
		}
		if err := setOwners(ctx, tx, a.ID, a.OwnerIDs); err != nil {
			return err
		}
		ch.upsert(artistDoc(a.ID, a.Name))
		if oldName == a.Name {
			return nil
		}
		// Albums and tracks crediting the artist are found by its name too.
		if err := ch.reloadAlbums(ctx, tx, "a.id IN (SELECT album_id FROM album_artists WHERE artist_id = ?)", a.ID); err != nil {
			return err
		}
		return ch.reloadTracks(ctx, tx, "t.id IN (SELECT track_id FROM track_artists WHERE artist_id = ?)", a.ID)
	})
}

// DeleteArtist deletes the albums and tracks whose primary artist it is
// (tracks of a deleted album go with it, whoever their primary artist), and
// removes its credit from the others. Playlist entries of deleted tracks and
// the counts depending on them go by cascade and triggers. It returns the
// deleted tracks' ids, only once the deletion has committed (inside a Batch,
// once its savepoint is released: they are final when the batch commits).
func (c catalogStore) DeleteArtist(ctx context.Context, id string) (deletedTracks []string, err error) {
	defer derrors.Wrap(&err, "embedded.DeleteArtist(%q)", id)
	var deleted []string
	err = c.catalogWrite(ctx, func(tx querier, ch *indexChanges) error {
		if ok, err := exists(ctx, tx, "artists", id); err != nil {
			return err
		} else if !ok {
			return domain.NotFound("artist", id)
		}
		albums, err := queryStrings(ctx, tx, "SELECT album_id FROM album_artists WHERE artist_id = ? AND ord = 0", id)
		if err != nil {
			return err
		}
		tracks, err := queryStrings(ctx, tx, `SELECT track_id FROM track_artists WHERE artist_id = ?1 AND ord = 0
			UNION SELECT id FROM tracks WHERE album_id IN (SELECT value FROM json_each(?2))`, id, listCol(albums))
		if err != nil {
			return err
		}
		deleted = tracks
		if _, err := tx.ExecContext(ctx, "DELETE FROM tracks WHERE id IN (SELECT value FROM json_each(?))", listCol(tracks)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM albums WHERE id IN (SELECT value FROM json_each(?))", listCol(albums)); err != nil {
			return err
		}
		credited := struct{ albums, tracks []string }{}
		if credited.albums, err = queryStrings(ctx, tx, "SELECT album_id FROM album_artists WHERE artist_id = ?", id); err != nil {
			return err
		}
		if credited.tracks, err = queryStrings(ctx, tx, "SELECT track_id FROM track_artists WHERE artist_id = ?", id); err != nil {
			return err
		}
		if err := uncredit(ctx, tx, "albums", credited.albums, id); err != nil {
			return err
		}
		if err := uncredit(ctx, tx, "tracks", credited.tracks, id); err != nil {
			return err
		}
		// The credit rows, follows and ownerships go by cascade.
		if _, err := tx.ExecContext(ctx, "DELETE FROM artists WHERE id = ?", id); err != nil {
			return err
		}
		ch.remove(search.KindArtist, id)
		for _, a := range albums {
			ch.remove(search.KindAlbum, a)
		}
		for _, t := range tracks {
			ch.remove(search.KindTrack, t)
		}
		if err := ch.reloadAlbums(ctx, tx, "a.id IN (SELECT value FROM json_each(?))", listCol(credited.albums)); err != nil {
			return err
		}
		return ch.reloadTracks(ctx, tx, "t.id IN (SELECT value FROM json_each(?))", listCol(credited.tracks))
	})
	if err != nil {
		return nil, err
	}
	return deleted, nil
}

// uncredit removes artistID from the artist_ids of the given rows of table.
// It is done in Go rather than with SQL JSON functions so the order of the
// remaining artists is certain to stay.
func uncredit(ctx context.Context, tx querier, table string, ids []string, artistID string) error {
	for _, id := range ids {
		var raw string
		if err := tx.QueryRowContext(ctx, "SELECT artist_ids FROM "+table+" WHERE id = ?", id).Scan(&raw); err != nil {
			return err
		}
		artists, err := colList[string](raw)
		if err != nil {
			return err
		}
		artists = slices.DeleteFunc(artists, func(a string) bool { return a == artistID })
		if _, err := tx.ExecContext(ctx, "UPDATE "+table+" SET artist_ids = ? WHERE id = ?", listCol(artists), id); err != nil {
			return err
		}
	}
	return nil
}

func (c catalogStore) ListArtists(ctx context.Context, p domain.Page) (artists []*domain.Artist, next string, err error) {
	defer derrors.Wrap(&err, "embedded.ListArtists")
	cur, _, err := pagetoken.Read(p, listArtists)
	if err != nil {
		return nil, "", err
	}
	// Ids begin with their creation time, so id order is creation order.
	rows, err := scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, "SELECT "+artistCols+" FROM artists WHERE id > ? ORDER BY id LIMIT ?",
		cur.ID, p.Size+1)), scanArtist)
	if err != nil {
		return nil, "", err
	}
	artists, next = pagetoken.Page(rows, p.Size, func(a *domain.Artist) pagetoken.Cursor { return pagetoken.Cursor{List: listArtists, ID: a.ID} })
	return artists, next, nil
}

func (c catalogStore) ListArtistsByOwner(ctx context.Context, userID string) (artists []*domain.Artist, err error) {
	defer derrors.Wrap(&err, "embedded.ListArtistsByOwner(%q)", userID)
	return scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, "SELECT "+qualified("a", artistCols)+
		" FROM artist_owners o JOIN artists a ON a.id = o.artist_id WHERE o.user_id = ? ORDER BY a.id", userID)), scanArtist)
}
