// Package transcode turns one uploaded audio file into Backbeat's adaptive
// streaming ladder by running ffmpeg and ffprobe (ffmpeg 5.1 as Debian ships
// it).
//
// One ffmpeg run decodes the input once and writes, into one directory:
//
//	master.m3u8            HLS master playlist (one variant per ladder rung)
//	media_<n>.m3u8         HLS media playlist of rung n (VOD, ENDLIST)
//	manifest.mpd           DASH manifest over the same segments
//	init-<n>.m4s           fMP4 initialization segment of rung n
//	seg-<n>-<NNNNN>.m4s    fMP4 media segments of rung n, numbered from 1
//	progressive.m4a        one plain AAC file for simple clients
//
// Every rung is stereo 44.1 kHz AAC-LC; n counts rungs from the lowest bit
// rate. The same run measures EBU R128 loudness. Inputs that cannot make a
// track (not audio, corrupt, too long, too large, silent) fail with an
// *InputError. A cheap decode pass before the ladder run (no encoding)
// refuses silent and overlong audio without encoding anything.
package transcode

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backbeat/backbeat/server/domain"
)

// Names of the files Transcode writes.
const (
	MasterPlaylist = "master.m3u8"
	DASHManifest   = "manifest.mpd"
	Progressive    = "progressive.m4a"
)

// VariantPlaylist is the name of rung n's HLS media playlist.
func VariantPlaylist(n int) string { return "media_" + strconv.Itoa(n) + ".m3u8" }

// Defaults for Config's zero values.
const (
	DefaultMaxDuration     = 30 * time.Minute
	DefaultMaxBytes        = 1 << 30
	DefaultSegmentDuration = 4 * time.Second
	DefaultProgressiveKbps = 160
)

// DefaultLadder is the AAC bit rates (kbps) used when Config.Ladder is empty.
func DefaultLadder() []int { return []int{96, 160, 320} }

// DefaultInputFormats is the demuxers ffmpeg may use on uploads when
// Config.InputFormats is empty: audio containers only. Keeping ffmpeg off
// playlist-like demuxers (hls, concat, image sequences, ...) is what stops
// an uploaded "song" from making it read other files or URLs.
func DefaultInputFormats() []string {
	return []string{
		"aac", "ac3", "aiff", "amr", "amrnb", "amrwb", "ape", "asf", "au", "caf",
		"dsf", "dts", "dtshd", "eac3", "flac", "loas", "matroska", "mlp", "mov",
		"mp3", "mpc", "mpc8", "ogg", "shn", "tak", "truehd", "tta", "w64", "wav",
		"wv", "xwma",
	}
}

// Config configures a Transcoder. Zero values take the defaults.
type Config struct {
	// FFmpeg and FFprobe are the binaries to run, looked up in PATH when
	// not absolute ("ffmpeg", "ffprobe").
	FFmpeg, FFprobe string
	// MaxDuration refuses longer inputs (30m).
	MaxDuration time.Duration
	// MaxBytes refuses larger input files (1 GiB).
	MaxBytes int64
	// SegmentDuration is the target length of HLS/DASH segments (4s).
	SegmentDuration time.Duration
	// Ladder lists the AAC bit rates in kbps, one rung each (96, 160, 320).
	// Rungs are numbered from the lowest.
	Ladder []int
	// ProgressiveKbps is the bit rate of progressive.m4a (160).
	ProgressiveKbps int
	// InputFormats lists the ffmpeg demuxers allowed to read inputs
	// (DefaultInputFormats).
	InputFormats []string
	// PrecheckTimeout bounds the decode pass that runs before the ladder
	// (2m); past it the ladder run judges the file alone.
	PrecheckTimeout time.Duration
	Logger          *slog.Logger
}

// Transcoder runs transcodes. It is safe for concurrent use; concurrent
// transcodes must use distinct output directories.
type Transcoder struct {
	cfg Config
	log *slog.Logger
	err error // invalid configuration, returned by every call
	// legacy runs the ladder the old way (legacyArgs): the benchmark's
	// baseline.
	legacy bool
}

