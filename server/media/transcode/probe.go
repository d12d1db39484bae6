package transcode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Probe describes an input file's first audio stream, as ffprobe reads it.
type Probe struct {
	// Duration is the audio stream's stated (or, for some formats,
	// estimated) duration, else the container's; 0 when unknown.
	Duration time.Duration
	// Format is the demuxer's name ("flac", "mp3", "mov,mp4,m4a,3gp,3g2,mj2").
	Format     string
	Codec      string
	SampleRate int
	Channels   int
	// BitRate is the stream's bit rate in bits per second, or the
	// container's when the stream does not state one; 0 when unknown.
	BitRate int64
	// Title and Artist are the file's tags, if any.
	Title, Artist string

	// durationEstimated: ffprobe guessed Duration from the bit rate (MP3
	// without a Xing header, ADTS AAC), so it may be far off.
	durationEstimated bool
}

type ffprobeOutput struct {
	Streams []struct {
		Index       int               `json:"index"`
		CodecType   string            `json:"codec_type"`
		CodecName   string            `json:"codec_name"`
		SampleRate  string            `json:"sample_rate"`
		Channels    int               `json:"channels"`
		BitRate     string            `json:"bit_rate"`
		Duration    string            `json:"duration"`
		Disposition map[string]int    `json:"disposition"`
		Tags        map[string]string `json:"tags"`
	} `json:"streams"`
	Format struct {
		FormatName string            `json:"format_name"`
		Duration   string            `json:"duration"`
		BitRate    string            `json:"bit_rate"`
		Tags       map[string]string `json:"tags"`
	} `json:"format"`
}

// Probe reads inputPath's container and first audio stream. Input that is
// not audio, or that ffprobe cannot read, yields an *InputError.
func (t *Transcoder) Probe(ctx context.Context, inputPath string) (Probe, error) {
	if t.err != nil {
		return Probe{}, t.err
	}
	abs, err := filepath.Abs(inputPath)
	if err != nil {
		return Probe{}, fmt.Errorf("transcode: %w", err)
	}
	return t.probe(ctx, abs)
}

func (t *Transcoder) probe(ctx context.Context, abs string) (Probe, error) {
	sniffed, err := sniff(abs)
	if err != nil {
		return Probe{}, fmt.Errorf("transcode: %w", err)
	}
	args := append([]string{"-hide_banner", "-v", "warning", "-of", "json", "-show_format", "-show_streams"},
		t.inputOptions()...)
	args = append(args, "file:"+abs)
	stdout := &limitedBuffer{max: 16 << 20}
	stderr := newTailBuffer(16 << 10)
	err = run(ctx, filepath.Dir(abs), stdout, stderr, t.cfg.FFprobe, args...)
	if err != nil && ctx.Err() != nil {
		return Probe{}, fmt.Errorf("transcode: probe: %w", err)
	}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr) && exitErr.Exited():
		// ffprobe ran and could not read the file.
		t.log.Debug("ffprobe refused input", "path", abs, "sniffed", sniffed, "stderr", lastLines(stderr.String(), 5))
		if !mediaType(sniffed) || strings.Contains(stderr.String(), "_pipe @") {
			// A document, an image (the image demuxers are *_pipe), ...
			return Probe{}, &InputError{Reason: ReasonNotAudio}
		}
		return Probe{}, &InputError{Reason: ReasonCorrupt}
	case err != nil:
		return Probe{}, fmt.Errorf("transcode: ffprobe: %w: %s", err, lastLines(stderr.String(), 5))
	}
	var out ffprobeOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return Probe{}, fmt.Errorf("transcode: ffprobe output: %w", err)
	}
	p := Probe{
		Format:            out.Format.FormatName,
		durationEstimated: strings.Contains(stderr.String(), "Estimating duration from bitrate"),
	}
	found := false
	for _, s := range out.Streams {
		if s.CodecType != "audio" {
			continue // video, cover art, subtitles, data
		}
		found = true
		p.Codec = s.CodecName
		p.SampleRate, _ = strconv.Atoi(s.SampleRate)
		p.Channels = s.Channels
		p.BitRate, _ = strconv.ParseInt(s.BitRate, 10, 64)
		if p.BitRate <= 0 {
			p.BitRate, _ = strconv.ParseInt(out.Format.BitRate, 10, 64)
		}
		// The audio's own duration: a video's may be longer.
		p.Duration = parseSeconds(s.Duration)
		if p.Duration == 0 {
			p.Duration = parseSeconds(out.Format.Duration)
		}
		p.Title = tag("title", out.Format.Tags, s.Tags)
		// AIFF has an author, not an artist.
		for _, k := range []string{"artist", "album_artist", "author"} {
			if p.Artist == "" {
				p.Artist = tag(k, out.Format.Tags, s.Tags)
			}
		}
		break
	}
	if !found {
		return p, &InputError{Reason: ReasonNotAudio}
	}
	if p.Codec == "" || p.Codec == "none" || p.SampleRate <= 0 || p.Channels <= 0 {
		return p, &InputError{Reason: ReasonCorrupt}
	}
	return p, nil
}

// tag finds key case-insensitively in the first map holding it (ID3 and
// MP4 tags are lower case, Vorbis comments upper case; Ogg keeps them on
// the stream).
func tag(key string, maps ...map[string]string) string {
	for _, m := range maps {
		for k, v := range m {
			if strings.EqualFold(k, key) && strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v)
			}
		}
	}
	return ""
}

// parseSeconds reads ffprobe's decimal seconds; 0 for absent or odd values.
func parseSeconds(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) || f > 1e9 {
		return 0
	}
	return time.Duration(math.Round(f * float64(time.Second)))
}

// sniff returns the content type net/http sees in the file's first bytes.
func sniff(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := make([]byte, 512)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", err
	}
	return http.DetectContentType(buf[:n]), nil
}

// mediaType reports whether a sniffed content type could be audio: audio,
// video and Ogg containers, and anything unrecognised (FLAC, AAC, most
// corrupt files). Text, images, fonts and archives cannot.
func mediaType(ct string) bool {
	return strings.HasPrefix(ct, "audio/") || strings.HasPrefix(ct, "video/") ||
		ct == "application/ogg" || ct == "application/octet-stream"
}
