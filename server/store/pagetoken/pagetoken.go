// Package pagetoken makes the opaque page tokens every store hands out: a
// keyset cursor (where the previous page stopped, in the listing's sort
// key), JSON-encoded and base64url'd, read back strictly so a token from
// another list or a hand-edited one is refused, not misread. Both stores use
// the one Cursor, so they agree on what a token is and on its checks.
package pagetoken

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/backbeat/backbeat/server/domain"
)

// Cursor is where a page stopped. Each listing uses the fields its sort key
// needs; the rest stay zero and out of the token.
type Cursor struct {
	// List names the listing the token belongs to, so a token handed to
	// another listing is rejected instead of silently misread.
	List string `json:"l"`
	Key  string `json:"k,omitempty"`
	ID   string `json:"d,omitempty"`
	N    int64  `json:"n,omitempty"`
	M    int64  `json:"m,omitempty"`
}

// MaxOffset bounds the offset an offset-paged listing (search) takes from
// a token: deeper than any ranking a store makes, and small enough that
// offset plus a page size never overflows. A larger one is forged.
const MaxOffset = 1 << 24

// Offset returns c.N as the offset of an offset-paged listing, refusing one
// no store made (negative or past MaxOffset) as KindInvalid on page_token.
func (c Cursor) Offset() (int, error) {
	if c.N < 0 || c.N > MaxOffset {
		return 0, domain.Invalid("page_token", "not a page token of this search")
	}
	return int(c.N), nil
}

// Token returns c as a page token.
func (c Cursor) Token() string { return Encode(c) }

// Read checks p's size and decodes its token for listing list. resume is
// false for the first page (no token), true when the page continues after c.
func Read(p domain.Page, list string) (c Cursor, resume bool, err error) {
	if p.Size < 1 || p.Size > domain.MaxPageSize {
		return c, false, domain.Invalid("page_size", "must be between 1 and %d", domain.MaxPageSize)
	}
	if p.Token == "" {
		return c, false, nil
	}
	if err := Decode(p.Token, &c); err != nil {
		return c, false, err
	}
	if c.List != list {
		return c, false, errForeign()
	}
	return c, true, nil
}

// ReadOffset reads the token of an offset-paged listing ranked for one key
// (a search's folded query) and returns the offset to start at, 0 for the
// first page. An offset into one query's ranking means nothing for another,
// so the token carries its key and is refused for any other.
func ReadOffset(p domain.Page, list, key string) (int, error) {
	c, resume, err := Read(p, list)
	if err != nil {
		return 0, err
	}
	if resume && c.Key != key {
		return 0, domain.Invalid("page_token", "not a page token of this search")
	}
	return c.Offset()
}

// OffsetToken is the token of the page at offset n of key's ranking, for
// ReadOffset.
func OffsetToken(list, key string, n int) string {
	return Cursor{List: list, Key: key, N: int64(n)}.Token()
}

// Page cuts items, read one past the page size, to the page, and makes the
// next token with next from the last item kept.
func Page[T any](items []T, size int, next func(last T) Cursor) ([]T, string) {
	return Cut(items, size, func(last T) string { return next(last).Token() })
}

func errForeign() error { return domain.Invalid("page_token", "not a page token of this list") }

// Encode returns cursor as a token. Cursors are plain structs, so failing to
// encode one is a programming error.
func Encode(cursor any) string {
	b, err := json.Marshal(cursor)
	if err != nil {
		panic(fmt.Sprintf("pagetoken: encode %T: %v", cursor, err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads token into cursor. Anything Encode did not make for a cursor
// of this shape is a KindInvalid error on "page_token".
func Decode(token string, cursor any) error {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return errForeign()
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cursor); err != nil || dec.More() {
		return errForeign()
	}
	return nil
}

// Cut trims items, read one past the page size, to the page, and makes the
// next token from the last item kept. The extra item only tells that a next
// page exists, so a page that ends the list exactly gets "" rather than a
// token to an empty page.
func Cut[T any](items []T, size int, next func(last T) string) ([]T, string) {
	if len(items) <= size {
		return items, ""
	}
	items = items[:size]
	return items, next(items[size-1])
}