// New returns a Transcoder. An invalid Config (negative limits, bit rates
// out of AAC's range) makes every call fail with an error saying why.
func New(cfg Config) *Transcoder {
	if cfg.FFmpeg == "" {
		cfg.FFmpeg = "ffmpeg"
	}
	if cfg.FFprobe == "" {
		cfg.FFprobe = "ffprobe"
	}
	if cfg.MaxDuration == 0 {
		cfg.MaxDuration = DefaultMaxDuration
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.SegmentDuration == 0 {
		cfg.SegmentDuration = DefaultSegmentDuration
	}
	if cfg.ProgressiveKbps == 0 {
		cfg.ProgressiveKbps = DefaultProgressiveKbps
	}
	if len(cfg.Ladder) == 0 {
		cfg.Ladder = DefaultLadder()
	} else {
		cfg.Ladder = slices.Clone(cfg.Ladder)
		slices.Sort(cfg.Ladder)
	}
	if len(cfg.InputFormats) == 0 {
		cfg.InputFormats = DefaultInputFormats()
	}
	if cfg.PrecheckTimeout == 0 {
		cfg.PrecheckTimeout = DefaultPrecheckTimeout
	}
	t := &Transcoder{cfg: cfg, log: cfg.Logger}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.err = cfg.validate()
	return t
}

func (c *Config) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("transcode: invalid config: "+format, args...)
	}
	switch {
	case c.MaxDuration < 0:
		return bad("negative MaxDuration")
	case c.MaxBytes < 0:
		return bad("negative MaxBytes")
	case c.PrecheckTimeout < 0:
		return bad("negative PrecheckTimeout")
	case c.SegmentDuration < 100*time.Millisecond:
		return bad("SegmentDuration %v is below 100ms", c.SegmentDuration)
	}
	// AAC-LC stereo at 44.1 kHz tops out near 529 kbps.
	for _, kbps := range append([]int{c.ProgressiveKbps}, c.Ladder...) {
		if kbps < 8 || kbps > 512 {
			return bad("AAC bit rate %d kbps outside 8..512", kbps)
		}
	}
	for i := 1; i < len(c.Ladder); i++ {
		if c.Ladder[i] == c.Ladder[i-1] {
			return bad("ladder repeats %d kbps", c.Ladder[i])
		}
	}
	for _, f := range c.InputFormats {
		if f == "" || strings.ContainsAny(f, ", ") {
			return bad("bad input format %q", f)
		}
	}
	return nil
}

// Result describes a finished transcode.
type Result struct {
	Probe Probe
	// Duration is the length of the transcoded audio (what was decoded,
	// not what the container claimed).
	Duration time.Duration
	Loudness domain.Loudness
	// Files names every file written, relative to outDir: segments first,
	// then progressive.m4a, the media playlists, manifest.mpd and
	// master.m3u8 last, so copying them in order publishes each manifest
	// only after what it references.
	Files []string
	Took  time.Duration
}

