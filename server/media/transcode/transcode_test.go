package transcode

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/media/manifest"
)

func TestTranscodeLadder(t *testing.T) {
	needFFmpeg(t)
	const secs = 10.0
	tags := []string{"-metadata", "title=Night Drive", "-metadata", "artist=The Testers"}
	for _, tc := range []struct {
		name  string
		args  []string
		codec string
	}{
		{"in.flac", nil, "flac"},
		{"in.wav", nil, "pcm_s16le"},
		{"in.mp3", []string{"-c:a", "libmp3lame", "-b:a", "320k"}, "mp3"},
	} {
		t.Run(tc.codec, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			in := noisy(t, dir, tc.name, secs, append(tc.args, tags...)...)
			out := filepath.Join(dir, "out")
			tr := New(Config{})
			res, err := tr.Transcode(t.Context(), in, out)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %v of audio in %v (%.1fx realtime), %+v", tc.codec, res.Duration, res.Took, res.Duration.Seconds()/res.Took.Seconds(), res.Loudness)
			if res.Probe.Codec != tc.codec || res.Probe.Title != "Night Drive" || res.Probe.Artist != "The Testers" ||
				res.Probe.SampleRate != 48000 || res.Probe.Channels != 2 {
				t.Errorf("probe = %+v", res.Probe)
			}
			// MP3 encoders pad the start; allow for that.
			if !within(res.Duration.Seconds(), secs, 0.1) {
				t.Errorf("duration = %v, want %vs", res.Duration, secs)
			}
			if res.Took <= 0 {
				t.Errorf("took = %v", res.Took)
			}
			checkOutput(t, out, res, []int{96, 160, 320}, 160, secs)
		})
	}
}

