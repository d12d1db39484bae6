package cache

import (
	"slices"

	"github.com/backbeat/backbeat/server/domain"
)

// Keys: a kind prefix, then the entity's id.
func trackKey(id string) string    { return "t/" + id }
func albumKey(id string) string    { return "al/" + id }
func artistKey(id string) string   { return "ar/" + id }
func playlistKey(id string) string { return "pl/" + id }
func entriesKey(id string) string  { return "pe/" + id }

// firstPage is a playlist's first page of entries as the store returned it
// for a page size: what GetPlaylist shows.
type firstPage struct {
	size    int
	entries []*domain.PlaylistEntry
	next    string
}

// Sizes, in bytes, of what every entry costs besides its strings: the
// struct, the cache's node and hash table slot.
const (
	nodeBytes  = 96
	stringHdr  = 16
	sliceHdr   = 24
	timeBytes  = 24
	entryBytes = 4*stringHdr + timeBytes + 8
)

func strs(ss []string) uint32 {
	n := uint32(sliceHdr)
	for _, s := range ss {
		n += stringHdr + uint32(len(s))
	}
	return n
}

// weigh approximates the memory v holds, for the cache's byte bound.
func weigh(v any) uint32 {
	switch v := v.(type) {
	case *domain.Track:
		return nodeBytes + 200 + uint32(len(v.ID)+len(v.Title)+len(v.AlbumID)+len(v.ReleaseDate)+len(v.ISRC)+
			len(v.ArtworkURL)+len(v.Status)+len(v.StatusReason)+len(v.MediaID)) + strs(v.ArtistIDs) + strs(v.Genres)
	case *domain.Album:
		return nodeBytes + 140 + uint32(len(v.ID)+len(v.Title)+len(v.Type)+len(v.ReleaseDate)+len(v.ArtworkURL)) +
			strs(v.ArtistIDs) + strs(v.Genres)
	case *domain.Artist:
		return nodeBytes + 120 + uint32(len(v.ID)+len(v.Name)+len(v.Bio)+len(v.ImageURL)) + strs(v.Genres) + strs(v.OwnerIDs)
	case *domain.Playlist:
		return nodeBytes + 130 + uint32(len(v.ID)+len(v.OwnerID)+len(v.Name)+len(v.Description)) + strs(v.CollaboratorIDs)
	case *firstPage:
		n := uint32(nodeBytes + 48 + sliceHdr + len(v.next))
		for _, e := range v.entries {
			n += 8 + entryBytes + uint32(len(e.ID)+len(e.TrackID)+len(e.AddedBy))
		}
		return n
	}
	return nodeBytes
}

// Stores hand out values the caller may keep and change (domain.Stores'
// conventions), so the cache keeps its own copies and hands out copies.

func cloneTrack(t *domain.Track) *domain.Track {
	c := *t
	c.ArtistIDs, c.Genres = slices.Clone(t.ArtistIDs), slices.Clone(t.Genres)
	return &c
}

func cloneAlbum(a *domain.Album) *domain.Album {
	c := *a
	c.ArtistIDs, c.Genres = slices.Clone(a.ArtistIDs), slices.Clone(a.Genres)
	return &c
}

func cloneArtist(a *domain.Artist) *domain.Artist {
	c := *a
	c.Genres, c.OwnerIDs = slices.Clone(a.Genres), slices.Clone(a.OwnerIDs)
	return &c
}

func clonePlaylist(p *domain.Playlist) *domain.Playlist {
	c := *p
	c.CollaboratorIDs = slices.Clone(p.CollaboratorIDs)
	return &c
}

func cloneEntries(es []*domain.PlaylistEntry) []*domain.PlaylistEntry {
	out := make([]*domain.PlaylistEntry, len(es))
	// One allocation for all the entries of a page.
	vals := make([]domain.PlaylistEntry, len(es))
	for i, e := range es {
		vals[i] = *e
		out[i] = &vals[i]
	}
	return out
}

// cached reads key through c: a hit is copied out; a miss loads, keeps a
// copy (unless an invalidation raced the load) and returns what it loaded.
func cached[T any](c *Cache, key string, clone func(T) T, load func() (T, error)) (T, error) {
	if v, ok := c.get(key); ok {
		return clone(v.(T)), nil
	}
	t := c.ticket(key)
	v, err := load()
	if err != nil {
		return v, err
	}
	c.offer(t, key, clone(v))
	return v, nil
}