// Transcode turns inputPath into the streaming ladder in outDir (see the
// package doc for the layout).
//
// outDir is replaced as a whole: Transcode removes it first, works in a
// sibling directory (".<name>.partial") and renames that into place once
// every file is written and synced. outDir therefore exists only when it is
// complete, and re-running after a crash (of ffmpeg or of this process) is
// safe. Cancelling ctx kills ffmpeg.
func (t *Transcoder) Transcode(ctx context.Context, inputPath, outDir string) (res Result, err error) {
	start := time.Now()
	if t.err != nil {
		return res, t.err
	}
	in, err := filepath.Abs(inputPath)
	if err != nil {
		return res, fmt.Errorf("transcode: %w", err)
	}
	out, err := filepath.Abs(outDir)
	if err != nil {
		return res, fmt.Errorf("transcode: %w", err)
	}
	log := t.log.With("input", in, "out", out)

	fi, err := os.Stat(in)
	if err != nil {
		return res, fmt.Errorf("transcode: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return res, fmt.Errorf("transcode: %s is not a regular file", in)
	}

	// Clear what an earlier (possibly crashed) run left behind.
	parent, name := filepath.Dir(out), filepath.Base(out)
	work := filepath.Join(parent, "."+name+".partial")
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return res, fmt.Errorf("transcode: %w", err)
	}
	if err := os.RemoveAll(out); err != nil {
		return res, fmt.Errorf("transcode: clear output: %w", err)
	}
	if err := os.RemoveAll(work); err != nil {
		return res, fmt.Errorf("transcode: clear output: %w", err)
	}

	switch {
	case fi.Size() == 0:
		return res, &InputError{Reason: ReasonEmpty}
	case fi.Size() > t.cfg.MaxBytes:
		return res, inputError("file is %s; the limit is %s", formatBytes(fi.Size()), formatBytes(t.cfg.MaxBytes))
	}

	res.Probe, err = t.probe(ctx, in)
	if err != nil {
		return res, err
	}
	p := res.Probe
	// A stated duration of zero is left to the decode check below: some
	// muxers (fragmented MP4, streamed WAV) state 0 for audio that plays.
	if p.Duration.Round(time.Second) > t.cfg.MaxDuration {
		return res, t.tooLong(p.Duration)
	}
	// One cheap decode pass before the expensive one: silent, overlong or
	// hollow files (a few hundred KB claiming half an hour) stop here.
	if err := t.precheck(ctx, parent, in, p, fi.Size()); err != nil {
		return res, err
	}

	if err := os.Mkdir(work, 0o755); err != nil {
		return res, fmt.Errorf("transcode: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(work)
		}
	}()

	log.Debug("transcode starting", "codec", p.Codec, "duration", p.Duration, "ladder", t.cfg.Ladder)
	var (
		stderr string
		runErr error
	)
	if t.legacy {
		buf := newTailBuffer(128 << 10)
		runErr = run(ctx, work, nil, buf, t.cfg.FFmpeg, t.legacyArgs(in)...)
		stderr = buf.String()
	} else {
		stderr, runErr = t.runLadder(ctx, work, in)
	}
	if runErr != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("transcode: %w", runErr)
		}
		var exitErr *exec.ExitError
		if errors.As(runErr, &exitErr) && exitErr.Exited() && inputFault(stderr) {
			log.Info("ffmpeg could not decode the input", "stderr", lastLines(stderr, 10))
			return res, &InputError{Reason: ReasonCorrupt}
		}
		return res, fmt.Errorf("transcode: ffmpeg: %w: %s", runErr, lastLines(stderr, 10))
	}

	loud, lerr := parseLoudness(stderr)
	lay, ferr := t.finish(work)
	switch {
	case ferr != nil && errors.Is(ferr, errNoOutput):
		log.Info("ffmpeg decoded no audio", "stderr", lastLines(stderr, 10))
		if inputFault(stderr) {
			return res, &InputError{Reason: ReasonCorrupt}
		}
		return res, &InputError{Reason: ReasonNoAudio}
	case ferr != nil:
		return res, fmt.Errorf("transcode: %w (ffmpeg: %s)", ferr, lastLines(stderr, 10))
	case lerr != nil:
		return res, fmt.Errorf("transcode: %w", lerr)
	}
	res.Duration, res.Loudness = lay.duration, loud
	if err := t.checkDecoded(p, res.Duration, loud); err != nil {
		return res, err
	}

	if err := syncDir(work, lay.files); err != nil {
		return res, fmt.Errorf("transcode: sync output: %w", err)
	}
	if err := os.Rename(work, out); err != nil {
		return res, fmt.Errorf("transcode: publish output: %w", err)
	}
	if err := syncDir(parent, nil); err != nil {
		return res, fmt.Errorf("transcode: sync output: %w", err)
	}
	res.Files = lay.files
	res.Took = time.Since(start)
	log.Debug("transcode done", "duration", res.Duration, "took", res.Took, "lufs", loud.IntegratedLUFS, "files", len(res.Files))
	return res, nil
}

func (t *Transcoder) tooLong(d time.Duration) *InputError {
	return inputError("audio is %s long; the limit is %s", formatDuration(d), formatDuration(t.cfg.MaxDuration))
}

// checkLength judges the length of what ffmpeg decoded against what the
// container stated and the limit.
func (t *Transcoder) checkLength(p Probe, got time.Duration) error {
	switch {
	case got <= 0:
		return &InputError{Reason: ReasonNoAudio}
	case p.Duration > 0 && !p.durationEstimated && got < p.Duration-max(time.Second, p.Duration/10):
		// A cut-off upload: the container promised more than decodes.
		return inputError("audio is truncated or corrupt: only %s of %s could be decoded", formatDuration(got), formatDuration(p.Duration))
	case got.Round(time.Second) > t.cfg.MaxDuration:
		// The container understated it, or did not say (ffmpeg stops
		// reading a little past the limit).
		return inputError("audio is longer than %s, the limit", formatDuration(t.cfg.MaxDuration))
	}
	return nil
}

// checkDecoded judges what ffmpeg actually decoded.
func (t *Transcoder) checkDecoded(p Probe, got time.Duration, loud domain.Loudness) error {
	if err := t.checkLength(p, got); err != nil {
		return err
	}
	switch {
	case loud.IntegratedLUFS <= absoluteGateLUFS && got < 400*time.Millisecond:
		// EBU R128 cannot measure less than one 400ms block.
		return inputError("audio is only %s long", formatDuration(got))
	case loud.IntegratedLUFS <= absoluteGateLUFS:
		return &InputError{Reason: ReasonSilent}
	}
	return nil
}

