package pagetoken

import (
	"testing"

	"github.com/backbeat/backbeat/server/domain"
)

type cursor struct {
	List string `json:"l"`
	N    int64  `json:"n"`
}

func TestRoundTrip(t *testing.T) {
	in := cursor{List: "tracks", N: 42}
	var out cursor
	if err := Decode(Encode(in), &out); err != nil || out != in {
		t.Fatalf("round trip = %+v, %v; want %+v", out, err, in)
	}
}

func TestDecodeRefusesGarbage(t *testing.T) {
	for _, tok := range []string{"%%%", "bm90IGpzb24", Encode(map[string]any{"other": 1}), Encode(cursor{}) + Encode(cursor{})} {
		var c cursor
		if err := Decode(tok, &c); !domain.IsKind(err, domain.KindInvalid) {
			t.Errorf("Decode(%q) = %v, want invalid page_token", tok, err)
		}
	}
}

func TestCut(t *testing.T) {
	next := func(last int) string { return Encode(cursor{N: int64(last)}) }
	if page, tok := Cut([]int{1, 2, 3}, 3, next); len(page) != 3 || tok != "" {
		t.Fatalf("exact page: %v %q, want 3 items and no token", page, tok)
	}
	page, tok := Cut([]int{1, 2, 3, 4}, 3, next)
	var c cursor
	if len(page) != 3 || Decode(tok, &c) != nil || c.N != 3 {
		t.Fatalf("page with more: %v, cursor %+v", page, c)
	}
}

func TestRead(t *testing.T) {
	if _, _, err := Read(domain.Page{Size: 0}, "tracks"); !domain.IsKind(err, domain.KindInvalid) {
		t.Errorf("size 0: %v, want invalid", err)
	}
	if c, resume, err := Read(domain.Page{Size: 10}, "tracks"); err != nil || resume || c != (Cursor{}) {
		t.Errorf("first page: %+v %v %v, want zero cursor, no resume", c, resume, err)
	}
	tok := Cursor{List: "tracks", ID: "t9", N: 3}.Token()
	c, resume, err := Read(domain.Page{Size: 10, Token: tok}, "tracks")
	if err != nil || !resume || c.ID != "t9" || c.N != 3 {
		t.Errorf("next page: %+v %v %v, want the cursor back, resume", c, resume, err)
	}
	if _, _, err := Read(domain.Page{Size: 10, Token: tok}, "albums"); !domain.IsKind(err, domain.KindInvalid) {
		t.Errorf("token of another list: %v, want invalid", err)
	}
}

// An offset token is bound to its list and its key (a search's folded
// query): another query, a forged offset or another list is invalid.
func TestReadOffset(t *testing.T) {
	if n, err := ReadOffset(domain.Page{Size: 10}, "search", "river"); err != nil || n != 0 {
		t.Errorf("first page: %d %v, want 0", n, err)
	}
	tok := OffsetToken("search", "river", 20)
	if n, err := ReadOffset(domain.Page{Size: 10, Token: tok}, "search", "river"); err != nil || n != 20 {
		t.Errorf("next page: %d %v, want 20", n, err)
	}
	for name, tc := range map[string]struct{ token, list, key string }{
		"another query":   {tok, "search", "rivers"},
		"another list":    {tok, "tracks", "river"},
		"a forged offset": {OffsetToken("search", "river", MaxOffset+1), "search", "river"},
		"a negative one":  {OffsetToken("search", "river", -1), "search", "river"},
	} {
		if _, err := ReadOffset(domain.Page{Size: 10, Token: tc.token}, tc.list, tc.key); !domain.IsKind(err, domain.KindInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}
