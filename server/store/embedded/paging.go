package embedded

import (
	"github.com/backbeat/backbeat/server/domain"
	"github.com/backbeat/backbeat/server/store/pagetoken"
)

// A page token is a keyset cursor: where the previous page stopped, in the
// list's sort key, so the next page is an index seek whatever its depth and
// rows added or removed meanwhile neither repeat nor skip the rest. It is
// JSON in base64url: opaque to clients, and easy to read when debugging.
type cursor struct {
	// List names the listing the token belongs to, so a token handed to
	// another listing is rejected instead of silently misread.
	List string `json:"l"`
	Str  string `json:"s,omitempty"`
	Int  int64  `json:"i,omitempty"`
	Int2 int64  `json:"j,omitempty"`
	ID   string `json:"d,omitempty"`
}

// Listings, as cursor.List values.
const (
	listUsers          = "users"
	listFollowed       = "followed"
	listArtists        = "artists"
	listAlbums         = "albums"
	listAlbumsByArtist = "albums_by_artist"
	listTracks         = "tracks"
	listTracksByAlbum  = "tracks_by_album"
	listSearch         = "search"
	listPlaylists      = "playlists_by_owner"
	listEntries        = "entries"
	listPlays          = "plays"
)

func (c cursor) token() string { return pagetoken.Encode(c) }

// readCursor decodes p's token for listing list. ok is false for the first
// page.
func readCursor(p domain.Page, list string) (c cursor, ok bool, err error) {
	if err := checkPage(p); err != nil {
		return c, false, err
	}
	if p.Token == "" {
		return c, false, nil
	}
	if err := pagetoken.Decode(p.Token, &c); err != nil {
		return c, false, err
	}
	if c.List != list {
		return c, false, domain.Invalid("page_token", "not a page token of this list")
	}
	return c, true, nil
}

// page cuts rows, fetched with one row more than the page size, to the page.
func page[T any](rows []T, size int, next func(last T) cursor) ([]T, string) {
	return pagetoken.Cut(rows, size, func(last T) string { return next(last).token() })
}
