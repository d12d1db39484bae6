package embedded

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/search"
)

type catalogStore struct{ *Store }

const (
	tracksByIDs  = "SELECT " + trackCols + " FROM tracks WHERE id IN (SELECT value FROM json_each(?))"
	albumsByIDs  = "SELECT " + albumCols + " FROM albums WHERE id IN (SELECT value FROM json_each(?))"
	artistsByIDs = "SELECT " + artistCols + " FROM artists WHERE id IN (SELECT value FROM json_each(?))"
)

const (
	artistCols = "id, name, bio, genres, image_url, owner_ids, create_time, update_time"
	albumCols  = "id, title, artist_ids, type, genres, release_date, artwork_url, track_count, create_time, update_time"
	trackCols  = "id, title, artist_ids, album_id, disc_number, track_number, genres, duration, explicit, " +
		"release_date, isrc, artwork_url, status, status_reason, media_id, loudness_lufs, true_peak_dbtp, loudness_range_lu, " +
		"play_count, create_time, update_time"
)

// qualified prefixes every column of cols with alias, for joins.
func qualified(alias, cols string) string {
	return alias + "." + strings.ReplaceAll(cols, ", ", ", "+alias+".")
}

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

func scanTrack(sc scanner) (*domain.Track, error) {
	var t domain.Track
	var artists, genres, status string
	var albumID sql.NullString
	var dur, ct, ut int64
	var explicit int
	if err := sc.Scan(&t.ID, &t.Title, &artists, &albumID, &t.DiscNumber, &t.TrackNumber, &genres, &dur, &explicit,
		&t.ReleaseDate, &t.ISRC, &t.ArtworkURL, &status, &t.StatusReason, &t.MediaID, &t.Loudness.IntegratedLUFS,
		&t.Loudness.TruePeakDBTP, &t.Loudness.RangeLU, &t.PlayCount, &ct, &ut); err != nil {
		return nil, err
	}
	var err error
	if t.ArtistIDs, err = colList[string](artists); err != nil {
		return nil, err
	}
	if t.Genres, err = colList[string](genres); err != nil {
		return nil, err
	}
	t.AlbumID = albumID.String
	t.Duration = time.Duration(dur)
	t.Explicit = explicit != 0
	t.Status = domain.TrackStatus(status)
	t.CreateTime, t.UpdateTime = colTime(ct), colTime(ut)
	return &t, nil
}

// queried is a query's outcome, so scanAll can take a query call directly.
type queried struct {
	rows *sql.Rows
	err  error
}

func rowsOf(rows *sql.Rows, err error) queried { return queried{rows, err} }

