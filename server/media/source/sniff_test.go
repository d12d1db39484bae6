package source

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Sniff names exactly the formats a browser plays as they are, on files
// ffmpeg writes; everything else goes the on-the-fly way.
func TestSniff(t *testing.T) {
	if testing.Short() {
		t.Skip("needs ffmpeg; skipped in -short")
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed (server/scripts/setup.sh installs it)")
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a.mp3", []string{"-c:a", "libmp3lame"}, "mp3"},
		{"a.mp3", []string{"-c:a", "libmp3lame", "-id3v2_version", "0", "-write_xing", "0"}, "mp3"},
		{"a.aac", []string{"-c:a", "aac", "-f", "adts"}, "aac"},
		{"a.m4a", []string{"-c:a", "aac", "-movflags", "+faststart"}, "m4a"},
		{"b.m4a", []string{"-c:a", "aac"}, ""}, // index at the end
		{"c.m4a", []string{"-c:a", "alac", "-movflags", "+faststart"}, ""},
		{"a.flac", nil, "flac"},
		{"a.opus", []string{"-c:a", "libopus"}, "ogg"},
		{"a.ogg", []string{"-c:a", "flac", "-f", "ogg"}, ""},
		{"a.wav", nil, "wav"},
		{"b.wav", []string{"-c:a", "pcm_f32le"}, "wav"},
		{"c.wav", []string{"-c:a", "adpcm_ms"}, ""},
		{"a.aiff", nil, ""},
		{"a.wma", []string{"-c:a", "wmav2"}, ""},
	} {
		path := filepath.Join(dir, tc.name)
		args := append([]string{"-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=f=440:d=3", "-ac", "2"}, tc.args...)
		if out, err := exec.Command("ffmpeg", append(args, path)...).CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", tc.name, tc.args, err, out)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := Sniff(b[:min(len(b), sniffBytes)]); got != tc.want {
			t.Errorf("Sniff(%s %v) = %q, want %q", tc.name, tc.args, got, tc.want)
		}
	}
	for _, junk := range [][]byte{nil, []byte("hello"), []byte("<html><body>not audio</body></html>")} {
		if got := Sniff(junk); got != "" {
			t.Errorf("Sniff(%q) = %q", junk, got)
		}
	}
}
