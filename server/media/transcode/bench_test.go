package transcode

import (
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkTranscode transcodes 60 s of audio to the full default ladder
// (96/160/320 kbps + progressive 160 kbps + loudness) and reports audio
// seconds per wall-clock second as x-realtime.
//
//	noise: independent white noise per channel over a tone; no rung can
//	       save bits, the AAC encoder's worst case.
//	music: a chord over quiet pink noise, closer to real material.
func BenchmarkTranscode(b *testing.B) {
	needFFmpeg(b)
	const secs = 60
	inputs := map[string]func(dir string) string{
		"noise": func(dir string) string { return noisy(b, dir, "noise.flac", secs) },
		"music": func(dir string) string {
			return gen(b, dir, "music.flac", "-filter_complex",
				"sine=f=220:d=60:r=44100[a];sine=f=277:d=60:r=44100[b];sine=f=330:d=60:r=44100[c];"+
					"anoisesrc=d=60:c=pink:a=0.05:r=44100[n];[a][b][c][n]amix=inputs=4,"+
					"aformat=channel_layouts=stereo,apulsator=hz=0.5")
		},
	}
	// "before" is the single-process run this package used until the
	// parallel ladder (legacyArgs), measured in the same run as the baseline.
	for _, name := range []string{"noise", "music"} {
		for _, path := range []string{"before", "after"} {
			b.Run(name+"/"+path, func(b *testing.B) {
				dir := b.TempDir()
				in := inputs[name](dir)
				tr := New(Config{})
				tr.legacy = path == "before"
				var audio time.Duration
				cpu0 := childCPU(b)
				for b.Loop() {
					res, err := tr.Transcode(b.Context(), in, filepath.Join(dir, "out"))
					if err != nil {
						b.Fatal(err)
					}
					audio += res.Duration
				}
				b.ReportMetric(audio.Seconds()/b.Elapsed().Seconds(), "x-realtime")
				// Audio per CPU-second of the ffmpegs: what the work costs,
				// whatever else the machine runs meanwhile.
				b.ReportMetric(audio.Seconds()/(childCPU(b)-cpu0).Seconds(), "x-realtime-per-cpu")
			})
		}
	}
}
