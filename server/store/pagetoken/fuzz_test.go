package pagetoken

import (
	"errors"
	"testing"

	"github.com/backbeat/backbeat/server/domain"
)

// FuzzRead feeds Read arbitrary tokens, as any client may send: it never
// panics, refuses what it cannot read as KindInvalid on page_token, and
// what it accepts encodes back to a token that reads the same. An offset
// it accepts is one a listing can add a page size to.
func FuzzRead(f *testing.F) {
	f.Add("")
	f.Add(Cursor{List: "search", Key: "daft", N: 20}.Token())
	f.Add(Cursor{List: "plays", ID: "01hzzzzzzzzzzzzzzzzzzzzzzz", N: 1700000000000}.Token())
	f.Add(Encode(map[string]any{"l": "search", "i": int64(9223372036854775807)}))
	f.Add(Encode(map[string]any{"l": "search", "k": "x", "n": int64(9223372036854775807)}))
	f.Add("eyJsIjoic2VhcmNoIn0eyJsIjoic2VhcmNoIn0")
	f.Fuzz(func(t *testing.T, token string) {
		for _, list := range []string{"search", "plays", "users"} {
			c, resume, err := Read(domain.Page{Size: domain.MaxPageSize, Token: token}, list)
			if err != nil {
				var de *domain.Error
				if !errors.As(err, &de) || de.Kind != domain.KindInvalid || de.Field != "page_token" {
					t.Fatalf("Read(%q) = %v, want KindInvalid on page_token", token, err)
				}
				continue
			}
			if resume != (token != "") {
				t.Fatalf("Read(%q): resume = %v", token, resume)
			}
			if !resume {
				continue
			}
			again, _, err := Read(domain.Page{Size: 1, Token: c.Token()}, list)
			if err != nil || again != c {
				t.Fatalf("Read(%q) = %+v, which re-encodes to %+v, %v", token, c, again, err)
			}
			if off, err := c.Offset(); err == nil && (off < 0 || off > MaxOffset || off+domain.MaxPageSize < off) {
				t.Fatalf("Offset of %+v = %d accepted", c, off)
			}
		}
	})
}
