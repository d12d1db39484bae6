package cache

import (
	"context"

	"github.com/backbeat/backbeat/server/domain"
)

// catalog caches artists, albums and tracks by id. Every write invalidates
// whatever it changed, even when it fails: a write that timed out may still
// have landed.
type catalog struct {
	domain.CatalogStore
	c *Cache
}

func (s catalog) GetArtist(ctx context.Context, id string) (*domain.Artist, error) {
	return cached(s.c, artistKey(id), cloneArtist, func() (*domain.Artist, error) { return s.CatalogStore.GetArtist(ctx, id) })
}

func (s catalog) GetAlbum(ctx context.Context, id string) (*domain.Album, error) {
	return cached(s.c, albumKey(id), cloneAlbum, func() (*domain.Album, error) { return s.CatalogStore.GetAlbum(ctx, id) })
}

func (s catalog) GetTrack(ctx context.Context, id string) (*domain.Track, error) {
	return cached(s.c, trackKey(id), cloneTrack, func() (*domain.Track, error) { return s.CatalogStore.GetTrack(ctx, id) })
}

// BatchGetTracks serves the cached tracks and asks the store for the rest
// in one call.
func (s catalog) BatchGetTracks(ctx context.Context, ids []string) ([]*domain.Track, error) {
	found := make(map[string]*domain.Track, len(ids))
	var missing []string
	var tickets []ticket
	for _, id := range ids {
		if _, ok := found[id]; ok {
			continue
		}
		if v, ok := s.c.get(trackKey(id)); ok {
			found[id] = v.(*domain.Track)
			continue
		}
		found[id] = nil
		missing = append(missing, id)
		tickets = append(tickets, s.c.ticket(trackKey(id)))
	}
	if len(missing) > 0 {
		loaded, err := s.CatalogStore.BatchGetTracks(ctx, missing)
		if err != nil {
			return nil, err
		}
		at := make(map[string]int, len(missing))
		for i, id := range missing {
			at[id] = i
		}
		for _, t := range loaded {
			c := cloneTrack(t)
			found[t.ID] = c
			s.c.offer(tickets[at[t.ID]], trackKey(t.ID), c)
		}
	}
	out := make([]*domain.Track, 0, len(ids))
	for _, id := range ids {
		if t := found[id]; t != nil {
			out = append(out, cloneTrack(t))
		}
	}
	return out, nil
}

func (s catalog) UpdateArtist(ctx context.Context, a *domain.Artist) error {
	defer s.c.invalidate(artistKey(a.ID))
	return s.CatalogStore.UpdateArtist(ctx, a)
}

// DeleteArtist cascades into albums, tracks, credits and playlists.
func (s catalog) DeleteArtist(ctx context.Context, id string) ([]string, error) {
	defer s.c.invalidate(allKeys)
	return s.CatalogStore.DeleteArtist(ctx, id)
}

func (s catalog) UpdateAlbum(ctx context.Context, a *domain.Album) error {
	defer s.c.invalidate(albumKey(a.ID))
	return s.CatalogStore.UpdateAlbum(ctx, a)
}

// DeleteAlbum cascades into tracks and playlists.
func (s catalog) DeleteAlbum(ctx context.Context, id string) ([]string, error) {
	defer s.c.invalidate(allKeys)
	return s.CatalogStore.DeleteAlbum(ctx, id)
}

// CreateTrack counts the track in its album.
func (s catalog) CreateTrack(ctx context.Context, t *domain.Track) error {
	defer s.c.invalidate(trackKey(t.ID), albumKey(t.AlbumID))
	return s.CatalogStore.CreateTrack(ctx, t)
}

// UpdateTrack may move the track to another album, changing both albums'
// counts; the old album is read first (updates are rare next to reads).
func (s catalog) UpdateTrack(ctx context.Context, t *domain.Track) error {
	keys := []string{trackKey(t.ID), albumKey(t.AlbumID)}
	if old, err := s.CatalogStore.GetTrack(ctx, t.ID); err == nil && old.AlbumID != t.AlbumID {
		keys = append(keys, albumKey(old.AlbumID))
	}
	defer s.c.invalidate(keys...)
	return s.CatalogStore.UpdateTrack(ctx, t)
}

func (s catalog) SetTrackMedia(ctx context.Context, trackID string, m domain.TrackMedia) error {
	defer s.c.invalidate(trackKey(trackID))
	return s.CatalogStore.SetTrackMedia(ctx, trackID, m)
}

// DeleteTrack removes the track from every playlist, which the cache cannot
// name.
func (s catalog) DeleteTrack(ctx context.Context, id string) error {
	defer s.c.invalidate(allKeys)
	return s.CatalogStore.DeleteTrack(ctx, id)
}
