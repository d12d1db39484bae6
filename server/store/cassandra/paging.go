package cassandra

import (
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

// A page token is where the previous page stopped, in the listing's
// clustering order, so the next page starts with a slice of the same
// partition (or the next bucket) rather than skipping rows. It is JSON in
// base64url: opaque to clients, readable when debugging.
type cursor struct {
	// Of names the listing, so a token of another listing is refused
	// instead of misread.
	Of   string `json:"of"`
	Key  string `json:"k,omitempty"`
	ID   string `json:"id,omitempty"`
	N    int64  `json:"n,omitempty"`
	M    int64  `json:"m,omitempty"`
	Hash uint64 `json:"h,omitempty"`
}

// Listings, as cursor.Of values.
const (
	ofUsers          = "users"
	ofFollowed       = "followed_artists"
	ofArtists        = "artists"
	ofAlbums         = "albums"
	ofTracks         = "tracks"
	ofAlbumsByArtist = "albums_by_artist"
	ofTracksByAlbum  = "tracks_by_album"
	ofPlaylists      = "playlists_by_owner"
	ofEntries        = "entries"
	ofSearch         = "search"
	ofPlays          = "plays"
)

func (c cursor) token() string { return pagetoken.Encode(c) }

// readCursor checks p and decodes its token for listing of; first is true
// when there is no token.
func readCursor(p domain.Page, of string) (c cursor, first bool, err error) {
	if p.Size < 1 || p.Size > domain.MaxPageSize {
		return c, false, domain.Invalid("page_size", "must be between 1 and %d", domain.MaxPageSize)
	}
	if p.Token == "" {
		return c, true, nil
	}
	if err := pagetoken.Decode(p.Token, &c); err != nil {
		return c, false, err
	}
	if c.Of != of {
		return c, false, domain.Invalid("page_token", "not a page token of this list")
	}
	return c, false, nil
}

// cut trims items, read one past the page size, to the page.
func cut[T any](items []T, size int, next func(last T) cursor) ([]T, string) {
	return pagetoken.Cut(items, size, func(last T) string { return next(last).token() })
}
