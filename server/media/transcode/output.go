package transcode

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backbeat/backbeat/server/media/manifest"
)

// errNoOutput: ffmpeg succeeded but wrote no audio (nothing decoded).
var errNoOutput = errors.New("ffmpeg wrote no audio")

// safeName is what a file of the set may be called: a plain name, never a
// path (players resolve it against the manifest's URL).
var safeName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]*$`)

type layout struct {
	duration time.Duration
	files    []string // in publishing order
}

// finish checks what ffmpeg wrote in dir against the ladder, makes the HLS
// playlists VOD ones, writes the master playlist and lists the files.
func (t *Transcoder) finish(dir string) (layout, error) {
	var lay layout
	raw, err := os.ReadFile(filepath.Join(dir, DASHManifest))
	if errors.Is(err, fs.ErrNotExist) {
		return lay, errNoOutput
	}
	if err != nil {
		return lay, err
	}
	mpd, err := manifest.ParseMPD(bytes.NewReader(raw))
	if err != nil {
		return lay, fmt.Errorf("ffmpeg's %s: %w", DASHManifest, err)
	}
	if mpd.Type != "static" {
		return lay, fmt.Errorf("%s is %q, not static", DASHManifest, mpd.Type)
	}
	reps := mpd.Representations()
	if len(reps) != len(t.cfg.Ladder) {
		return lay, fmt.Errorf("%s has %d representations, want %d", DASHManifest, len(reps), len(t.cfg.Ladder))
	}

	var (
		segments, inits, variants []string
		master                    strings.Builder
	)
	master.WriteString("#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	for n, rep := range reps {
		if rep.ID != strconv.Itoa(n) {
			return lay, fmt.Errorf("%s: representation %d has id %q", DASHManifest, n, rep.ID)
		}
		if st := rep.Template; st != nil && len(st.Timeline) == 0 && st.Duration == 0 {
			return lay, errNoOutput // the muxer never got a packet
		}
		segs, err := rep.Segments()
		if err != nil {
			return lay, fmt.Errorf("%s: %w", DASHManifest, err)
		}
		if len(segs) == 0 {
			return lay, errNoOutput
		}
		d, err := rep.TotalDuration()
		if err != nil {
			return lay, fmt.Errorf("%s: %w", DASHManifest, err)
		}
		if n == 0 {
			lay.duration = d
		} else if diff := (d - lay.duration).Abs(); diff > 50*time.Millisecond {
			return lay, fmt.Errorf("%s: representation %d lasts %v, representation 0 %v", DASHManifest, n, d, lay.duration)
		}
		init, err := rep.InitURL()
		if err != nil || init == "" {
			return lay, fmt.Errorf("%s: representation %d: no initialization segment (%v)", DASHManifest, n, err)
		}

		// The HLS media playlist must list the very same segments.
		name := VariantPlaylist(n)
		src, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return lay, err
		}
		fixed, err := vodPlaylist(src)
		if err != nil {
			return lay, fmt.Errorf("%s: %w", name, err)
		}
		media, err := manifest.ParseMedia(bytes.NewReader(fixed))
		if err != nil {
			return lay, fmt.Errorf("%s: %w", name, err)
		}
		if len(media.Segments) != len(segs) {
			return lay, fmt.Errorf("%s lists %d segments, %s %d", name, len(media.Segments), DASHManifest, len(segs))
		}
		if diff := (media.Duration() - d).Abs(); diff > 50*time.Millisecond {
			return lay, fmt.Errorf("%s lasts %v, %s %v", name, media.Duration(), DASHManifest, d)
		}
		var total, peak float64 // bytes, bits per second
		for i, s := range media.Segments {
			if s.URI != segs[i].URL || s.InitURI != init {
				return lay, fmt.Errorf("%s: segment %d is %s (init %s), %s says %s (init %s)", name, i, s.URI, s.InitURI, DASHManifest, segs[i].URL, init)
			}
			if !safeName.MatchString(s.URI) {
				return lay, fmt.Errorf("%s: odd segment name %q", name, s.URI)
			}
			fi, err := os.Stat(filepath.Join(dir, s.URI))
			if err != nil {
				return lay, fmt.Errorf("%s: %w", name, err)
			}
			total += float64(fi.Size())
			if s.Duration > 0 {
				peak = max(peak, float64(fi.Size())*8/s.Duration.Seconds())
			}
			segments = append(segments, s.URI)
		}
		if !safeName.MatchString(init) {
			return lay, fmt.Errorf("%s: odd init segment name %q", name, init)
		}
		if _, err := os.Stat(filepath.Join(dir, init)); err != nil {
			return lay, fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), fixed, 0o644); err != nil {
			return lay, err
		}
		inits = append(inits, init)
		variants = append(variants, name)
		codecs := rep.Codecs
		if codecs == "" {
			codecs = "mp4a.40.2"
		}
		avg := total * 8 / media.Duration().Seconds()
		// BANDWIDTH is the peak segment bit rate (RFC 8216 4.3.4.2), measured.
		fmt.Fprintf(&master, "#EXT-X-STREAM-INF:BANDWIDTH=%d,AVERAGE-BANDWIDTH=%d,CODECS=%q\n%s\n",
			int64(math.Ceil(peak)), int64(math.Ceil(avg)), codecs, name)
	}
	if fi, err := os.Stat(filepath.Join(dir, Progressive)); err != nil || fi.Size() == 0 {
		return lay, fmt.Errorf("%s missing or empty (%v)", Progressive, err)
	}
	if err := os.WriteFile(filepath.Join(dir, MasterPlaylist), []byte(master.String()), 0o644); err != nil {
		return lay, err
	}

	lay.files = slices.Concat(inits, segments, []string{Progressive}, variants, []string{DASHManifest, MasterPlaylist})
	// Anything else is debris (a muxer's *.tmp); it must not be published.
	entries, err := os.ReadDir(dir)
	if err != nil {
		return lay, err
	}
	for _, e := range entries {
		if !slices.Contains(lay.files, e.Name()) {
			t.log.Warn("removing unexpected file from transcode output", "dir", dir, "file", e.Name())
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return lay, err
			}
		}
	}
	return lay, nil
}

// vodPlaylist turns the media playlist ffmpeg's dash muxer writes into a
// VOD one: PLAYLIST-TYPE VOD, INDEPENDENT-SEGMENTS (every AAC frame is a
// sync sample), no wall-clock PROGRAM-DATE-TIME, a target duration that
// covers every segment, ENDLIST last.
func vodPlaylist(src []byte) ([]byte, error) {
	var (
		out      []string
		longest  time.Duration
		endlist  bool
		version  = -1
		targetAt = -1
	)
	for _, l := range strings.Split(string(src), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "",
			strings.HasPrefix(l, "#EXT-X-PROGRAM-DATE-TIME:"),
			strings.HasPrefix(l, "#EXT-X-PLAYLIST-TYPE:"),
			l == "#EXT-X-INDEPENDENT-SEGMENTS":
			continue
		case l == "#EXT-X-ENDLIST":
			endlist = true
			continue
		case strings.HasPrefix(l, "#EXT-X-VERSION:"):
			version = len(out)
		case strings.HasPrefix(l, "#EXT-X-TARGETDURATION:"):
			targetAt = len(out)
		case strings.HasPrefix(l, "#EXTINF:"):
			v, _, _ := strings.Cut(strings.TrimPrefix(l, "#EXTINF:"), ",")
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("bad %s", l)
			}
			longest = max(longest, time.Duration(f*float64(time.Second)))
		}
		out = append(out, l)
	}
	if !endlist {
		return nil, errors.New("no EXT-X-ENDLIST: ffmpeg did not finish the playlist")
	}
	if version < 0 || targetAt < 0 {
		return nil, errors.New("no EXT-X-VERSION or EXT-X-TARGETDURATION")
	}
	// Each EXTINF, rounded, must not exceed the target duration.
	target := max(1, int(math.Round(longest.Seconds())))
	if old, err := strconv.Atoi(strings.TrimPrefix(out[targetAt], "#EXT-X-TARGETDURATION:")); err == nil {
		target = max(target, old)
	}
	out[targetAt] = "#EXT-X-TARGETDURATION:" + strconv.Itoa(target)
	out = slices.Insert(out, version+1, "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS")
	out = append(out, "#EXT-X-ENDLIST")
	return []byte(strings.Join(out, "\n") + "\n"), nil
}