// scanAll reads every row with scan and closes the rows.
func scanAll[T any](q queried, scan func(scanner) (T, error)) ([]T, error) {
	if q.err != nil {
		return nil, q.err
	}
	rows := q.rows
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// getOne runs a single-row query taking id, mapping no row to NotFound.
func getOne[T any](ctx context.Context, q querier, query string, scan func(scanner) (*T, error), what, id string) (*T, error) {
	v, err := scan(q.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound(what, id)
	}
	return v, err
}

// setCredits writes the credit rows (artist_id, ownerID, ord) of one album
// or track in table, ord 0 being the primary artist, replacing any there
// were. A repeated artist keeps its first place. An unknown artist is
// NotFound: the foreign key finds it, and only then is it looked for by id.
func setCredits(ctx context.Context, tx querier, table, ownerCol, ownerID string, artistIDs []string, replace bool) error {
	if replace {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE "+ownerCol+" = ?", ownerID); err != nil {
			return err
		}
	}
	for i, a := range artistIDs {
		_, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO "+table+" (artist_id, "+ownerCol+", ord) VALUES (?, ?, ?)", a, ownerID, i)
		if foreignKeyViolation(err) {
			return requireAll(ctx, tx, "artists", "artist", []string{a})
		}
		if err != nil {
			return err
		}
	}
	return nil
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

// catalogWrite runs fn in a write transaction and, once it has committed,
// applies the index changes fn collected. Holding catalogMu across both
// keeps the index updates in commit order.
func (c catalogStore) catalogWrite(ctx context.Context, fn func(tx querier, ch *indexChanges) error) error {
	if b := c.batchOf(ctx); b != nil {
		// The batch holds catalogMu and applies the changes once committed.
		var ch indexChanges
		if err := b.run(ctx, func(tx querier) error { return fn(tx, &ch) }); err != nil {
			return err
		}
		b.changes.upserts = append(b.changes.upserts, ch.upserts...)
		b.changes.removes = append(b.changes.removes, ch.removes...)
		return nil
	}
	c.catalogMu.Lock()
	defer c.catalogMu.Unlock()
	var ch indexChanges
	if err := c.write(ctx, func(tx querier) error { return fn(tx, &ch) }); err != nil {
		return err
	}
	ch.apply(c.index)
	return nil
}

func (c catalogStore) CreateArtist(ctx context.Context, a *domain.Artist) (err error) {
	defer wrap(&err, "embedded: create artist %s", a.ID)
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
	defer wrap(&err, "embedded: get artist %s", id)
	return getOne(ctx, c.rq(ctx), "SELECT "+artistCols+" FROM artists WHERE id = ?", scanArtist, "artist", id)
}

// UpdateArtist keeps CreateTime: it is when the artist was created, and the
// oldest-first listing must not reorder when an artist is edited.
func (c catalogStore) UpdateArtist(ctx context.Context, a *domain.Artist) (err error) {
	defer wrap(&err, "embedded: update artist %s", a.ID)
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
	defer wrap(&err, "embedded: delete artist %s", id)
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

func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	return scanAll(rowsOf(q.QueryContext(ctx, query, args...)), func(sc scanner) (string, error) {
		var s string
		err := sc.Scan(&s)
		return s, err
	})
}

func (c catalogStore) ListArtists(ctx context.Context, p domain.Page) (artists []*domain.Artist, next string, err error) {
	defer wrap(&err, "embedded: list artists")
	cur, _, err := readCursor(p, listArtists)
	if err != nil {
		return nil, "", err
	}
	// Ids begin with their creation time, so id order is creation order.
	rows, err := scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, "SELECT "+artistCols+" FROM artists WHERE id > ? ORDER BY id LIMIT ?",
		cur.ID, p.Size+1)), scanArtist)
	if err != nil {
		return nil, "", err
	}
	artists, next = page(rows, p.Size, func(a *domain.Artist) cursor { return cursor{List: listArtists, ID: a.ID} })
	return artists, next, nil
}

func (c catalogStore) ListArtistsByOwner(ctx context.Context, userID string) (artists []*domain.Artist, err error) {
	defer wrap(&err, "embedded: list artists of owner %s", userID)
	return scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, "SELECT "+qualified("a", artistCols)+
		" FROM artist_owners o JOIN artists a ON a.id = o.artist_id WHERE o.user_id = ? ORDER BY a.id", userID)), scanArtist)
}

func (c catalogStore) CreateAlbum(ctx context.Context, a *domain.Album) (err error) {
	defer wrap(&err, "embedded: create album %s", a.ID)
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
	defer wrap(&err, "embedded: get album %s", id)
	return getOne(ctx, c.rq(ctx), "SELECT "+albumCols+" FROM albums WHERE id = ?", scanAlbum, "album", id)
}

// UpdateAlbum keeps TrackCount (the store's) and CreateTime (see
// UpdateArtist).
func (c catalogStore) UpdateAlbum(ctx context.Context, a *domain.Album) (err error) {
	defer wrap(&err, "embedded: update album %s", a.ID)
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
	defer wrap(&err, "embedded: delete album %s", id)
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
	defer wrap(&err, "embedded: list albums")
	cur, _, err := readCursor(p, listAlbums)
	if err != nil {
		return nil, "", err
	}
	rows, err := scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, "SELECT "+albumCols+" FROM albums WHERE id > ? ORDER BY id LIMIT ?",
		cur.ID, p.Size+1)), scanAlbum)
	if err != nil {
		return nil, "", err
	}
	albums, next = page(rows, p.Size, func(a *domain.Album) cursor { return cursor{List: listAlbums, ID: a.ID} })
	return albums, next, nil
}

