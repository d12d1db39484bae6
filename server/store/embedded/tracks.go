package embedded

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/backbeat/backbeat/server/derrors"
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/search"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

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

func (c catalogStore) CreateTrack(ctx context.Context, t *domain.Track) (err error) {
	defer derrors.Wrap(&err, "embedded.CreateTrack(%q)", t.ID)
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
	defer derrors.Wrap(&err, "embedded.GetTrack(%q)", id)
	return getOne(ctx, c.rq(ctx), "SELECT "+trackCols+" FROM tracks WHERE id = ?", scanTrack, "track", id)
}

// UpdateTrack keeps PlayCount (the store's) and CreateTime (see
// UpdateArtist). Moving the track to another album moves its count too
// (a trigger does).
func (c catalogStore) UpdateTrack(ctx context.Context, t *domain.Track) (err error) {
	defer derrors.Wrap(&err, "embedded.UpdateTrack(%q)", t.ID)
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
	defer derrors.Wrap(&err, "embedded.SetTrackMedia(%q)", trackID)
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
	defer derrors.Wrap(&err, "embedded.DeleteTrack(%q)", id)
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
	defer derrors.Wrap(&err, "embedded.ListTracks")
	cur, _, err := pagetoken.Read(p, listTracks)
	if err != nil {
		return nil, "", err
	}
	rows, err := scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, "SELECT "+trackCols+" FROM tracks WHERE id > ? ORDER BY id LIMIT ?",
		cur.ID, p.Size+1)), scanTrack)
	if err != nil {
		return nil, "", err
	}
	tracks, next = pagetoken.Page(rows, p.Size, func(t *domain.Track) pagetoken.Cursor { return pagetoken.Cursor{List: listTracks, ID: t.ID} })
	return tracks, next, nil
}

func (c catalogStore) ListTracksByAlbum(ctx context.Context, albumID string, p domain.Page) (tracks []*domain.Track, next string, err error) {
	defer derrors.Wrap(&err, "embedded.ListTracksByAlbum(%q)", albumID)
	cur, after, err := pagetoken.Read(p, listTracksByAlbum)
	if err != nil {
		return nil, "", err
	}
	rows, err := scanAll(rowsOf(c.rq(ctx).QueryContext(ctx, "SELECT "+trackCols+` FROM tracks
		WHERE album_id = ?1 AND (NOT ?2 OR (disc_number, track_number, id) > (?3, ?4, ?5))
		ORDER BY disc_number, track_number, id LIMIT ?6`,
		albumID, after, cur.N, cur.M, cur.ID, p.Size+1)), scanTrack)
	if err != nil {
		return nil, "", err
	}
	tracks, next = pagetoken.Page(rows, p.Size, func(t *domain.Track) pagetoken.Cursor {
		return pagetoken.Cursor{List: listTracksByAlbum, N: int64(t.DiscNumber), M: int64(t.TrackNumber), ID: t.ID}
	})
	return tracks, next, nil
}

// BatchGetTracks reads all ids in one statement (the ids travel as one JSON
// parameter, so there is no bound on their number) and puts the result in
// the order asked.
func (c catalogStore) BatchGetTracks(ctx context.Context, ids []string) (tracks []*domain.Track, err error) {
	defer derrors.Wrap(&err, "embedded.BatchGetTracks")
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
