package cache

import (
	"context"

	"github.com/backbeat/backbeat/server/domain"
)

// playlists caches playlists and the first page of their entries. Whether
// the caller may see a playlist is the domain's question, asked on every
// read of the cached entity.
type playlists struct {
	domain.PlaylistStore
	c *Cache
}

func (s playlists) GetPlaylist(ctx context.Context, id string) (*domain.Playlist, error) {
	return cached(s.c, playlistKey(id), clonePlaylist, func() (*domain.Playlist, error) { return s.PlaylistStore.GetPlaylist(ctx, id) })
}

// ListEntries caches the first page for the last page size asked (clients
// ask with one size); later pages go to the store.
func (s playlists) ListEntries(ctx context.Context, playlistID string, p domain.Page) ([]*domain.PlaylistEntry, string, error) {
	if p.Token != "" {
		return s.PlaylistStore.ListEntries(ctx, playlistID, p)
	}
	key := entriesKey(playlistID)
	if v, ok := s.c.get(key); ok {
		if fp := v.(*firstPage); fp.size == p.Size {
			return cloneEntries(fp.entries), fp.next, nil
		}
	}
	t := s.c.ticket(key)
	es, next, err := s.PlaylistStore.ListEntries(ctx, playlistID, p)
	if err != nil {
		return nil, "", err
	}
	s.c.offer(t, key, &firstPage{size: p.Size, entries: cloneEntries(es), next: next})
	return es, next, nil
}

// invalidate drops the playlist's cached keys, its entries too when they
// changed.
func (s playlists) invalidate(id string, entries bool) {
	if entries {
		s.c.invalidate(playlistKey(id), entriesKey(id))
		return
	}
	s.c.invalidate(playlistKey(id))
}

func (s playlists) UpdatePlaylist(ctx context.Context, pl *domain.Playlist) error {
	defer s.invalidate(pl.ID, false)
	return s.PlaylistStore.UpdatePlaylist(ctx, pl)
}

func (s playlists) DeletePlaylist(ctx context.Context, id string) error {
	defer s.invalidate(id, true)
	return s.PlaylistStore.DeletePlaylist(ctx, id)
}

func (s playlists) AddEntries(ctx context.Context, playlistID string, entries []*domain.PlaylistEntry, position int) error {
	defer s.invalidate(playlistID, true)
	return s.PlaylistStore.AddEntries(ctx, playlistID, entries, position)
}

func (s playlists) RemoveEntries(ctx context.Context, playlistID string, entryIDs []string) error {
	defer s.invalidate(playlistID, true)
	return s.PlaylistStore.RemoveEntries(ctx, playlistID, entryIDs)
}

func (s playlists) MoveEntries(ctx context.Context, playlistID string, entryIDs []string, beforeEntryID string) error {
	defer s.invalidate(playlistID, true)
	return s.PlaylistStore.MoveEntries(ctx, playlistID, entryIDs, beforeEntryID)
}

// FollowPlaylist and UnfollowPlaylist change FollowerCount.
func (s playlists) FollowPlaylist(ctx context.Context, userID, playlistID string) error {
	defer s.invalidate(playlistID, false)
	return s.PlaylistStore.FollowPlaylist(ctx, userID, playlistID)
}

func (s playlists) UnfollowPlaylist(ctx context.Context, userID, playlistID string) error {
	defer s.invalidate(playlistID, false)
	return s.PlaylistStore.UnfollowPlaylist(ctx, userID, playlistID)
}

func (s playlists) AddCollaborator(ctx context.Context, playlistID, userID string) error {
	defer s.invalidate(playlistID, false)
	return s.PlaylistStore.AddCollaborator(ctx, playlistID, userID)
}

func (s playlists) RemoveCollaborator(ctx context.Context, playlistID, userID string) error {
	defer s.invalidate(playlistID, false)
	return s.PlaylistStore.RemoveCollaborator(ctx, playlistID, userID)
}