// checkOutput checks a finished output directory against the ladder: files,
// playlists, manifest and the audio in every rung.
func checkOutput(t *testing.T, out string, res Result, ladder []int, progKbps int, secs float64) {
	t.Helper()
	// The files listed are exactly the files there, manifests last.
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	listed := slices.Sorted(slices.Values(res.Files))
	if !slices.Equal(names, listed) {
		t.Errorf("directory holds %v, Result.Files %v", names, res.Files)
	}
	if n := len(res.Files); n < 2 || res.Files[n-1] != MasterPlaylist || res.Files[n-2] != DASHManifest {
		t.Errorf("Files do not end with the manifests: %v", res.Files)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".partial")); !os.IsNotExist(err) {
		t.Errorf("work directory left behind: %v", err)
	}

	// No wall-clock, absolute paths or tags in any manifest.
	for _, name := range res.Files {
		if !strings.HasSuffix(name, ".m3u8") && !strings.HasSuffix(name, ".mpd") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"PROGRAM-DATE-TIME", filepath.Dir(out), "Night Drive", "The Testers", "availabilityStartTime", "publishTime"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s contains %q:\n%s", name, bad, b)
			}
		}
	}

	master := parseFile(t, filepath.Join(out, MasterPlaylist), manifest.ParseMaster)
	if len(master.Variants) != len(ladder) {
		t.Fatalf("master lists %d variants, want %d", len(master.Variants), len(ladder))
	}
	mpd := parseFile(t, filepath.Join(out, DASHManifest), manifest.ParseMPD)
	reps := mpd.Representations()
	if mpd.Type != "static" || len(reps) != len(ladder) {
		t.Fatalf("MPD: type %q, %d representations", mpd.Type, len(reps))
	}
	if !within(mpd.Duration.Seconds(), secs, 0.15) {
		t.Errorf("MPD presentation duration %v", mpd.Duration)
	}

	for n, kbps := range ladder {
		v := master.Variants[n]
		if v.URI != VariantPlaylist(n) || v.Codecs != "mp4a.40.2" {
			t.Errorf("variant %d = %+v", n, v)
		}
		// BANDWIDTH is the measured peak: at or above the average, near the rung.
		if v.Bandwidth < v.AverageBandwidth || float64(v.Bandwidth) > 1.3*float64(kbps*1000) || float64(v.AverageBandwidth) < 0.8*float64(kbps*1000) {
			t.Errorf("variant %d: BANDWIDTH %d, AVERAGE-BANDWIDTH %d for %d kbps", n, v.Bandwidth, v.AverageBandwidth, kbps)
		}
		if n > 0 && v.Bandwidth <= master.Variants[n-1].Bandwidth {
			t.Errorf("variant %d is not above variant %d", n, n-1)
		}

		media := parseFile(t, filepath.Join(out, v.URI), manifest.ParseMedia)
		if !media.VOD() || !media.EndList {
			t.Errorf("%s is not VOD with ENDLIST: %+v", v.URI, media)
		}
		if got := media.Duration(); (got - res.Duration).Abs() > 100*time.Millisecond {
			t.Errorf("%s segments add up to %v, result says %v", v.URI, got, res.Duration)
		}
		if !within(media.Duration().Seconds(), secs, 0.15) {
			t.Errorf("%s lasts %v, input %vs", v.URI, media.Duration(), secs)
		}
		inits := media.InitURIs()
		if len(inits) != 1 {
			t.Fatalf("%s init sections: %v", v.URI, inits)
		}
		var segs []string
		for i, s := range media.Segments {
			if _, err := os.Stat(filepath.Join(out, s.URI)); err != nil {
				t.Errorf("%s: %v", v.URI, err)
			}
			if s.Duration > media.TargetDuration+500*time.Millisecond {
				t.Errorf("%s: segment %d lasts %v, target %v", v.URI, i, s.Duration, media.TargetDuration)
			}
			segs = append(segs, s.URI)
		}
		wantSegs := int(math.Ceil(secs / 4))
		if len(segs) != wantSegs {
			t.Errorf("%s has %d segments, want %d", v.URI, len(segs), wantSegs)
		}

		// DASH addresses the very same files.
		rep := reps[n]
		if rep.Bandwidth != int64(kbps*1000) || rep.Codecs != "mp4a.40.2" || rep.MimeType != "audio/mp4" ||
			rep.AudioSamplingRate != 44100 || rep.AudioChannels != "2" {
			t.Errorf("representation %d = %+v", n, rep)
		}
		dsegs, err := rep.Segments()
		if err != nil {
			t.Fatal(err)
		}
		var urls []string
		for _, s := range dsegs {
			urls = append(urls, s.URL)
		}
		if !slices.Equal(urls, segs) {
			t.Errorf("representation %d segments %v, HLS %v", n, urls, segs)
		}
		if init, _ := rep.InitURL(); init != inits[0] {
			t.Errorf("representation %d init %q, HLS %q", n, init, inits[0])
		}
		if d, err := rep.TotalDuration(); err != nil || (d-res.Duration).Abs() > time.Millisecond {
			t.Errorf("representation %d lasts %v (%v), result %v", n, d, err, res.Duration)
		}

		// What a player decodes: init + segments.
		file := concat(t, out, inits[0], segs, filepath.Join(t.TempDir(), "variant.mp4"))
		checkAudio(t, v.URI, file, kbps, secs)
	}

	prog := filepath.Join(out, Progressive)
	checkAudio(t, Progressive, prog, progKbps, secs)
	boxes := topBoxes(t, prog)
	if moov, mdat := slices.Index(boxes, "moov"), slices.Index(boxes, "mdat"); moov < 0 || mdat < 0 || moov > mdat {
		t.Errorf("%s is not faststart: boxes %v", Progressive, boxes)
	}
	if p := ffprobe(t, prog); p.Format.Tags["title"] != "" || p.Format.Tags["artist"] != "" {
		t.Errorf("%s keeps tags: %v", Progressive, p.Format.Tags)
	}
}

