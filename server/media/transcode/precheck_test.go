package transcode

import (
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// silentOpus makes the file: about 29 minutes of silence in a few
// hundred KB (Opus at 6 kbps in 120ms frames, mono 8 kHz). One minute is
// encoded and repeated by stream copy, which takes under a second.
func silentOpus(tb testing.TB, dir string) string {
	tb.Helper()
	minute := gen(tb, dir, "minute.opus", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "60",
		"-c:a", "libopus", "-b:a", "6k", "-frame_duration", "120", "-application", "voip")
	return gen(tb, dir, "silence-29m.opus", "-stream_loop", "28", "-i", minute, "-c", "copy")
}

// recordingFFmpeg returns the path of an ffmpeg that appends each command
// line it is given to the returned log file, then runs the real one: a
// test can tell whether the ladder ran ("-f dash") at all.
func recordingFFmpeg(tb testing.TB, dir string) (bin, log string) {
	tb.Helper()
	real, err := exec.LookPath("ffmpeg")
	if err != nil {
		tb.Skip(err)
	}
	bin, log = filepath.Join(dir, "ffmpeg-recording"), filepath.Join(dir, "ffmpeg-runs.log")
	script := "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + log + "'\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		tb.Fatal(err)
	}
	return bin, log
}

// runs lists the command lines the recording ffmpeg saw: pre-checks and
// ladder runs.
func runs(tb testing.TB, log string) (prechecks, ladders int) {
	tb.Helper()
	b, err := os.ReadFile(log)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		switch {
		case strings.Contains(l, "-f dash"):
			ladders++
		case strings.Contains(l, "astats="):
			prechecks++
		}
	}
	return prechecks, ladders
}

// TestPrecheckRefusesBeforeTheLadder: files that can never make a track
// are refused by the decode pass, before ffmpeg encodes anything; a normal
// file still goes through both runs.
func TestPrecheckRefusesBeforeTheLadder(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	silent := silentOpus(t, dir)
	fi, err := os.Stat(silent)
	if err != nil {
		t.Fatal(err)
	}
	p := ffprobe(t, silent)
	t.Logf("silent input: %d KB, %s s, %s bit/s", fi.Size()/1024, p.Format.Duration, p.Format.BitRate)

	// (Each repeat keeps its last frame's padding: 29m3s decode.)

	// An MP3 without a Xing header whose first frames are 320 kbps and the
	// rest 32 kbps: ffprobe estimates 4s from the first bit rate; 22s decode.
	a := gen(t, dir, "a.mp3", "-f", "lavfi", "-i", "sine=f=440:d=2", "-c:a", "libmp3lame", "-b:a", "320k", "-write_xing", "0", "-id3v2_version", "0")
	b := gen(t, dir, "b.mp3", "-f", "lavfi", "-i", "sine=f=440:d=20", "-c:a", "libmp3lame", "-b:a", "32k", "-write_xing", "0", "-id3v2_version", "0")
	lie := filepath.Join(dir, "understated.mp3")
	if err := os.WriteFile(lie, append(must(os.ReadFile(a)), must(os.ReadFile(b))...), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, in string
		cfg      Config
		reason   string
	}{
		{"29 minutes of silence", silent, Config{}, "audio is silent: no sound above -80 dBFS in 29m"},
		{"understated length", lie, Config{MaxDuration: 10 * time.Second}, "audio is longer than 10s, the limit"},
		{"short silence", gen(t, dir, "silent.flac", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "5"), Config{}, "audio is silent: no sound above -80 dBFS in 5s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin, log := recordingFFmpeg(t, t.TempDir())
			cfg := tc.cfg
			cfg.FFmpeg = bin
			out := filepath.Join(t.TempDir(), "out")
			start := time.Now()
			_, err := New(cfg).Transcode(t.Context(), tc.in, out)
			took := time.Since(start)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an InputError", err)
			}
			t.Logf("refused after %v: %s", took.Round(time.Millisecond), ie.Reason)
			if !strings.HasPrefix(ie.Reason, tc.reason) {
				t.Errorf("reason %q, want %q", ie.Reason, tc.reason)
			}
			if pre, ladders := runs(t, log); pre != 1 || ladders != 0 {
				t.Errorf("%d pre-checks and %d ladder runs, want 1 and 0", pre, ladders)
			}
			leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "*out*"))
			if len(leftovers) > 0 {
				t.Errorf("output written: %v", leftovers)
			}
		})
	}

	// Music-like audio (12s) and quiet but real audio still make tracks.
	for _, in := range []string{
		noisy(t, dir, "music.flac", 12),
		tone(t, dir, "quiet.flac", 3, 0.001, 2), // -60 dBFS
	} {
		t.Run(filepath.Base(in), func(t *testing.T) {
			bin, log := recordingFFmpeg(t, t.TempDir())
			res, err := New(Config{FFmpeg: bin, Ladder: []int{64}}).Transcode(t.Context(), in, filepath.Join(t.TempDir(), "out"))
			if err != nil {
				t.Fatal(err)
			}
			if pre, ladders := runs(t, log); pre != 1 || ladders != 1 {
				t.Errorf("%d pre-checks and %d ladder runs, want 1 each", pre, ladders)
			}
			t.Logf("%v in %v, %.1f LUFS", res.Duration, res.Took.Round(time.Millisecond), res.Loudness.IntegratedLUFS)
		})
	}
}