// ListAlbumsByArtist orders by release date, newest first, then by id
// (newest first too) among albums released the same day.
func (c catalogStore) ListAlbumsByArtist(ctx context.Context, artistID string, p domain.Page) (albums []*domain.Album, next string, err error) {
	defer wrap(&err, "embedded: list albums of artist %s", artistID)
	cur, after, err := readCursor(p, listAlbumsByArtist)
	if err != nil {
		return nil, "", err
	}
	rows, err := scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, "SELECT "+qualified("a", albumCols)+`
		FROM album_artists x JOIN albums a ON a.id = x.album_id
		WHERE x.artist_id = ?1 AND (NOT ?2 OR (a.release_date, a.id) < (?3, ?4))
		ORDER BY a.release_date DESC, a.id DESC LIMIT ?5`,
		artistID, after, cur.Str, cur.ID, p.Size+1)), scanAlbum)
	if err != nil {
		return nil, "", err
	}
	albums, next = page(rows, p.Size, func(a *domain.Album) cursor {
		return cursor{List: listAlbumsByArtist, Str: a.ReleaseDate, ID: a.ID}
	})
	return albums, next, nil
}

func (c catalogStore) CreateTrack(ctx context.Context, t *domain.Track) (err error) {
	defer wrap(&err, "embedded: create track %s", t.ID)
	return c.catalogWrite(ctx, func(tx querier, ch *indexChanges) error {
		// PlayCount is the store's; a new track starts from the caller's
		// figure so a catalog import can carry its history.
		_, err := tx.ExecContext(ctx, "INSERT INTO tracks ("+trackCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			t.ID, t.Title, listCol(t.ArtistIDs), nullIfEmpty(t.AlbumID), t.DiscNumber, t.TrackNumber, listCol(t.Genres),
			int64(t.Duration), boolCol(t.Explicit), t.ReleaseDate, t.ISRC, t.ArtworkURL, string(t.Status), t.StatusReason,
			t.MediaID, t.Loudness.IntegratedLUFS, t.Loudness.TruePeakDBTP, t.Loudness.RangeLU, t.PlayCount, timeCol(t.CreateTime), timeCol(t.UpdateTime))
		if uniqueViolation(err, "tracks.id") {
			return domain.AlreadyExists("id", "track %q already exists", t.ID)
		}
		if foreignKeyViolation(err) {
			return domain.NotFound("album", t.AlbumID)
		}
		if err != nil {
			return err
		}
		if err := setCredits(ctx, tx, "track_artists", "track_id", t.ID, t.ArtistIDs, false); err != nil {
			return err
		}
		return ch.reloadTracks(ctx, tx, "t.id = ?", t.ID)
	})
}

func (c catalogStore) GetTrack(ctx context.Context, id string) (t *domain.Track, err error) {
	defer wrap(&err, "embedded: get track %s", id)
	return getOne(ctx, c.rq(ctx), "SELECT "+trackCols+" FROM tracks WHERE id = ?", scanTrack, "track", id)
}

// UpdateTrack keeps PlayCount (the store's) and CreateTime (see
// UpdateArtist). Moving the track to another album moves its count too
// (a trigger does).
func (c catalogStore) UpdateTrack(ctx context.Context, t *domain.Track) (err error) {
	defer wrap(&err, "embedded: update track %s", t.ID)
	return c.catalogWrite(ctx, func(tx querier, ch *indexChanges) error {
		res, err := tx.ExecContext(ctx, `UPDATE tracks SET title = ?, artist_ids = ?, album_id = ?, disc_number = ?,
			track_number = ?, genres = ?, duration = ?, explicit = ?, release_date = ?, isrc = ?, artwork_url = ?,
			status = ?, status_reason = ?, media_id = ?, loudness_lufs = ?, true_peak_dbtp = ?, loudness_range_lu = ?,
			update_time = ? WHERE id = ?`,
			t.Title, listCol(t.ArtistIDs), nullIfEmpty(t.AlbumID), t.DiscNumber, t.TrackNumber, listCol(t.Genres),
			int64(t.Duration), boolCol(t.Explicit), t.ReleaseDate, t.ISRC, t.ArtworkURL, string(t.Status), t.StatusReason,
			t.MediaID, t.Loudness.IntegratedLUFS, t.Loudness.TruePeakDBTP, t.Loudness.RangeLU, timeCol(t.UpdateTime), t.ID)
		if foreignKeyViolation(err) {
			return domain.NotFound("album", t.AlbumID)
		}
		if err != nil {
			return err
		}
		if err := requireRow(res, "track", t.ID); err != nil {
			return err
		}
		if err := setCredits(ctx, tx, "track_artists", "track_id", t.ID, t.ArtistIDs, true); err != nil {
			return err
		}
		return ch.reloadTracks(ctx, tx, "t.id = ?", t.ID)
	})
}

