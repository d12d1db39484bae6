package validate

import (
	"errors"
	"strings"
	"testing"

	"github.com/backbeat/backbeat/server/domain"
)

const (
	id1 = "01hzzzzzzzzzzzzzzzzzzzzzzz"
	id2 = "01hzzzzzzzzzzzzzzzzzzzzzzy"
)

// check asserts err is nil when wantField is "", and otherwise an invalid
// error on exactly wantField.
func check(t *testing.T, err error, wantField string) {
	t.Helper()
	if wantField == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("want invalid %q, got %v", wantField, err)
	}
	if de.Kind != domain.KindInvalid || de.Field != wantField {
		t.Fatalf("want invalid on %q, got kind %v field %q (%v)", wantField, de.Kind, de.Field, err)
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name      string
		v         string
		min, max  int
		multiline bool
		wantErr   bool
	}{
		{"ok", "Daft Punk", 1, 200, false, false},
		{"runes not bytes", strings.Repeat("é", 5), 1, 5, false, false},
		{"too long in runes", strings.Repeat("é", 6), 1, 5, false, true},
		{"empty required", "", 1, 5, false, true},
		{"empty optional", "", 0, 5, false, false},
		{"blank required", "   ", 1, 5, false, true},
		{"blank optional", "   ", 0, 5, false, false},
		{"newline single-line", "a\nb", 1, 5, false, true},
		{"tab single-line", "a\tb", 1, 5, false, true},
		{"newline multiline", "a\r\nb\tc", 1, 10, true, false},
		{"nul multiline", "a\x00b", 1, 10, true, true},
		{"c1 control", "a\u0085b", 1, 10, true, true},
		{"bad utf8", "a\xffb", 1, 10, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Text
			if tt.multiline {
				f = MultilineText
			}
			want := ""
			if tt.wantErr {
				want = "x.name"
			}
			check(t, f("x.name", tt.v, tt.min, tt.max), want)
		})
	}
}

func TestRunes(t *testing.T) {
	check(t, Runes("password", "pass\tword", 1, 256), "")
	check(t, Runes("password", "", 1, 256), "password")
	check(t, Runes("password", "\xff\xfe", 1, 256), "password")
}

func TestIDs(t *testing.T) {
	tests := []struct {
		name      string
		ids       []string
		unique    bool
		wantField string
	}{
		{"one", []string{id1}, false, ""},
		{"repeat allowed", []string{id1, id1}, false, ""},
		{"repeat refused", []string{id1, id2, id1}, true, "ids[2]"},
		{"empty", nil, false, "ids"},
		{"too many", make([]string, 4), false, "ids"},
		{"bad item", []string{id1, "nope"}, false, "ids[1]"},
		{"empty item", []string{id1, ""}, true, "ids[1]"},
		{"uppercase item", []string{strings.ToUpper(id1)}, false, "ids[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := IDs
			if tt.unique {
				f = UniqueIDs
			}
			check(t, f("ids", tt.ids, 1, 3), tt.wantField)
		})
	}
}

func TestID(t *testing.T) {
	check(t, ID("artist_id", id1), "")
	check(t, ID("artist_id", ""), "artist_id")
	check(t, ID("artist_id", id1+"0"), "artist_id")
	check(t, ID("artist_id", "01hzzzzzzzzzzzzzzzzzzzzzzi"), "artist_id")
	check(t, OptionalID("album_id", ""), "")
	check(t, OptionalID("album_id", "x"), "album_id")
}

func TestPageSize(t *testing.T) {
	tests := []struct {
		v       int32
		want    int
		wantErr bool
	}{
		{0, 50, false},
		{1, 1, false},
		{500, 500, false},
		{501, 0, true},
		{-1, 0, true},
		{-2147483648, 0, true},
	}
	for _, tt := range tests {
		got, err := PageSize("page_size", tt.v, DefaultPageSize, MaxPageSize)
		if tt.wantErr {
			check(t, err, "page_size")
			continue
		}
		check(t, err, "")
		if got != tt.want {
			t.Errorf("PageSize(%d) = %d, want %d", tt.v, got, tt.want)
		}
	}
}

func TestPage(t *testing.T) {
	p, err := Page(0, "abc", 20, 50)
	check(t, err, "")
	if p != (domain.Page{Size: 20, Token: "abc"}) {
		t.Fatalf("got %+v", p)
	}
	_, err = Page(51, "", 20, 50)
	check(t, err, "page_size")
	_, err = Page(10, strings.Repeat("a", MaxTokenBytes+1), 20, 50)
	check(t, err, "page_token")
	_, err = Page(10, strings.Repeat("a", MaxTokenBytes), 20, 50)
	check(t, err, "")
	check(t, Token("refresh_token", ""), "refresh_token")
	check(t, Token("refresh_token", "t"), "")
}

func TestUpdateMask(t *testing.T) {
	allowed := []string{"name", "bio"}
	tests := []struct {
		name    string
		paths   []string
		wantErr bool
	}{
		{"one", []string{"bio"}, false},
		{"all", []string{"name", "bio"}, false},
		{"empty", nil, true},
		{"unknown", []string{"name", "id"}, true},
		{"wildcard", []string{"*"}, true},
		{"duplicate", []string{"name", "name"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := ""
			if tt.wantErr {
				want = "update_mask"
			}
			check(t, UpdateMask("update_mask", tt.paths, allowed...), want)
		})
	}
}

