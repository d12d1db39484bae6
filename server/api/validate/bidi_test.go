package validate

import (
	"fmt"
	"testing"
)

// bidiControls are every character the edge refuses as a direction
// control: embeddings and overrides, isolates, and the marks.
var bidiControls = []rune{
	0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
	0x2066, 0x2067, 0x2068, 0x2069,
	0x200E, 0x200F, 0x061C,
}

// TestBidiControlsRefused: a name, a description, an email or a URL with
// any bidirectional control is invalid_argument naming the field; the
// right-to-left scripts themselves, which need no controls, pass.
func TestBidiControlsRefused(t *testing.T) {
	for _, r := range bidiControls {
		t.Run(fmt.Sprintf("U+%04X", r), func(t *testing.T) {
			s := string(r)
			check(t, Text("artist.name", "Trojan "+s+"Source", 1, 100), "artist.name")
			check(t, MultilineText("playlist.description", "line one\n"+s+"line two", 0, 100), "playlist.description")
			check(t, Email("email", "ana"+s+"@example.com"), "email")
			check(t, OptionalURL("artist.image_url", "https://img.example.com/"+s+"gnp.exe"), "artist.image_url")
			check(t, Genres("track.genres", []string{"pop", "rock" + s}), "track.genres[1]")
		})
	}
	for _, ok := range []string{"فيروز", "עומר אדם", "Ashkan & نسیم", "Beyoncé"} {
		check(t, Text("artist.name", ok, 1, 100), "")
	}
	// Characters next to the ranges stay allowed.
	for _, r := range []rune{0x2029, 0x202F, 0x2065, 0x206A, 0x200D, 0x2010, 0x061B} {
		if bidiControl(r) {
			t.Errorf("U+%04X counted as a bidirectional control", r)
		}
	}
}
