package embedded

import (
	"bytes"
	"encoding/base64"
	"encoding/json"

	"github.com/backbeat/backbeat/server/domain"
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
)

func (c cursor) token() string {
	b, err := json.Marshal(c)
	if err != nil {
		panic("embedded: encode page token: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// readCursor decodes p's token for listing list. ok is false for the first
// page.
func readCursor(p domain.Page, list string) (c cursor, ok bool, err error) {
	if err := checkPage(p); err != nil {
		return c, false, err
	}
	if p.Token == "" {
		return c, false, nil
	}
	bad := domain.Invalid("page_token", "not a page token of this list")
	raw, err := base64.RawURLEncoding.DecodeString(p.Token)
	if err != nil {
		return c, false, bad
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() || c.List != list {
		return c, false, bad
	}
	return c, true, nil
}

// page cuts rows, fetched with one row more than the page size, to the page
// and makes the next token from the last row kept; the extra row only tells
// whether there is a next page, so a page ending exactly at the end of the
// list gets "" rather than a token to an empty page.
func page[T any](rows []T, size int, next func(last T) cursor) ([]T, string) {
	if len(rows) <= size {
		return rows, ""
	}
	rows = rows[:size]
	return rows, next(rows[size-1]).token()
}
