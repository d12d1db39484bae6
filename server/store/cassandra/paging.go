package cassandra

import (
	"bytes"
	"encoding/base64"
	"encoding/json"

	"github.com/backbeat/backbeat/server/domain"
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
)

func (c cursor) token() string {
	b, err := json.Marshal(c)
	if err != nil {
		panic("cassandra: encode page token: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// readCursor checks p and decodes its token for listing of; first is true
// when there is no token.
func readCursor(p domain.Page, of string) (c cursor, first bool, err error) {
	if p.Size < 1 || p.Size > domain.MaxPageSize {
		return c, false, domain.Invalid("page_size", "must be between 1 and %d", domain.MaxPageSize)
	}
	if p.Token == "" {
		return c, true, nil
	}
	bad := domain.Invalid("page_token", "not a page token of this list")
	raw, err := base64.RawURLEncoding.DecodeString(p.Token)
	if err != nil {
		return c, false, bad
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() || c.Of != of {
		return c, false, bad
	}
	return c, false, nil
}

// cut trims items, read one past the page size, to the page; the extra item
// only tells that a next page exists, so a page that ends the list exactly
// gets no token.
func cut[T any](items []T, size int, next func(last T) cursor) ([]T, string) {
	if len(items) <= size {
		return items, ""
	}
	items = items[:size]
	return items, next(items[size-1]).token()
}
