package cassandra

import (
	"context"
	"slices"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

const artistColumns = `id, name, bio, genres, image_url, owner_ids, create_time, update_time`

type artistRow struct {
	ID         string    `db:"id"`
	Name       string    `db:"name"`
	Bio        string    `db:"bio"`
	Genres     []string  `db:"genres"`
	ImageURL   string    `db:"image_url"`
	OwnerIDs   []string  `db:"owner_ids"`
	CreateTime time.Time `db:"create_time"`
	UpdateTime time.Time `db:"update_time"`
}

func (c catalogStore) GetArtist(ctx context.Context, id string) (_ *domain.Artist, err error) {
	defer wrap(&err, "cassandra.GetArtist(%q)", id)
	var r artistRow
	if err := c.read(ctx, `SELECT `+artistColumns+` FROM artists WHERE id = ?`, id).Get(&r); err != nil {
		return nil, notFound(err, "artist", id)
	}
	return &domain.Artist{ID: r.ID, Name: r.Name, Bio: r.Bio, Genres: r.Genres, ImageURL: r.ImageURL,
		OwnerIDs: r.OwnerIDs, CreateTime: r.CreateTime, UpdateTime: r.UpdateTime}, nil
}

func (c catalogStore) CreateArtist(ctx context.Context, a *domain.Artist) (err error) {
	defer wrap(&err, "cassandra.CreateArtist(%q)", a.ID)
	applied, err := c.once(ctx, `INSERT INTO artists (`+artistColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
		a.ID, a.Name, a.Bio, a.Genres, a.ImageURL, a.OwnerIDs, msTime(a.CreateTime), msTime(a.UpdateTime)).ExecCAS()
	if err == nil && !applied {
		err = domain.AlreadyExists("id", "artist %q already exists", a.ID)
	}
	if err == nil {
		b := c.logged(ctx)
		for _, o := range a.OwnerIDs {
			b.add(`INSERT INTO artists_by_owner (owner_id, artist_id) VALUES (?, ?)`, o, a.ID)
		}
		addListing(b, kindArtist, a.ID)
		b.feed(kindArtist, a.ID)
		err = c.exec(b)
	}
	return err
}

func (s catalogStore) UpdateArtist(ctx context.Context, a *domain.Artist) (err error) {
	defer wrap(&err, "cassandra.UpdateArtist(%q)", a.ID)
	old, err := s.GetArtist(ctx, a.ID)
	if err != nil {
		return err
	}
	// IF EXISTS keeps an update racing a delete from bringing back a
	// half row.
	applied, err := s.once(ctx, `UPDATE artists SET name = ?, bio = ?, genres = ?, image_url = ?, owner_ids = ?, create_time = ?, update_time = ? WHERE id = ? IF EXISTS`,
		a.Name, a.Bio, a.Genres, a.ImageURL, a.OwnerIDs, msTime(a.CreateTime), msTime(a.UpdateTime), a.ID).ExecCAS()
	if err != nil {
		return err
	}
	if !applied {
		return domain.NotFound("artist", a.ID)
	}
	b := s.logged(ctx)
	for _, o := range old.OwnerIDs {
		if !slices.Contains(a.OwnerIDs, o) {
			b.add(`DELETE FROM artists_by_owner WHERE owner_id = ? AND artist_id = ?`, o, a.ID)
		}
	}
	for _, o := range a.OwnerIDs {
		if !slices.Contains(old.OwnerIDs, o) {
			b.add(`INSERT INTO artists_by_owner (owner_id, artist_id) VALUES (?, ?)`, o, a.ID)
		}
	}
	b.feed(kindArtist, a.ID)
	if err := s.exec(b); err != nil {
		return err
	}
	if old.Name == a.Name {
		return nil
	}
	// The name is also found on the artist's albums and tracks.
	albums, err := s.albumIDsOfArtist(ctx, a.ID)
	if err != nil {
		return err
	}
	if err := s.feed(ctx, kindAlbum, albums...); err != nil {
		return err
	}
	tracks, err := s.trackIDsOfArtist(ctx, a.ID)
	if err != nil {
		return err
	}
	return s.feed(ctx, kindTrack, tracks...)
}

// DeleteArtist removes the artist's own albums and tracks, strips its
// credit from others' and drops its followers' follows; the artist row goes
// last, so a delete that fails half-way can be run again. It returns the ids
// of the tracks it deleted: those of its albums and its own.
func (s catalogStore) DeleteArtist(ctx context.Context, id string) (_ []string, err error) {
	defer wrap(&err, "cassandra.DeleteArtist(%q)", id)
	a, err := s.GetArtist(ctx, id)
	if err != nil {
		return nil, err
	}
	// Each deleted track once: a track of a deleted album is gone when the
	// artist's own tracks are read below, so it is not found again.
	var deleted []string
	albums, err := s.albumIDsOfArtist(ctx, id)
	if err != nil {
		return deleted, err
	}
	for _, albumID := range albums {
		al, err := s.GetAlbum(ctx, albumID)
		if domain.IsKind(err, domain.KindNotFound) {
			continue
		}
		if err != nil {
			return deleted, err
		}
		if al.ArtistIDs[0] == id {
			var tracks []string
			tracks, err = s.DeleteAlbum(ctx, albumID)
			deleted = append(deleted, tracks...)
		} else {
			al.ArtistIDs = slices.DeleteFunc(al.ArtistIDs, func(a string) bool { return a == id })
			err = s.UpdateAlbum(ctx, al)
		}
		if err != nil && !domain.IsKind(err, domain.KindNotFound) {
			return deleted, err
		}
	}
	tracks, err := s.trackIDsOfArtist(ctx, id)
	if err != nil {
		return deleted, err
	}
	for _, trackID := range tracks {
		t, err := s.GetTrack(ctx, trackID)
		if domain.IsKind(err, domain.KindNotFound) {
			continue
		}
		if err != nil {
			return deleted, err
		}
		if t.ArtistIDs[0] == id {
			err = s.DeleteTrack(ctx, trackID)
			if err == nil {
				deleted = append(deleted, trackID)
			}
		} else {
			t.ArtistIDs = slices.DeleteFunc(t.ArtistIDs, func(a string) bool { return a == id })
			err = s.UpdateTrack(ctx, t)
		}
		if err != nil && !domain.IsKind(err, domain.KindNotFound) {
			return deleted, err
		}
	}
	for shard := range followShards {
		var fans []string
		if err := s.read(ctx, `SELECT user_id FROM artist_followers WHERE artist_id = ? AND shard = ?`, id, shard).Select(&fans); err != nil {
			return deleted, err
		}
		for _, fan := range fans {
			if err := (userStore{s.Store}).UnfollowArtist(ctx, fan, id); err != nil {
				return deleted, err
			}
		}
	}
	b := s.logged(ctx)
	for _, o := range a.OwnerIDs {
		b.add(`DELETE FROM artists_by_owner WHERE owner_id = ? AND artist_id = ?`, o, id)
	}
	b.add(`DELETE FROM albums_by_artist WHERE artist_id = ?`, id)
	b.add(`DELETE FROM tracks_by_artist WHERE artist_id = ?`, id)
	removeListing(b, kindArtist, id)
	if err := s.exec(b); err != nil {
		return deleted, err
	}
	// The row and its feed record land together, so the indexer never
	// reads the artist back after being told it is gone.
	last := s.logged(ctx)
	last.add(`DELETE FROM artists WHERE id = ?`, id)
	last.feed(kindArtist, id)
	if err := s.exec(last); err != nil {
		return deleted, err
	}
	return deleted, nil
}

func (c catalogStore) ListArtists(ctx context.Context, p domain.Page) (_ []*domain.Artist, _ string, err error) {
	defer wrap(&err, "cassandra.ListArtists")
	as, next, err := listAll(ctx, c.Store, p, ofArtists, kindArtist, c.GetArtist, func(a *domain.Artist) string { return a.ID })
	if err != nil {
		return nil, "", err
	}
	return as, next, nil
}

func (c catalogStore) ListArtistsByOwner(ctx context.Context, userID string) (_ []*domain.Artist, err error) {
	defer wrap(&err, "cassandra.ListArtistsByOwner(%q)", userID)
	var ids []string
	if err := c.read(ctx, `SELECT artist_id FROM artists_by_owner WHERE owner_id = ?`, userID).Select(&ids); err != nil {
		return nil, err
	}
	as, err := fetchAll(ctx, ids, c.GetArtist)
	if err != nil {
		return nil, err
	}
	return as, nil
}

func (s *Store) albumIDsOfArtist(ctx context.Context, artistID string) ([]string, error) {
	var ids []string
	err := s.read(ctx, `SELECT album_id FROM albums_by_artist WHERE artist_id = ?`, artistID).Select(&ids)
	return ids, err
}

func (s *Store) trackIDsOfArtist(ctx context.Context, artistID string) ([]string, error) {
	var ids []string
	err := s.read(ctx, `SELECT track_id FROM tracks_by_artist WHERE artist_id = ?`, artistID).Select(&ids)
	return ids, err
}
