package transcode

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// silencePeakDB is the sample peak (dBFS, any channel) at or below which
// the pre-check calls audio silent. It sits well under what can reach EBU
// R128's absolute gate of -70 LUFS (checkDecoded's test) even after
// K-weighting and summing channels, so the pre-check refuses nothing the
// ladder run would have accepted; quieter than this is digital silence or
// dither.
const silencePeakDB = -80.0

// DefaultPrecheckTimeout bounds the pre-check's decode pass (see Config).
const DefaultPrecheckTimeout = 2 * time.Minute

var (
	reOverall   = regexp.MustCompile(`\] Overall\s*$`)
	reStatsPeak = regexp.MustCompile(`\] Peak level dB:\s+(\S+)\s*$`)
	reSamples   = regexp.MustCompile(`\] Number of samples:\s+(\d+)\s*$`)
)

// decodeStats is what the pre-check's decode pass measured.
type decodeStats struct {
	decoded time.Duration // audio that decodes (at most the limit + 2s)
	peakDB  float64       // sample peak over every channel; -Inf for zeros
}

// precheck decodes the input's first audio stream once, cheaply (no
// encoding, one thread, at most MaxDuration+2s of audio,
// within PrecheckTimeout), and refuses what the expensive ladder run would
// refuse anyway: audio longer than the limit whatever the headers say,
// audio that is silent, files that decode to nothing or to far less than
// they claim. A tiny file claiming half an hour of silence is refused here
// after a decode pass instead of after encoding every rung.
//
// It returns nil when the input may go on to the ladder, including when
// the pass itself ran out of time or its summary is missing: the ladder run
// judges the file as before.
func (t *Transcoder) precheck(ctx context.Context, dir, in string, p Probe, size int64) error {
	log := t.log.With("input", in)
	pctx, cancel := context.WithTimeout(ctx, t.cfg.PrecheckTimeout)
	defer cancel()
	start := time.Now()
	stderr := newTailBuffer(64 << 10)
	runErr := run(pctx, dir, nil, stderr, t.cfg.FFmpeg, t.precheckArgs(in, p.SampleRate)...)
	took := time.Since(start)
	switch {
	case runErr != nil && ctx.Err() != nil:
		return fmt.Errorf("transcode: pre-check: %w", runErr)
	case runErr != nil && pctx.Err() != nil:
		log.Warn("transcode pre-check ran out of time; the ladder run will judge the file", "took", took)
		return nil
	case runErr != nil:
		var exitErr *exec.ExitError
		if errors.As(runErr, &exitErr) && exitErr.Exited() && inputFault(stderr.String()) {
			log.Info("ffmpeg could not decode the input", "stderr", lastLines(stderr.String(), 10))
			return &InputError{Reason: ReasonCorrupt}
		}
		return fmt.Errorf("transcode: pre-check: ffmpeg: %w: %s", runErr, lastLines(stderr.String(), 10))
	}
	st, ok := parseDecodeStats(stderr.String(), p.SampleRate)
	if !ok {
		log.Warn("transcode pre-check printed no summary; the ladder run will judge the file", "stderr", lastLines(stderr.String(), 5))
		return nil
	}
	var kbps float64
	if p.Duration > 0 {
		kbps = float64(size) * 8 / p.Duration.Seconds() / 1000
	}
	log.Debug("transcode pre-check", "took", took, "decoded", st.decoded, "peak_db", st.peakDB,
		"stated", p.Duration, "stated_kbps", strconv.FormatFloat(kbps, 'f', 2, 64))
	return t.judge(p, st)
}

// precheckArgs builds the pre-check's ffmpeg run: the first audio stream,
// decoded into astats (sample peak and count over all channels) and
// discarded. Nothing is downmixed, and nothing resampled but a decoder whose
// rate is not the probed one (HE-AAC, a rate change mid-stream), so that
// the count is in the probed rate's samples: a sum could cancel
// out-of-phase channels and a low rate would drop treble, either making
// real audio look silent.
func (t *Transcoder) precheckArgs(in string, rate int) []string {
	args := []string{"-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-threads", "1"}
	args = append(args, t.inputOptions()...)
	args = append(args, "-t", seconds(t.cfg.MaxDuration+2*time.Second), "-i", "file:"+in,
		"-map", "0:a:0",
		"-af", fmt.Sprintf("aformat=sample_rates=%d,astats=metadata=0:measure_perchannel=none:measure_overall=Peak_level+Number_of_samples", rate),
		"-f", "null", "-")
	return args
}

// parseDecodeStats reads astats' overall summary:
//
//	[Parsed_astats_0 @ 0x...] Overall
//	[Parsed_astats_0 @ 0x...] Peak level dB: -91.700544
//	[Parsed_astats_0 @ 0x...] Number of samples: 83520000
//
// The count is per channel, at rate (the probed one: see precheckArgs).
func parseDecodeStats(log string, rate int) (decodeStats, bool) {
	lines := strings.Split(log, "\n")
	at := -1
	for i, l := range lines {
		if reOverall.MatchString(l) {
			at = i
		}
	}
	if at < 0 || rate <= 0 {
		return decodeStats{}, false
	}
	var st decodeStats
	gotPeak, gotSamples := false, false
	for _, l := range lines[at+1:] {
		if m := reStatsPeak.FindStringSubmatch(l); m != nil {
			v, err := strconv.ParseFloat(m[1], 64) // also "-inf", "nan"
			if err != nil {
				return st, false
			}
			st.peakDB, gotPeak = v, true
		}
		if m := reSamples.FindStringSubmatch(l); m != nil {
			n, err := strconv.ParseInt(m[1], 10, 64)
			if err != nil {
				return st, false
			}
			st.decoded = time.Duration(float64(n) / float64(rate) * float64(time.Second))
			gotSamples = true
		}
	}
	if math.IsNaN(st.peakDB) { // no samples
		st.peakDB = math.Inf(-1)
	}
	return st, gotPeak && gotSamples
}

// judge refuses, from the pre-check's figures, what cannot make a track.
// Very short audio is left to the ladder run, whose loudness meter says
// how short.
func (t *Transcoder) judge(p Probe, st decodeStats) error {
	if err := t.checkLength(p, st.decoded); err != nil {
		return err
	}
	if st.decoded >= 400*time.Millisecond && st.peakDB <= silencePeakDB {
		return inputError("%s: no sound above %g dBFS in %s", ReasonSilent, silencePeakDB, formatDuration(st.decoded))
	}
	return nil
}
