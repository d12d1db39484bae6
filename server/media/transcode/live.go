package transcode

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"
)

// LiveContentType is what Live writes: MP3, which every browser and the
// SDK players decode, streamed without an index.
const LiveContentType = "audio/mpeg"

// LiveKbps is Live's bit rate: transparent for MP3, and a stream that two
// cores encode dozens of at once.
const LiveKbps = 192

// Live decodes inputPath and writes it to w as MP3 as it is encoded, for
// playing an upload whose ladder is not ready yet. ffmpeg runs as fast as w
// takes the bytes (a slow listener slows it down through the pipe), and
// cancelling ctx kills it. Errors after the first bytes were written can
// only cut the stream short.
func (t *Transcoder) Live(ctx context.Context, inputPath string, w io.Writer) error {
	if t.err != nil {
		return t.err
	}
	in, err := filepath.Abs(inputPath)
	if err != nil {
		return fmt.Errorf("transcode: %w", err)
	}
	args := []string{"-hide_banner", "-nostdin", "-nostats", "-loglevel", "error"}
	args = append(args, t.inputOptions()...)
	args = append(args, "-t", seconds(t.cfg.MaxDuration+2*time.Second), "-i", "file:"+in,
		"-map", "0:a:0", "-ac", "2", "-ar", "44100",
		"-c:a", "libmp3lame", "-b:a", kbps(LiveKbps),
		"-map_metadata", "-1", "-map_chapters", "-1",
		// Hand each frame on at once: the listener waits for the first.
		"-flush_packets", "1", "-f", "mp3", "pipe:1")
	stderr := newTailBuffer(8 << 10)
	if err := run(ctx, filepath.Dir(in), w, stderr, t.cfg.FFmpeg, args...); err != nil {
		return fmt.Errorf("transcode: live: %w: %s", err, lastLines(stderr.String(), 5))
	}
	return nil
}