func TestEmail(t *testing.T) {
	tests := []struct {
		v  string
		ok bool
	}{
		{"ann@example.com", true},
		{"ann+tag@sub.example.co.uk", true},
		{"", false},
		{"ann", false},
		{"ann@", false},
		{"Ann <ann@example.com>", false},
		{" ann@example.com", false},
		{"ann@example.com\n", false},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com", true},  // 254 bytes
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", false}, // 255 bytes
	}
	for _, tt := range tests {
		want := "email"
		if tt.ok {
			want = ""
		}
		t.Run(tt.v, func(t *testing.T) { check(t, Email("email", tt.v), want) })
	}
}

func TestUsername(t *testing.T) {
	tests := []struct {
		v, want string
		ok      bool
	}{
		{"alice", "alice", true},
		{"Alice.B-c_9", "alice.b-c_9", true},
		{"abc", "abc", true},
		{"ab", "", false},
		{strings.Repeat("a", 32), strings.Repeat("a", 32), true},
		{strings.Repeat("a", 33), "", false},
		{"9lives", "", false},
		{"_alice", "", false},
		{"al ice", "", false},
		{"", "", false},
		{"\u212Aate", "", false}, // KELVIN SIGN lowercases to 'k' under Unicode rules
		{"alicé", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.v, func(t *testing.T) {
			got, err := Username("username", tt.v)
			if !tt.ok {
				check(t, err, "username")
				return
			}
			check(t, err, "")
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPassword(t *testing.T) {
	check(t, Password("password", "12345678"), "")
	check(t, Password("password", "1234567"), "password")
	check(t, Password("password", strings.Repeat("ü", 256)), "")
	check(t, Password("password", strings.Repeat("ü", 257)), "password")
}

func TestOptionalURL(t *testing.T) {
	tests := []struct {
		v  string
		ok bool
	}{
		{"", true},
		{"https://img.example.com/a.jpg", true},
		{"http://localhost:8080/a.jpg?x=1#y", true},
		{"ftp://example.com/a", false},
		{"//example.com/a", false},
		{"/a.jpg", false},
		{"https://", false},
		{"https:example.com", false},
		{"https://user:pw@example.com/", false},
		{"https://example.com/a b", false},
		{"javascript:alert(1)", false},
		{"https://example.com/" + strings.Repeat("a", MaxURLBytes), false},
	}
	for _, tt := range tests {
		want := "image_url"
		if tt.ok {
			want = ""
		}
		t.Run(tt.v, func(t *testing.T) { check(t, OptionalURL("image_url", tt.v), want) })
	}
}

func TestOptionalISRC(t *testing.T) {
	tests := []struct {
		v, want string
		ok      bool
	}{
		{"", "", true},
		{"USRC17607839", "USRC17607839", true},
		{"usrc17607839", "USRC17607839", true},
		{"GBAYE0601498", "GBAYE0601498", true},
		{"US-RC1-76-07839", "", false},
		{"USRC1760783", "", false},
		{"USRC176078390", "", false},
		{"U1RC17607839", "", false},
		{"USRC1760783X", "", false},
		{"\u0131SRC17607839", "", false}, // dotless i upper-cases to 'I' under Unicode rules
	}
	for _, tt := range tests {
		t.Run(tt.v, func(t *testing.T) {
			got, err := OptionalISRC("track.isrc", tt.v)
			if !tt.ok {
				check(t, err, "track.isrc")
				return
			}
			check(t, err, "")
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOptionalReleaseDate(t *testing.T) {
	tests := []struct {
		v  string
		ok bool
	}{
		{"", true},
		{"1997", true},
		{"1997-01", true},
		{"1997-01-20", true},
		{"2024-02-29", true},
		{"2023-02-29", false},
		{"1997-13", false},
		{"1997-00", false},
		{"1997-1-20", false},
		{"97", false},
		{"0000", false},
		{"+997", false},
		{"1997/01/20", false},
		{"1997-01-20T00:00:00Z", false},
		{"19970120", false},
	}
	for _, tt := range tests {
		want := "release_date"
		if tt.ok {
			want = ""
		}
		t.Run(tt.v, func(t *testing.T) { check(t, OptionalReleaseDate("release_date", tt.v), want) })
	}
}

func TestGenres(t *testing.T) {
	tests := []struct {
		name      string
		genres    []string
		wantField string
	}{
		{"none", nil, ""},
		{"some", []string{"house", "French touch"}, ""},
		{"ten", strings.Split("a b c d e f g h i j", " "), ""},
		{"eleven", strings.Split("a b c d e f g h i j k", " "), "genres"},
		{"empty item", []string{"house", ""}, "genres[1]"},
		{"long item", []string{strings.Repeat("x", 51)}, "genres[0]"},
		{"repeat ignoring case", []string{"House", "house"}, "genres[1]"},
		{"newline", []string{"a\nb"}, "genres[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { check(t, Genres("genres", tt.genres), tt.wantField) })
	}
}

func TestIntAndCount(t *testing.T) {
	check(t, Int("track.disc_number", 0, 0, 99), "")
	check(t, Int("track.disc_number", 99, 0, 99), "")
	check(t, Int("track.disc_number", 100, 0, 99), "track.disc_number")
	check(t, Int("track.disc_number", -1, 0, 99), "track.disc_number")
	check(t, Count("roles", 0, 0, 3), "")
	check(t, Count("roles", 4, 0, 3), "roles")
}

func TestMessagesNameTheField(t *testing.T) {
	err := Text("artist.name", "", 1, 200)
	if got, want := err.Error(), "artist.name: is required"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	err = Text("artist.name", strings.Repeat("a", 201), 1, 200)
	if got, want := err.Error(), "artist.name: must be 1-200 characters"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
