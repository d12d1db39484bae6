package cassandra

import (
	"context"
	"slices"
	"time"

	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

const trackColumns = `id, title, artist_ids, album_id, disc_number, track_number, genres, duration_ms, explicit, release_date, isrc, artwork_url, status, status_reason, media_id, loudness_lufs, true_peak_dbtp, loudness_range_lu, play_count, create_time, update_time`

type trackRow struct {
	ID           string    `db:"id"`
	Title        string    `db:"title"`
	ArtistIDs    []string  `db:"artist_ids"`
	AlbumID      string    `db:"album_id"`
	DiscNumber   int       `db:"disc_number"`
	TrackNumber  int       `db:"track_number"`
	Genres       []string  `db:"genres"`
	DurationMS   int64     `db:"duration_ms"`
	Explicit     bool      `db:"explicit"`
	ReleaseDate  string    `db:"release_date"`
	ISRC         string    `db:"isrc"`
	ArtworkURL   string    `db:"artwork_url"`
	Status       string    `db:"status"`
	StatusReason string    `db:"status_reason"`
	MediaID      string    `db:"media_id"`
	LoudnessLUFS float64   `db:"loudness_lufs"`
	TruePeakDBTP float64   `db:"true_peak_dbtp"`
	RangeLU      float64   `db:"loudness_range_lu"`
	PlayCount    int64     `db:"play_count"`
	CreateTime   time.Time `db:"create_time"`
	UpdateTime   time.Time `db:"update_time"`
}

func (r *trackRow) track() *domain.Track {
	return &domain.Track{
		ID: r.ID, Title: r.Title, ArtistIDs: r.ArtistIDs, AlbumID: r.AlbumID, DiscNumber: r.DiscNumber,
		TrackNumber: r.TrackNumber, Genres: r.Genres, Duration: time.Duration(r.DurationMS) * time.Millisecond,
		Explicit: r.Explicit, ReleaseDate: r.ReleaseDate, ISRC: r.ISRC, ArtworkURL: r.ArtworkURL,
		Status: domain.TrackStatus(r.Status), StatusReason: r.StatusReason, MediaID: r.MediaID,
		Loudness:   domain.Loudness{IntegratedLUFS: r.LoudnessLUFS, TruePeakDBTP: r.TruePeakDBTP, RangeLU: r.RangeLU},
		PlayCount:  r.PlayCount,
		CreateTime: r.CreateTime, UpdateTime: r.UpdateTime,
	}
}

func (c catalogStore) GetTrack(ctx context.Context, id string) (_ *domain.Track, err error) {
	defer wrap(&err, "cassandra.GetTrack(%q)", id)
	var r trackRow
	if err := c.read(ctx, `SELECT `+trackColumns+` FROM tracks WHERE id = ?`, id).Get(&r); err != nil {
		return nil, notFound(err, "track", id)
	}
	return r.track(), nil
}

func (c catalogStore) CreateTrack(ctx context.Context, t *domain.Track) (err error) {
	defer wrap(&err, "cassandra.CreateTrack(%q)", t.ID)
	// The caller's PlayCount (a catalog import's history) is the base that
	// counted plays add to (see CountPlay).
	applied, err := c.once(ctx, `INSERT INTO tracks (`+trackColumns+`, play_base) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
		t.ID, t.Title, t.ArtistIDs, t.AlbumID, t.DiscNumber, t.TrackNumber, t.Genres, t.Duration.Milliseconds(), t.Explicit,
		t.ReleaseDate, t.ISRC, t.ArtworkURL, string(t.Status), t.StatusReason, t.MediaID, t.Loudness.IntegratedLUFS,
		t.Loudness.TruePeakDBTP, t.Loudness.RangeLU, t.PlayCount, msTime(t.CreateTime), msTime(t.UpdateTime), t.PlayCount).ExecCAS()
	if err == nil && !applied {
		err = domain.AlreadyExists("id", "track %q already exists", t.ID)
	}
	if err == nil {
		b := c.logged(ctx)
		if t.AlbumID != "" {
			b.add(`INSERT INTO tracks_by_album (album_id, disc_number, track_number, track_id) VALUES (?, ?, ?, ?)`,
				t.AlbumID, t.DiscNumber, t.TrackNumber, t.ID)
		}
		for _, ar := range t.ArtistIDs {
			b.add(`INSERT INTO tracks_by_artist (artist_id, track_id) VALUES (?, ?)`, ar, t.ID)
		}
		addListing(b, kindTrack, t.ID)
		b.feed(kindTrack, t.ID)
		err = c.exec(b)
	}
	return err
}

// updateTrack stores everything but the play count, which is the store's.
func (s catalogStore) UpdateTrack(ctx context.Context, t *domain.Track) (err error) {
	defer wrap(&err, "cassandra.UpdateTrack(%q)", t.ID)
	old, err := s.GetTrack(ctx, t.ID)
	if err != nil {
		return err
	}
	applied, err := s.once(ctx, `UPDATE tracks SET title = ?, artist_ids = ?, album_id = ?, disc_number = ?, track_number = ?, genres = ?, `+
		`duration_ms = ?, explicit = ?, release_date = ?, isrc = ?, artwork_url = ?, status = ?, status_reason = ?, `+
		`media_id = ?, loudness_lufs = ?, true_peak_dbtp = ?, loudness_range_lu = ?, create_time = ?, update_time = ? `+
		`WHERE id = ? IF EXISTS`,
		t.Title, t.ArtistIDs, t.AlbumID, t.DiscNumber, t.TrackNumber, t.Genres, t.Duration.Milliseconds(), t.Explicit,
		t.ReleaseDate, t.ISRC, t.ArtworkURL, string(t.Status), t.StatusReason, t.MediaID, t.Loudness.IntegratedLUFS,
		t.Loudness.TruePeakDBTP, t.Loudness.RangeLU, msTime(t.CreateTime), msTime(t.UpdateTime), t.ID).ExecCAS()
	if err != nil {
		return err
	}
	if !applied {
		return domain.NotFound("track", t.ID)
	}
	b := s.logged(ctx)
	if old.AlbumID != t.AlbumID || old.DiscNumber != t.DiscNumber || old.TrackNumber != t.TrackNumber {
		if old.AlbumID != "" {
			b.add(`DELETE FROM tracks_by_album WHERE album_id = ? AND disc_number = ? AND track_number = ? AND track_id = ?`,
				old.AlbumID, old.DiscNumber, old.TrackNumber, t.ID)
		}
		if t.AlbumID != "" {
			b.add(`INSERT INTO tracks_by_album (album_id, disc_number, track_number, track_id) VALUES (?, ?, ?, ?)`,
				t.AlbumID, t.DiscNumber, t.TrackNumber, t.ID)
		}
	}
	for _, ar := range old.ArtistIDs {
		if !slices.Contains(t.ArtistIDs, ar) {
			b.add(`DELETE FROM tracks_by_artist WHERE artist_id = ? AND track_id = ?`, ar, t.ID)
		}
	}
	for _, ar := range t.ArtistIDs {
		if !slices.Contains(old.ArtistIDs, ar) {
			b.add(`INSERT INTO tracks_by_artist (artist_id, track_id) VALUES (?, ?)`, ar, t.ID)
		}
	}
	b.feed(kindTrack, t.ID)
	if err := s.exec(b); err != nil {
		return err
	}
	t.PlayCount = old.PlayCount
	return nil
}

func (s catalogStore) DeleteTrack(ctx context.Context, id string) (err error) {
	defer wrap(&err, "cassandra.DeleteTrack(%q)", id)
	t, err := s.GetTrack(ctx, id)
	if err != nil {
		return err
	}
	if err := (playlistStore{s.Store}).dropTrack(ctx, id); err != nil {
		return err
	}
	b := s.logged(ctx)
	if t.AlbumID != "" {
		b.add(`DELETE FROM tracks_by_album WHERE album_id = ? AND disc_number = ? AND track_number = ? AND track_id = ?`,
			t.AlbumID, t.DiscNumber, t.TrackNumber, id)
	}
	for _, ar := range t.ArtistIDs {
		b.add(`DELETE FROM tracks_by_artist WHERE artist_id = ? AND track_id = ?`, ar, id)
	}
	removeListing(b, kindTrack, id)
	if err := s.exec(b); err != nil {
		return err
	}
	// Counter tables cannot share a batch with other tables.
	for shard := range playShards {
		if err := s.write(ctx, `DELETE FROM track_plays WHERE track_id = ? AND shard = ?`, id, shard).Exec(); err != nil {
			return err
		}
	}
	last := s.logged(ctx)
	last.add(`DELETE FROM tracks WHERE id = ?`, id)
	last.feed(kindTrack, id)
	return s.exec(last)
}

func (c catalogStore) ListTracks(ctx context.Context, p domain.Page) (_ []*domain.Track, _ string, err error) {
	defer wrap(&err, "cassandra.ListTracks")
	ts, next, err := listAll(ctx, c.Store, p, ofTracks, kindTrack, c.GetTrack, func(t *domain.Track) string { return t.ID })
	if err != nil {
		return nil, "", err
	}
	return ts, next, nil
}

type albumTrackRef struct {
	DiscNumber  int    `db:"disc_number"`
	TrackNumber int    `db:"track_number"`
	TrackID     string `db:"track_id"`
}

func (c catalogStore) ListTracksByAlbum(ctx context.Context, albumID string, p domain.Page) (_ []*domain.Track, _ string, err error) {
	defer wrap(&err, "cassandra.ListTracksByAlbum(%q)", albumID)
	cur, resume, err := pagetoken.Read(p, ofTracksByAlbum)
	if err != nil {
		return nil, "", err
	}
	// Disc and track numbers are CQL ints: a cursor past them is forged,
	// and would fail to bind as an internal error.
	if resume && (cur.N != int64(int32(cur.N)) || cur.M != int64(int32(cur.M))) {
		return nil, "", domain.Invalid("page_token", "not a page token of this list")
	}
	var refs []albumTrackRef
	if !resume {
		err = c.read(ctx, `SELECT disc_number, track_number, track_id FROM tracks_by_album WHERE album_id = ? LIMIT ?`,
			albumID, p.Size+1).Select(&refs)
	} else {
		err = c.read(ctx, `SELECT disc_number, track_number, track_id FROM tracks_by_album WHERE album_id = ? AND (disc_number, track_number, track_id) > (?, ?, ?) LIMIT ?`,
			albumID, cur.N, cur.M, cur.ID, p.Size+1).Select(&refs)
	}
	if err != nil {
		return nil, "", err
	}
	refs, next := pagetoken.Page(refs, p.Size, func(last albumTrackRef) pagetoken.Cursor {
		return pagetoken.Cursor{List: ofTracksByAlbum, N: int64(last.DiscNumber), M: int64(last.TrackNumber), ID: last.TrackID}
	})
	ts, err := fetchAll(ctx, trackIDsOf(refs), c.GetTrack)
	if err != nil {
		return nil, "", err
	}
	return ts, next, nil
}

func trackIDsOf(refs []albumTrackRef) []string {
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.TrackID
	}
	return ids
}

func (s *Store) trackIDsOfAlbum(ctx context.Context, albumID string) ([]string, error) {
	var refs []albumTrackRef
	err := s.read(ctx, `SELECT disc_number, track_number, track_id FROM tracks_by_album WHERE album_id = ?`, albumID).Select(&refs)
	return trackIDsOf(refs), err
}

func (c catalogStore) BatchGetTracks(ctx context.Context, ids []string) (_ []*domain.Track, err error) {
	defer wrap(&err, "cassandra.BatchGetTracks")
	ts, err := fetchAll(ctx, ids, c.GetTrack)
	if err != nil {
		return nil, err
	}
	return ts, nil
}

// SetTrackMedia writes the transcoding pipeline's fields and update_time
// (now: the track as clients see it changed), nothing else. IF EXISTS keeps
// it from creating a partial row for a track deleted meanwhile; the search
// index holds none of these fields.
func (c catalogStore) SetTrackMedia(ctx context.Context, trackID string, m domain.TrackMedia) (err error) {
	defer wrap(&err, "cassandra.SetTrackMedia(%q)", trackID)
	applied, err := c.once(ctx, `UPDATE tracks SET status = ?, status_reason = ?, media_id = ?, duration_ms = ?, `+
		`loudness_lufs = ?, true_peak_dbtp = ?, loudness_range_lu = ?, update_time = ? WHERE id = ? IF EXISTS`,
		string(m.Status), m.StatusReason, m.MediaID, m.Duration.Milliseconds(), m.Loudness.IntegratedLUFS,
		m.Loudness.TruePeakDBTP, m.Loudness.RangeLU, now(), trackID).ExecCAS()
	if err == nil && !applied {
		err = domain.NotFound("track", trackID)
	}
	if err != nil {
		return err
	}
	return nil
}
