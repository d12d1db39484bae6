package transcode

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// The ladder run. ffmpeg 5.1 runs every encoder of one process on one
// thread, so the old single process (decode once, asplit into four AAC
// encoders and the loudness meter) used one core of two, and spent most
// of it in the "twoloop" AAC coder. Instead:
//
//   - one ffmpeg per distinct bit rate decodes the input (cheap: a FLAC or
//     MP3 decode is a few percent of an AAC encode) and encodes that one
//     rung, so the rungs encode in parallel on every core;
//   - the first of them also runs the EBU R128 meter on the same decode;
//   - each writes NUT into a pipe, and one packaging ffmpeg reads the pipes
//     and copies the packets (no re-encode) into the DASH/HLS segments and
//     into progressive.m4a, which is the ladder rung of the same bit rate
//     when there is one (a fourth encode of the same audio otherwise);
//   - the AAC encoder uses the "fast" coder: at these bit rates it meets
//     the rates as closely as "twoloop" (the ffprobe checks in the tests)
//     for a third to a sixth of the time.
//
// Everything streams: packaging runs while the encoders work, so the wall
// time is about that of the slowest encode.

// aacCoder is the native AAC encoder's quantization search (see above).
const aacCoder = "fast"

// runLadder encodes and packages in into dir and returns the log of every
// ffmpeg it ran (the meter's summary among them) and the first error that
// is not just another process stopping because of it.
func (t *Transcoder) runLadder(ctx context.Context, dir, in string) (log string, err error) {
	rates := slices.Clone(t.cfg.Ladder)
	prog := slices.Index(rates, t.cfg.ProgressiveKbps)
	if prog < 0 {
		rates = append(rates, t.cfg.ProgressiveKbps)
		prog = len(rates) - 1
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var (
		readers []*os.File
		wg      sync.WaitGroup
		logs    = make([]*tailBuffer, len(rates)+1)
		errs    = make([]error, len(rates)+1)
	)
	defer func() {
		for _, r := range readers {
			r.Close()
		}
	}()
	for i, kbps := range rates {
		pr, pw, perr := os.Pipe()
		if perr != nil {
			cancel(perr)
			wg.Wait()
			return "", perr
		}
		readers = append(readers, pr)
		logs[i] = newTailBuffer(128 << 10)
		args := t.encodeArgs(in, kbps, i == 0)
		wg.Go(func() {
			defer pw.Close()
			if err := run(ctx, dir, pw, logs[i], t.cfg.FFmpeg, args...); err != nil {
				errs[i] = err
				cancel(err)
			}
		})
	}
	n := len(rates)
	logs[n] = newTailBuffer(64 << 10)
	errs[n] = runFiles(ctx, dir, nil, logs[n], readers, t.cfg.FFmpeg, t.packageArgs(n, prog)...)
	// An encoder still writing must see the pipe close rather than block.
	for _, r := range readers {
		r.Close()
	}
	readers = nil
	if errs[n] != nil {
		cancel(errs[n])
	}
	wg.Wait()

	var b strings.Builder
	for _, l := range logs {
		b.WriteString(l.String())
	}
	// The process that failed first caused the others to stop: its error
	// is the one to report.
	for _, e := range errs {
		if e != nil && !errors.Is(e, context.Canceled) {
			return b.String(), e
		}
	}
	for _, e := range errs {
		if e != nil {
			return b.String(), e
		}
	}
	return b.String(), nil
}

// encodeArgs decodes in, resamples to stereo 44.1 kHz and encodes one AAC
// rung as NUT to stdout; meter adds the loudness meter on the same decode.
func (t *Transcoder) encodeArgs(in string, rate int, meter bool) []string {
	fc := "[0:a:0]aresample=44100,aformat=sample_rates=44100:channel_layouts=stereo"
	if meter {
		// framelog=verbose keeps ebur128's per-frame lines out of an info
		// log; the summary still prints at info.
		fc += ",asplit=2[a][loud];[loud]ebur128=peak=true:framelog=verbose[meter]"
	} else {
		fc += "[a]"
	}
	args := []string{"-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-y"}
	args = append(args, t.inputOptions()...)
	// Read a little past the limit, so an input whose container understates
	// its length cannot keep ffmpeg busy for long.
	args = append(args, "-t", seconds(t.cfg.MaxDuration+2*time.Second), "-i", "file:"+in,
		"-filter_complex", fc,
		"-map", "[a]", "-c:a", "aac", "-profile:a", "aac_low", "-aac_coder", aacCoder, "-b:a", kbps(rate),
		// NUT carries the AAC config only as a global header.
		"-flags", "+global_header",
		"-map_metadata", "-1", "-map_chapters", "-1", "-f", "nut", "pipe:1")
	if meter {
		// Nothing; the meter prints its summary when the graph closes.
		args = append(args, "-map", "[meter]", "-f", "null", "-")
	}
	return args
}

// packageArgs reads n encoded rungs from fds 3.. and copies the first
// len(Ladder) into the DASH/HLS set and rung prog into progressive.m4a.
func (t *Transcoder) packageArgs(n, prog int) []string {
	args := []string{"-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-y"}
	for i := range n {
		args = append(args, "-thread_queue_size", "4096", "-f", "nut", "-i", fmt.Sprintf("pipe:%d", 3+i))
	}
	for i := range t.cfg.Ladder {
		args = append(args, "-map", fmt.Sprintf("%d:a", i))
	}
	// NUT's codec tag is no MP4 one: name mp4a.
	args = append(args, "-c", "copy", "-tag:a", "mp4a")
	// With stream copy the rates only label the representations.
	for i, r := range t.cfg.Ladder {
		args = append(args, fmt.Sprintf("-b:a:%d", i), kbps(r))
	}
	args = append(args, "-map_metadata", "-1", "-map_chapters", "-1")
	args = append(args, t.dashOptions()...)
	args = append(args, "-map", fmt.Sprintf("%d:a", prog), "-c", "copy", "-tag:a", "mp4a",
		"-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart", "-f", "ipod", Progressive)
	return args
}
