package transcode

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

const ffmpegTail = `[ipod @ 0x55ac98d49ac0] Starting second pass: moving the moov atom to the beginning of the file
size=N/A time=00:00:20.01 bitrate=N/A speed=1.93x
video:0kB audio:5010kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: unknown
[Parsed_ebur128_3 @ 0x55ac98d8bf00] Summary:

  Integrated loudness:
    I:         -26.2 LUFS
    Threshold: -36.2 LUFS

  Loudness range:
    LRA:         3.4 LU
    Threshold: -46.2 LUFS
    LRA low:   -28.2 LUFS
    LRA high:  -24.8 LUFS

  True peak:
    Peak:       -1.7 dBFS
[aac @ 0x55ac98d46dc0] Qavg: 605.628
`

func TestParseLoudness(t *testing.T) {
	got, err := parseLoudness("junk\n" + ffmpegTail)
	if err != nil {
		t.Fatal(err)
	}
	if want := (domain.Loudness{IntegratedLUFS: -26.2, TruePeakDBTP: -1.7, RangeLU: 3.4}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// The last summary wins; -inf peaks parse.
	silent := strings.NewReplacer("-26.2 LUFS", "-70.0 LUFS", "-1.7 dBFS", "-inf dBFS").Replace(ffmpegTail)
	got, err = parseLoudness(ffmpegTail + silent)
	if err != nil {
		t.Fatal(err)
	}
	if got.IntegratedLUFS != -70 || !math.IsInf(got.TruePeakDBTP, -1) {
		t.Errorf("silent summary: %+v", got)
	}
	if _, err := parseLoudness("no summary here"); !errors.Is(err, errNoSummary) {
		t.Errorf("no summary: err = %v", err)
	}
	if _, err := parseLoudness("[x] Summary:\n    I:   -20.0 LUFS\n"); err == nil {
		t.Error("partial summary: no error")
	}
}

func TestVODPlaylist(t *testing.T) {
	in := `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:1
#EXT-X-MAP:URI="init-0.m4s"
#EXTINF:3.993832,
#EXT-X-PROGRAM-DATE-TIME:2026-11-23T18:29:39.000+0000
seg-0-00001.m4s
#EXTINF:4.617052,
#EXT-X-PROGRAM-DATE-TIME:2026-11-23T18:29:42.994+0000
seg-0-00002.m4s
#EXT-X-ENDLIST
`
	want := `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-TARGETDURATION:5
#EXT-X-MEDIA-SEQUENCE:1
#EXT-X-MAP:URI="init-0.m4s"
#EXTINF:3.993832,
seg-0-00001.m4s
#EXTINF:4.617052,
seg-0-00002.m4s
#EXT-X-ENDLIST
`
	got, err := vodPlaylist([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// Idempotent.
	again, err := vodPlaylist(got)
	if err != nil || string(again) != want {
		t.Errorf("second pass: %v\n%s", err, again)
	}
	if _, err := vodPlaylist([]byte(strings.Replace(in, "#EXT-X-ENDLIST\n", "", 1))); err == nil {
		t.Error("unfinished playlist: no error")
	}
}

func TestConfig(t *testing.T) {
	tr := New(Config{Ladder: []int{320, 96}})
	if tr.err != nil {
		t.Fatal(tr.err)
	}
	c := tr.cfg
	if c.FFmpeg != "ffmpeg" || c.FFprobe != "ffprobe" || c.MaxDuration != 30*time.Minute || c.MaxBytes != 1<<30 ||
		c.SegmentDuration != 4*time.Second || c.ProgressiveKbps != 160 || len(c.InputFormats) == 0 {
		t.Errorf("defaults: %+v", c)
	}
	if c.Ladder[0] != 96 || c.Ladder[1] != 320 {
		t.Errorf("ladder not sorted: %v", c.Ladder)
	}
	if d := New(Config{}).cfg.Ladder; len(d) != 3 || d[0] != 96 || d[1] != 160 || d[2] != 320 {
		t.Errorf("default ladder %v", d)
	}
	for name, cfg := range map[string]Config{
		"negative duration": {MaxDuration: -1},
		"negative bytes":    {MaxBytes: -1},
		"tiny segments":     {SegmentDuration: time.Millisecond},
		"zero rung":         {Ladder: []int{0, 96}},
		"huge rung":         {Ladder: []int{96, 1000}},
		"duplicate rung":    {Ladder: []int{96, 96}},
		"bad progressive":   {ProgressiveKbps: -5},
		"bad format":        {InputFormats: []string{"mp3,hls"}},
		"negative precheck": {PrecheckTimeout: -time.Second},
	} {
		tr := New(cfg)
		if tr.err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if _, err := tr.Transcode(t.Context(), "x", t.TempDir()); err == nil || !strings.Contains(err.Error(), "invalid config") {
			t.Errorf("%s: Transcode err = %v", name, err)
		}
		if _, err := tr.Probe(t.Context(), "x"); err == nil {
			t.Errorf("%s: Probe accepted", name)
		}
	}
}

func TestFFmpegArgs(t *testing.T) {
	tr := New(Config{Ladder: []int{64, 128}, SegmentDuration: 2500 * time.Millisecond, MaxDuration: time.Minute})
	contains := func(name string, args []string, want ...string) string {
		t.Helper()
		line := strings.Join(args, " ")
		for _, w := range want {
			if !strings.Contains(line, w) {
				t.Errorf("%s args lack %q:\n%s", name, w, line)
			}
		}
		if strings.Contains(line, "-threads") {
			t.Errorf("%s args set -threads: %s", name, line)
		}
		return line
	}
	// Each encoder reads the upload under the whitelists and writes one rung.
	meter := contains("meter encoder", tr.encodeArgs("/in/x.flac", 64, true),
		"-nostdin", "-format_whitelist aac,", "-protocol_whitelist file",
		"-t 62 -i file:/in/x.flac",
		"asplit=2[a][loud];[loud]ebur128=peak=true:framelog=verbose[meter]",
		"-map [a] -c:a aac -profile:a aac_low -aac_coder fast -b:a 64k -flags +global_header -map_metadata -1 -map_chapters -1 -f nut pipe:1",
		"-map [meter] -f null -")
	plain := contains("encoder", tr.encodeArgs("/in/x.flac", 128, false),
		"-format_whitelist aac,", "-protocol_whitelist file", "-b:a 128k", "-f nut pipe:1")
	if strings.Contains(plain, "ebur128") || !strings.Contains(meter, "ebur128") {
		t.Errorf("the meter runs in the wrong encoder:\n%s\n%s", meter, plain)
	}
	// The packager only copies: 64k and 128k rungs, and progressive 160k,
	// which is no rung, from a third encode.
	pkg := contains("packager", tr.packageArgs(3, 2),
		"-f nut -i pipe:3", "-f nut -i pipe:4", "-f nut -i pipe:5",
		"-map 0:a -map 1:a -c copy -tag:a mp4a -b:a:0 64k -b:a:1 128k", "-seg_duration 2.5", "-hls_playlist 1",
		"-map 2:a -c copy -tag:a mp4a -map_metadata -1 -map_chapters -1 -movflags +faststart -f ipod progressive.m4a")
	if strings.Contains(pkg, "file:") || strings.Contains(pkg, "-c:a aac") {
		t.Errorf("the packager reads the upload or encodes: %s", pkg)
	}
	if n := strings.Count(pkg, "-map_metadata -1"); n != 2 {
		t.Errorf("-map_metadata -1 on %d outputs, want 2", n)
	}
}

func TestPrecheckArgs(t *testing.T) {
	line := strings.Join(New(Config{MaxDuration: time.Minute}).precheckArgs("/in/x.flac", 48000), " ")
	for _, want := range []string{
		"-nostdin", "-threads 1", "-format_whitelist aac,", "-protocol_whitelist file",
		"-t 62 -i file:/in/x.flac -map 0:a:0",
		"-af aformat=sample_rates=48000,astats=metadata=0:measure_perchannel=none:measure_overall=Peak_level+Number_of_samples",
		"-f null -",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("args lack %q:\n%s", want, line)
		}
	}
	// Nothing that could make real audio look silent, nor any encoder.
	for _, bad := range []string{"-ac", "-ar", "aresample", "pan=", "-c:a"} {
		if strings.Contains(line, bad) {
			t.Errorf("args hold %q: %s", bad, line)
		}
	}
}

func TestInputFault(t *testing.T) {
	for log, want := range map[string]bool{
		"Error while decoding stream #0:0: Invalid data found when processing input": true,
		"Decoder (codec none) not found for input stream #0:0":                       true,
		"Error writing trailer of seg-0-00001.m4s: No space left on device":          false,
		"Invalid data found when processing input\nNo space left on device":          false,
		"Conversion failed!": false,
	} {
		if got := inputFault(log); got != want {
			t.Errorf("inputFault(%q) = %v", log, got)
		}
	}
}

func TestFormat(t *testing.T) {
	for d, want := range map[time.Duration]string{
		45 * time.Minute:        "45m0s",
		30*time.Minute + 400e6:  "30m0s",
		100 * time.Millisecond:  "0.1s",
		3 * time.Second:         "3s",
		3500 * time.Millisecond: "3.5s",
		72 * time.Second:        "1m12s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[int64]string{
		1000:          "1000 bytes",
		1024:          "1 KiB",
		1536:          "1.5 KiB",
		1 << 30:       "1 GiB",
		3 << 29:       "1.5 GiB",
		5 << 20:       "5 MiB",
		1<<20 + 1<<10: "1 MiB",
	} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
	if got := (&InputError{Reason: ReasonSilent}).Error(); got != "unusable input: audio is silent" {
		t.Errorf("Error() = %q", got)
	}
}

func TestTailBuffer(t *testing.T) {
	b := newTailBuffer(10)
	for _, s := range []string{"abc", "defgh", "ijklmn", "0123456789ABC", "xy"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got := b.String(); got != "56789ABCxy" {
		t.Errorf("tail = %q", got)
	}
	if got := lastLines("a\n[dash] Opening 'x' for writing\n\nb\nc\n", 2); got != "b | c" {
		t.Errorf("lastLines = %q", got)
	}
	if got := lastLines("a\n[dash] Opening 'x' for writing\nb\n", 5); got != "a | b" {
		t.Errorf("lastLines = %q", got)
	}
}

func TestCheckDecoded(t *testing.T) {
	tr := New(Config{MaxDuration: time.Minute})
	ok := domain.Loudness{IntegratedLUFS: -14, TruePeakDBTP: -1}
	silent := domain.Loudness{IntegratedLUFS: -70, TruePeakDBTP: math.Inf(-1)}
	sec := time.Second
	for _, tc := range []struct {
		name   string
		probe  Probe
		got    time.Duration
		loud   domain.Loudness
		reason string // "" for accepted
	}{
		{"fine", Probe{Duration: 20 * sec}, 20 * sec, ok, ""},
		{"unknown length", Probe{}, 20 * sec, ok, ""},
		{"slightly short", Probe{Duration: 20 * sec}, 19 * sec, ok, ""},
		{"truncated", Probe{Duration: 20 * sec}, 10 * sec, ok, "audio is truncated or corrupt: only 10s of 20s could be decoded"},
		{"estimated length", Probe{Duration: 20 * sec, durationEstimated: true}, 10 * sec, ok, ""},
		{"nothing", Probe{Duration: 20 * sec}, 0, ok, ReasonNoAudio},
		{"understated length", Probe{Duration: 10 * sec}, 61 * sec, ok, "audio is longer than 1m0s, the limit"},
		{"at the limit", Probe{}, time.Minute + 300*time.Millisecond, ok, ""},
		{"blip", Probe{}, 300 * time.Millisecond, silent, "audio is only 0.3s long"},
		{"silent", Probe{}, 20 * sec, silent, ReasonSilent},
	} {
		err := tr.checkDecoded(tc.probe, tc.got, tc.loud)
		switch {
		case tc.reason == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.reason != "" && !isReason(err, tc.reason):
			t.Errorf("%s: err = %v, want reason %q", tc.name, err, tc.reason)
		}
	}
}
