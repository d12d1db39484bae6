// Package pagetoken makes the opaque page tokens every store hands out: a
// store-specific cursor, JSON-encoded and base64url'd, read back strictly so
// a token from another list or a hand-edited one is refused, not misread.
package pagetoken

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/backbeat/backbeat/server/domain"
)

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
	bad := domain.Invalid("page_token", "not a page token of this list")
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return bad
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cursor); err != nil || dec.More() {
		return bad
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