func checkAudio(t *testing.T, name, path string, kbps int, secs float64) {
	t.Helper()
	p := ffprobe(t, path)
	if len(p.Streams) != 1 {
		t.Fatalf("%s: %d streams", name, len(p.Streams))
	}
	s := p.Streams[0]
	if s.CodecName != "aac" || s.Profile != "LC" || s.Channels != 2 || s.SampleRate != "44100" || s.ChannelLayout != "stereo" {
		t.Errorf("%s: %+v", name, s)
	}
	dur := p.Format.Duration
	if s.Duration != "" {
		dur = s.Duration
	}
	d := num(t, dur)
	if !within(d, secs, 0.15) {
		t.Errorf("%s lasts %.3fs, want %vs", name, d, secs)
	}
	// Noise-rich input reaches the target bit rate. (ffprobe's stream
	// bit_rate is wrong for concatenated fragments: count the packets.)
	if br := payloadBitRate(t, path, d); br < 0.9*float64(kbps*1000) || br > 1.1*float64(kbps*1000) {
		t.Errorf("%s: %.0f bit/s, want about %d kbps", name, br, kbps)
	}
}

func parseFile[T any](t *testing.T, path string, parse func(io.Reader) (T, error)) T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return v
}

func TestLoudness(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	tr := New(Config{Ladder: []int{96}})
	measure := func(in string) Result {
		t.Helper()
		res, err := tr.Transcode(t.Context(), in, filepath.Join(dir, "out-"+filepath.Base(in)))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// A stereo 1 kHz sine at -20 dBFS on both channels reads -20 LUFS (the
	// EBU Tech 3341 calibration case, at -23).
	loud := measure(tone(t, dir, "loud.wav", 10, 0.1, 2)).Loudness
	quiet := measure(tone(t, dir, "quiet.flac", 10, 0.05, 2)).Loudness
	mono := measure(tone(t, dir, "mono.flac", 10, 0.1, 1)).Loudness
	t.Logf("loud %+v, quiet %+v, mono %+v", loud, quiet, mono)
	if !within(loud.IntegratedLUFS, -20, 0.3) {
		t.Errorf("integrated loudness %.1f LUFS, want -20", loud.IntegratedLUFS)
	}
	if !within(loud.TruePeakDBTP, -20, 0.5) {
		t.Errorf("true peak %.1f dBFS, want about -20", loud.TruePeakDBTP)
	}
	if loud.RangeLU < 0 || loud.RangeLU > 1 {
		t.Errorf("loudness range %.1f LU for a steady tone", loud.RangeLU)
	}
	// Half the amplitude is 6.02 dB quieter.
	if d := loud.IntegratedLUFS - quiet.IntegratedLUFS; !within(d, 6.02, 0.2) {
		t.Errorf("loudness difference %.2f LU, want 6.02", d)
	}
	if d := loud.TruePeakDBTP - quiet.TruePeakDBTP; !within(d, 6.02, 0.3) {
		t.Errorf("peak difference %.2f dB, want 6.02", d)
	}
	// Mono is upmixed to both channels at -3 dB each, which keeps its power:
	// it reads what EBU R128 gives the mono file, 3 dB below the same tone
	// at full level on two channels.
	if d := loud.IntegratedLUFS - mono.IntegratedLUFS; !within(d, 3.01, 0.2) {
		t.Errorf("mono reads %.1f LUFS, stereo %.1f; want 3 dB apart", mono.IntegratedLUFS, loud.IntegratedLUFS)
	}
}

func TestProbe(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	tr := New(Config{})
	flac := noisy(t, dir, "a.flac", 3, "-metadata", "TITLE=Über Song", "-metadata", "ARTIST=Zoë")
	p, err := tr.Probe(t.Context(), flac)
	if err != nil {
		t.Fatal(err)
	}
	if p.Codec != "flac" || p.Format != "flac" || p.SampleRate != 48000 || p.Channels != 2 ||
		p.Duration != 3*time.Second || p.BitRate <= 0 || p.Title != "Über Song" || p.Artist != "Zoë" {
		t.Errorf("flac probe = %+v", p)
	}

	// MP3 with cover art: the picture is a video stream; the first audio
	// stream is what counts, and it transcodes.
	cover := gen(t, dir, "cover.png", "-f", "lavfi", "-i", "color=c=blue:s=64x64", "-frames:v", "1")
	mp3 := gen(t, dir, "c.mp3", "-i", cover, "-f", "lavfi", "-i", "sine=f=440:d=3",
		"-map", "0:v", "-map", "1:a", "-c:v", "png", "-disposition:v", "attached_pic",
		"-c:a", "libmp3lame", "-b:a", "128k", "-id3v2_version", "3",
		"-metadata", "title=Covered", "-metadata", "artist=Art")
	p, err = tr.Probe(t.Context(), mp3)
	if err != nil {
		t.Fatal(err)
	}
	if p.Codec != "mp3" || p.Title != "Covered" || p.Artist != "Art" || p.Channels != 1 || p.BitRate != 128000 {
		t.Errorf("mp3 probe = %+v", p)
	}
	res, err := New(Config{Ladder: []int{64}}).Transcode(t.Context(), mp3, filepath.Join(dir, "out-mp3"))
	if err != nil {
		t.Fatalf("mp3 with cover art: %v", err)
	}
	if !within(res.Duration.Seconds(), 3, 0.1) {
		t.Errorf("mp3 with cover art lasts %v", res.Duration)
	}

	// A video with a soundtrack: the video, longer than the sound, is
	// ignored.
	mp4 := gen(t, dir, "v.mp4", "-f", "lavfi", "-i", "testsrc=d=6:s=64x64", "-f", "lavfi", "-i", "sine=f=440:d=3",
		"-c:v", "mpeg4", "-c:a", "aac", "-metadata", "title=Clip")
	p, err = tr.Probe(t.Context(), mp4)
	if err != nil {
		t.Fatal(err)
	}
	if p.Codec != "aac" || p.Title != "Clip" || !strings.Contains(p.Format, "mp4") || !within(p.Duration.Seconds(), 3, 0.1) {
		t.Errorf("mp4 probe = %+v", p)
	}
	res, err = New(Config{Ladder: []int{64}}).Transcode(t.Context(), mp4, filepath.Join(dir, "out-mp4"))
	if err != nil {
		t.Fatalf("video with audio: %v", err)
	}
	if !within(res.Duration.Seconds(), 3, 0.1) {
		t.Errorf("video with audio: %v of audio", res.Duration)
	}
	var segs []string
	for _, f := range res.Files {
		if strings.HasPrefix(f, "seg-0-") {
			segs = append(segs, f)
		}
	}
	rung0 := concat(t, filepath.Join(dir, "out-mp4"), "init-0.m4s", segs, filepath.Join(dir, "rung0.mp4"))
	for _, f := range []string{rung0, filepath.Join(dir, "out-mp4", Progressive)} {
		if p := ffprobe(t, f); len(p.Streams) != 1 || p.Streams[0].CodecType != "audio" {
			t.Errorf("%s: %+v", f, p.Streams)
		}
	}
}

// Common containers pass the demuxer whitelist.
func TestProbeFormats(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	tr := New(Config{})
	for _, tc := range []struct {
		name, codec string
		args        []string
	}{
		{"a.m4a", "aac", []string{"-c:a", "aac"}},
		{"a.ogg", "vorbis", []string{"-c:a", "libvorbis"}},
		{"a.opus", "opus", []string{"-c:a", "libopus"}},
		{"a.webm", "opus", []string{"-c:a", "libopus"}},
		{"a.mka", "flac", []string{"-c:a", "flac"}},
		{"a.aiff", "pcm_s16be", nil},
		{"a.aac", "aac", []string{"-c:a", "aac"}},
		{"a.wma", "wmav2", []string{"-c:a", "wmav2"}},
	} {
		in := noisy(t, dir, tc.name, 2, append(tc.args, "-metadata", "title=T "+tc.name, "-metadata", "artist=A", "-metadata", "author=A")...)
		p, err := tr.Probe(t.Context(), in)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if p.Codec != tc.codec || p.Channels != 2 || p.SampleRate != 48000 {
			t.Errorf("%s: %+v", tc.name, p)
		}
		// ADTS has no tags.
		if tc.name != "a.aac" && (p.Title != "T "+tc.name || p.Artist != "A") {
			t.Errorf("%s: tags %q %q", tc.name, p.Title, p.Artist)
		}
	}
}

func TestRefusals(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flac := noisy(t, dir, "ok.flac", 10)
	whole, err := os.ReadFile(flac)
	if err != nil {
		t.Fatal(err)
	}
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i/13)
	}
	for _, tc := range []struct {
		name   string
		input  func() string
		cfg    Config
		reason string // substring of InputError.Reason
	}{
		{"text", func() string { return write("notes.txt", []byte("These are my lyrics.\nLa la la.\n")) }, Config{}, ReasonNotAudio},
		{"text named mp3", func() string { return write("lyrics.mp3", []byte("These are my lyrics.\nLa la la.\n")) }, Config{}, ReasonNotAudio},
		{"hls playlist", func() string {
			return write("evil.m3u8", []byte("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"))
		}, Config{}, ReasonNotAudio},
		{"png", func() string {
			return gen(t, dir, "image.png", "-f", "lavfi", "-i", "color=c=red:s=32x32", "-frames:v", "1")
		}, Config{}, ReasonNotAudio},
		{"png without extension", func() string {
			return write("upload", must(os.ReadFile(gen(t, dir, "image2.png", "-f", "lavfi", "-i", "color=c=red:s=32x32", "-frames:v", "1"))))
		}, Config{}, ReasonNotAudio},
		{"video only", func() string {
			return gen(t, dir, "video.mp4", "-f", "lavfi", "-i", "testsrc=d=2:s=64x64", "-c:v", "mpeg4")
		}, Config{}, ReasonNotAudio},
		{"garbage named mp3", func() string { return write("garbage.mp3", garbage) }, Config{}, ReasonCorrupt},
		{"garbage named flac", func() string { return write("garbage.flac", garbage) }, Config{}, ReasonCorrupt},
		{"truncated flac", func() string { return write("cut.flac", whole[:len(whole)/3]) }, Config{}, "truncated"},
		{"flac header only", func() string { return write("head.flac", whole[:200]) }, Config{}, ""},
		{"empty file", func() string { return write("empty.mp3", nil) }, Config{}, ReasonEmpty},
		{"no samples", func() string {
			return gen(t, dir, "nothing.wav", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "0")
		}, Config{}, ReasonNoAudio},
		{"silent", func() string {
			return gen(t, dir, "silent.flac", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "5")
		}, Config{}, ReasonSilent},
		{"too short", func() string { return tone(t, dir, "blip.wav", 0.2, 0.5, 2) }, Config{}, "only 0.2s long"},
		{"too long", func() string { return flac }, Config{MaxDuration: 5 * time.Second}, "audio is 10s long; the limit is 5s"},
		{"too large", func() string { return flac }, Config{MaxBytes: 1000}, "; the limit is 1000 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.input()
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(tc.name, " ", "-"))
			// A stale complete-looking output must go too.
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, MasterPlaylist), []byte("#EXTM3U\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := tc.cfg
			cfg.Ladder = []int{64}
			_, err := New(cfg).Transcode(t.Context(), in, out)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an InputError", err)
			}
			t.Logf("reason: %s", ie.Reason)
			if !strings.Contains(ie.Reason, tc.reason) {
				t.Errorf("reason %q, want it to contain %q", ie.Reason, tc.reason)
			}
			leftovers, _ := filepath.Glob(out + "*")
			leftovers2, _ := filepath.Glob(filepath.Join(dir, "."+filepath.Base(out)+"*"))
			if len(leftovers)+len(leftovers2) > 0 {
				t.Errorf("left behind: %v %v", leftovers, leftovers2)
			}
		})
	}
	// Probe alone refuses non-audio as well.
	if _, err := New(Config{}).Probe(t.Context(), write("x.txt", []byte("hello"))); !isReason(err, ReasonNotAudio) {
		t.Errorf("Probe(text) = %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func isReason(err error, reason string) bool {
	var ie *InputError
	return errors.As(err, &ie) && ie.Reason == reason
}

func TestRerunReplacesOutput(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	in := noisy(t, dir, "in.flac", 6)
	out := filepath.Join(dir, "media", "out")
	// What a run killed mid-way leaves: a work directory, and an old output.
	for _, d := range []string{out, filepath.Join(dir, "media", ".out.partial")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "seg-0-00099.m4s"), []byte("stale"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tr := New(Config{Ladder: []int{64, 128}, SegmentDuration: 2 * time.Second})
	first, err := tr.Transcode(t.Context(), in, out)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "media"))
	if len(entries) != 1 || entries[0].Name() != "out" {
		t.Errorf("media dir holds %v", entries)
	}
	if _, err := os.Stat(filepath.Join(out, "seg-0-00099.m4s")); !os.IsNotExist(err) {
		t.Errorf("stale segment survived: %v", err)
	}
	if len(first.Files) != 2*3+2+1+2+2 {
		t.Errorf("files = %v", first.Files)
	}
	manifests := func() map[string][]byte {
		m := map[string][]byte{}
		for _, f := range first.Files {
			if strings.HasSuffix(f, ".m3u8") || strings.HasSuffix(f, ".mpd") {
				m[f] = must(os.ReadFile(filepath.Join(out, f)))
			}
		}
		return m
	}
	before := manifests()
	second, err := tr.Transcode(t.Context(), in, out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first.Files, second.Files) || first.Loudness != second.Loudness || first.Duration != second.Duration {
		t.Errorf("re-run differs: %+v vs %+v", first, second)
	}
	// Nothing run-dependent (dates, paths) is in the manifests.
	for name, b := range manifests() {
		if !bytes.Equal(b, before[name]) {
			t.Errorf("%s differs between runs:\n%s\n---\n%s", name, before[name], b)
		}
	}
	media := parseFile(t, filepath.Join(out, VariantPlaylist(0)), manifest.ParseMedia)
	if media.TargetDuration != 2*time.Second || len(media.Segments) != 3 {
		t.Errorf("2s segments: %+v", media)
	}
}