func (t *Transcoder) inputOptions() []string {
	return []string{
		"-format_whitelist", strings.Join(t.cfg.InputFormats, ","),
		"-protocol_whitelist", "file",
	}
}

func kbps(n int) string { return strconv.Itoa(n) + "k" }

// legacyArgs builds the ladder run as it was before runLadder (kept as the
// benchmark's baseline): one process decodes once, resamples to stereo
// 44.1 kHz and splits into the ladder (dash muxer, which also writes the
// HLS playlists), the progressive file and the loudness meter, every
// encoder on one thread with the default AAC coder.
func (t *Transcoder) legacyArgs(in string) []string {
	n := len(t.cfg.Ladder)
	var fc strings.Builder
	fc.WriteString("[0:a:0]aresample=44100,aformat=sample_rates=44100:channel_layouts=stereo,")
	fmt.Fprintf(&fc, "asplit=%d", n+2)
	for i := range n {
		fmt.Fprintf(&fc, "[a%d]", i)
	}
	// framelog=verbose keeps ebur128's per-frame lines out of an info log;
	// the summary still prints at info.
	fc.WriteString("[prog][loud];[loud]ebur128=peak=true:framelog=verbose[meter]")

	args := []string{"-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-y"}
	args = append(args, t.inputOptions()...)
	// Read a little past the limit, so an input whose container understates
	// its length cannot keep ffmpeg busy for long.
	args = append(args, "-t", seconds(t.cfg.MaxDuration+2*time.Second), "-i", "file:"+in,
		"-filter_complex", fc.String())

	// Output 1: the ladder, as DASH plus HLS over the same fMP4 segments.
	for i := range n {
		args = append(args, "-map", fmt.Sprintf("[a%d]", i))
	}
	args = append(args, "-c:a", "aac", "-profile:a", "aac_low")
	for i, r := range t.cfg.Ladder {
		args = append(args, fmt.Sprintf("-b:a:%d", i), kbps(r))
	}
	args = append(args, "-map_metadata", "-1", "-map_chapters", "-1")
	args = append(args, t.dashOptions()...)

	// Output 2: progressive AAC with the index up front.
	args = append(args, "-map", "[prog]", "-c:a", "aac", "-profile:a", "aac_low", "-b:a", kbps(t.cfg.ProgressiveKbps),
		"-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart", "-f", "ipod", Progressive)

	// Output 3: nothing; the meter prints its summary when the graph closes.
	args = append(args, "-map", "[meter]", "-f", "null", "-")
	return args
}

// dashOptions is the output writing the ladder as DASH plus HLS over the
// same fMP4 segments.
func (t *Transcoder) dashOptions() []string {
	return []string{
		"-f", "dash",
		"-dash_segment_type", "mp4",
		"-seg_duration", seconds(t.cfg.SegmentDuration),
		"-use_template", "1", "-use_timeline", "1",
		"-hls_playlist", "1", "-hls_master_name", MasterPlaylist,
		"-adaptation_sets", "id=0,streams=a",
		"-init_seg_name", "init-$RepresentationID$.m4s",
		"-media_seg_name", "seg-$RepresentationID$-$Number%05d$.m4s",
		DASHManifest,
	}
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// inputFault reports whether a failed ffmpeg run's log blames the input
// rather than the machine.
func inputFault(log string) bool {
	for _, machine := range []string{"No space left on device", "Cannot allocate memory", "Permission denied", "Too many open files", "Read-only file system"} {
		if strings.Contains(log, machine) {
			return false
		}
	}
	for _, input := range []string{
		"Invalid data found when processing input",
		"Error while decoding stream",
		"Decoder (codec", "could not find codec parameters",
		"Error rate exceeded", "decoding errors",
		"Output file is empty",
		"Error reinitializing filters", "Failed to inject frame into filter network",
	} {
		if strings.Contains(log, input) {
			return true
		}
	}
	return false
}

// syncDir fsyncs the named files in dir, then dir itself.
func syncDir(dir string, files []string) error {
	for _, f := range files {
		if err := syncPath(filepath.Join(dir, f)); err != nil {
			return err
		}
	}
	return syncPath(dir)
}

func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