func TestParseDecodeStats(t *testing.T) {
	log := "Stream mapping:\n" +
		"[Parsed_astats_0 @ 0x5] Overall\n" +
		"[Parsed_astats_0 @ 0x5] Peak level dB: -91.700544\n" +
		"[Parsed_astats_0 @ 0x5] Number of samples: 83520000\n"
	st, ok := parseDecodeStats(log, 48000)
	if !ok || st.decoded != 29*time.Minute || st.peakDB != -91.700544 {
		t.Errorf("parseDecodeStats = %+v, %v", st, ok)
	}
	zeros := strings.ReplaceAll(log, "-91.700544", "-inf")
	if st, ok := parseDecodeStats(zeros, 48000); !ok || !math.IsInf(st.peakDB, -1) {
		t.Errorf("digital silence: %+v, %v", st, ok)
	}
	empty := strings.ReplaceAll(strings.ReplaceAll(log, "-91.700544", "nan"), "83520000", "0")
	if st, ok := parseDecodeStats(empty, 48000); !ok || st.decoded != 0 || !math.IsInf(st.peakDB, -1) {
		t.Errorf("no samples: %+v, %v", st, ok)
	}
	for name, bad := range map[string]string{
		"no summary":   "Stream mapping:\n",
		"no count":     strings.ReplaceAll(log, "Number of samples", "Samples"),
		"bad peak":     strings.ReplaceAll(log, "-91.700544", "loud"),
		"unknown rate": log,
	} {
		rate := 48000
		if name == "unknown rate" {
			rate = 0
		}
		if st, ok := parseDecodeStats(bad, rate); ok {
			t.Errorf("%s: parsed %+v", name, st)
		}
	}
}

func TestJudge(t *testing.T) {
	tr := New(Config{MaxDuration: time.Minute})
	sec := time.Second
	for _, tc := range []struct {
		name   string
		probe  Probe
		st     decodeStats
		reason string // "" for accepted
	}{
		{"music", Probe{Duration: 20 * sec}, decodeStats{20 * sec, -1}, ""},
		{"quiet", Probe{Duration: 20 * sec}, decodeStats{20 * sec, -79}, ""},
		{"unknown length", Probe{}, decodeStats{20 * sec, -1}, ""},
		{"blip", Probe{}, decodeStats{300 * time.Millisecond, math.Inf(-1)}, ""},
		{"nothing", Probe{Duration: 20 * sec}, decodeStats{0, math.Inf(-1)}, ReasonNoAudio},
		{"understated", Probe{Duration: 10 * sec}, decodeStats{62 * sec, -1}, "audio is longer than 1m0s, the limit"},
		{"at the limit", Probe{}, decodeStats{time.Minute + 300*time.Millisecond, -1}, ""},
		{"truncated", Probe{Duration: 50 * sec}, decodeStats{10 * sec, -1}, "audio is truncated or corrupt: only 10s of 50s could be decoded"},
		{"estimated", Probe{Duration: 50 * sec, durationEstimated: true}, decodeStats{10 * sec, -1}, ""},
		{"silent", Probe{Duration: 50 * sec}, decodeStats{50 * sec, -91.7}, "audio is silent: no sound above -80 dBFS in 50s"},
		{"zeros", Probe{}, decodeStats{3 * sec, math.Inf(-1)}, "audio is silent: no sound above -80 dBFS in 3s"},
	} {
		err := tr.judge(tc.probe, tc.st)
		switch {
		case tc.reason == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.reason != "" && !isReason(err, tc.reason):
			t.Errorf("%s: err = %v, want reason %q", tc.name, err, tc.reason)
		}
	}
}

// BenchmarkPrecheck reports what the pre-check's decode pass costs beside
// the whole transcode of a 12s and a 4-minute music-like FLAC, and how long
// the 29-minute silent file takes to be refused. Figures, not assertions.
func BenchmarkPrecheck(b *testing.B) {
	needFFmpeg(b)
	dir := b.TempDir()
	inputs := []struct {
		name string
		make func() string
	}{
		{"12s", func() string { return noisy(b, dir, "12s.flac", 12) }},
		{"4m", func() string { return noisy(b, dir, "4m.flac", 240) }},
		{"silent29m", func() string { return silentOpus(b, dir) }},
	}
	for _, in := range inputs {
		path := in.make()
		tr := New(Config{})
		p, err := tr.Probe(b.Context(), path)
		if err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(in.name+"/precheck", func(b *testing.B) {
			for b.Loop() {
				err := tr.precheck(b.Context(), dir, path, p, fi.Size())
				if (err != nil) != (in.name == "silent29m") {
					b.Fatal(err)
				}
			}
		})
		b.Run(in.name+"/transcode", func(b *testing.B) {
			for b.Loop() {
				_, err := tr.Transcode(b.Context(), path, filepath.Join(dir, "out"))
				if (err != nil) != (in.name == "silent29m") {
					b.Fatal(err)
				}
			}
		})
	}
}