func TestCancelKillsFFmpeg(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	in := noisy(t, dir, "long-cancel-input.flac", 120)
	out := filepath.Join(dir, "out")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := New(Config{}).Transcode(ctx, in, out)
		errc <- err
	}()
	// Cancel once ffmpeg is working (on Linux, once it is seen running).
	if !waitFor(10*time.Second, func() bool { return len(procsWith("ffmpeg", in)) > 0 }) && runtime.GOOS == "linux" {
		t.Fatal("ffmpeg never started")
	}
	time.Sleep(300 * time.Millisecond)
	pids := procsWith("ffmpeg", in)
	cancel()
	start := time.Now()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("Transcode returned %v after cancel", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Transcode did not return after cancel")
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("ffmpeg %d still running", pid)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != filepath.Base(in) {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestMachineErrorsAreNotInputErrors(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	in := noisy(t, dir, "in.flac", 2)
	for name, cfg := range map[string]Config{
		"no ffmpeg":  {FFmpeg: filepath.Join(dir, "no-such-ffmpeg")},
		"no ffprobe": {FFprobe: filepath.Join(dir, "no-such-ffprobe")},
	} {
		_, err := New(cfg).Transcode(t.Context(), in, filepath.Join(dir, "out"))
		var ie *InputError
		if err == nil || errors.As(err, &ie) {
			t.Errorf("%s: err = %v, want a plain error", name, err)
		}
	}
	if _, err := New(Config{}).Transcode(t.Context(), filepath.Join(dir, "missing.flac"), filepath.Join(dir, "out")); err == nil || errors.As(err, new(*InputError)) {
		t.Errorf("missing input: err = %v, want a plain error", err)
	}
}