// SetTrackMedia writes the transcoding pipeline's fields and nothing else,
// but for update_time, set to now: the track as clients see it changed (its
// status, duration and media), so it must not look unchanged to a client
// comparing update times. The search index has nothing of these fields, so it
// is left alone.
func (c catalogStore) SetTrackMedia(ctx context.Context, trackID string, m domain.TrackMedia) (err error) {
	defer wrap(&err, "embedded: set media of track %s", trackID)
	res, err := c.wq(ctx).ExecContext(ctx, `UPDATE tracks SET status = ?, status_reason = ?, media_id = ?, duration = ?,
		loudness_lufs = ?, true_peak_dbtp = ?, loudness_range_lu = ?, update_time = ? WHERE id = ?`,
		string(m.Status), m.StatusReason, m.MediaID, int64(m.Duration), m.Loudness.IntegratedLUFS, m.Loudness.TruePeakDBTP,
		m.Loudness.RangeLU, timeCol(time.Now()), trackID)
	if err != nil {
		return err
	}
	return requireRow(res, "track", trackID)
}

func (c catalogStore) DeleteTrack(ctx context.Context, id string) (err error) {
	defer wrap(&err, "embedded: delete track %s", id)
	return c.catalogWrite(ctx, func(tx querier, ch *indexChanges) error {
		// Playlist entries, album and playlist counts follow by cascade and
		// triggers.
		res, err := tx.ExecContext(ctx, "DELETE FROM tracks WHERE id = ?", id)
		if err != nil {
			return err
		}
		if err := requireRow(res, "track", id); err != nil {
			return err
		}
		ch.remove(search.KindTrack, id)
		return nil
	})
}

func (c catalogStore) ListTracks(ctx context.Context, p domain.Page) (tracks []*domain.Track, next string, err error) {
	defer wrap(&err, "embedded: list tracks")
	cur, _, err := readCursor(p, listTracks)
	if err != nil {
		return nil, "", err
	}
	rows, err := scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, "SELECT "+trackCols+" FROM tracks WHERE id > ? ORDER BY id LIMIT ?",
		cur.ID, p.Size+1)), scanTrack)
	if err != nil {
		return nil, "", err
	}
	tracks, next = page(rows, p.Size, func(t *domain.Track) cursor { return cursor{List: listTracks, ID: t.ID} })
	return tracks, next, nil
}

func (c catalogStore) ListTracksByAlbum(ctx context.Context, albumID string, p domain.Page) (tracks []*domain.Track, next string, err error) {
	defer wrap(&err, "embedded: list tracks of album %s", albumID)
	cur, after, err := readCursor(p, listTracksByAlbum)
	if err != nil {
		return nil, "", err
	}
	rows, err := scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, "SELECT "+trackCols+` FROM tracks
		WHERE album_id = ?1 AND (NOT ?2 OR (disc_number, track_number, id) > (?3, ?4, ?5))
		ORDER BY disc_number, track_number, id LIMIT ?6`,
		albumID, after, cur.Int, cur.Int2, cur.ID, p.Size+1)), scanTrack)
	if err != nil {
		return nil, "", err
	}
	tracks, next = page(rows, p.Size, func(t *domain.Track) cursor {
		return cursor{List: listTracksByAlbum, Int: int64(t.DiscNumber), Int2: int64(t.TrackNumber), ID: t.ID}
	})
	return tracks, next, nil
}

// BatchGetTracks reads all ids in one statement (the ids travel as one JSON
// parameter, so there is no bound on their number) and puts the result in
// the order asked.
func (c catalogStore) BatchGetTracks(ctx context.Context, ids []string) (tracks []*domain.Track, err error) {
	defer wrap(&err, "embedded: batch get %d tracks", len(ids))
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, tracksByIDs, listCol(ids))), scanTrack)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*domain.Track, len(found))
	for _, t := range found {
		byID[t.ID] = t
	}
	tracks = make([]*domain.Track, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		t, ok := byID[id]
		if !ok {
			continue
		}
		if seen[id] {
			// Each returned value is the caller's own, even when asked twice.
			cp := *t
			cp.ArtistIDs, cp.Genres = slices.Clone(t.ArtistIDs), slices.Clone(t.Genres)
			t = &cp
		}
		seen[id] = true
		tracks = append(tracks, t)
	}
	return tracks, nil
}
