// Package manifest parses the streaming manifests Backbeat serves: HLS master
// and media playlists (RFC 8216) and DASH MPDs (ISO/IEC 23009-1), to the
// extent the transcoder writes them and players need them checked: variants,
// segments, init sections, durations. It does not write them.
package manifest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Master is an HLS master (multivariant) playlist.
type Master struct {
	Version             int
	IndependentSegments bool
	Variants            []Variant
}

// Variant is one EXT-X-STREAM-INF entry of a master playlist.
type Variant struct {
	// Bandwidth is the peak segment bit rate in bits per second.
	Bandwidth int64
	// AverageBandwidth is 0 when the playlist does not state it.
	AverageBandwidth int64
	Codecs           string
	// URI is the media playlist's URI as written (usually relative).
	URI string
	// Attrs holds every attribute of the tag, quotes removed.
	Attrs map[string]string
}

// Media is an HLS media playlist.
type Media struct {
	Version        int
	TargetDuration time.Duration
	MediaSequence  int64
	// PlaylistType is "VOD", "EVENT" or empty.
	PlaylistType        string
	EndList             bool
	IndependentSegments bool
	Segments            []Segment
}

// Segment is one media segment of a media playlist.
type Segment struct {
	Duration time.Duration
	Title    string
	URI      string
	// InitURI is the URI of the EXT-X-MAP in effect for the segment: its
	// initialization section (empty for self-initializing segments).
	InitURI string
	// ProgramDateTime is the segment's EXT-X-PROGRAM-DATE-TIME, if tagged.
	ProgramDateTime time.Time
}

// VOD reports whether the playlist is a complete video-on-demand playlist:
// PLAYLIST-TYPE VOD and an EXT-X-ENDLIST.
func (m *Media) VOD() bool { return m.PlaylistType == "VOD" && m.EndList }

// Duration is the sum of the segments' durations.
func (m *Media) Duration() time.Duration {
	var d time.Duration
	for _, s := range m.Segments {
		d += s.Duration
	}
	return d
}

// InitURIs lists the distinct initialization sections the segments use, in
// order of first use.
func (m *Media) InitURIs() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range m.Segments {
		if s.InitURI != "" && !seen[s.InitURI] {
			seen[s.InitURI] = true
			out = append(out, s.InitURI)
		}
	}
	return out
}

// ErrNotMaster and ErrNotMedia are returned (wrapped) when a playlist is
// valid but of the other kind.
var (
	ErrNotMaster = errors.New("not a master playlist")
	ErrNotMedia  = errors.New("not a media playlist")
)

// ParseMaster parses an HLS master playlist.
func ParseMaster(r io.Reader) (*Master, error) {
	m := &Master{}
	var pending *Variant
	err := scanM3U(r, func(n int, line string) error {
		if pending != nil && !strings.HasPrefix(line, "#") {
			pending.URI = line
			m.Variants = append(m.Variants, *pending)
			pending = nil
			return nil
		}
		tag, value, _ := strings.Cut(line, ":")
		switch tag {
		case "#EXT-X-VERSION":
			v, err := strconv.Atoi(value)
			if err != nil {
				return fmt.Errorf("line %d: bad version %q", n, value)
			}
			m.Version = v
		case "#EXT-X-INDEPENDENT-SEGMENTS":
			m.IndependentSegments = true
		case "#EXT-X-STREAM-INF":
			if pending != nil {
				return fmt.Errorf("line %d: EXT-X-STREAM-INF without a URI before it", n)
			}
			attrs, err := ParseAttributes(value)
			if err != nil {
				return fmt.Errorf("line %d: %w", n, err)
			}
			v := &Variant{Attrs: attrs, Codecs: attrs["CODECS"]}
			bw, ok := attrs["BANDWIDTH"]
			if !ok {
				return fmt.Errorf("line %d: EXT-X-STREAM-INF without BANDWIDTH", n)
			}
			if v.Bandwidth, err = strconv.ParseInt(bw, 10, 64); err != nil || v.Bandwidth <= 0 {
				return fmt.Errorf("line %d: bad BANDWIDTH %q", n, bw)
			}
			if avg, ok := attrs["AVERAGE-BANDWIDTH"]; ok {
				if v.AverageBandwidth, err = strconv.ParseInt(avg, 10, 64); err != nil || v.AverageBandwidth <= 0 {
					return fmt.Errorf("line %d: bad AVERAGE-BANDWIDTH %q", n, avg)
				}
			}
			pending = v
		case "#EXTINF", "#EXT-X-TARGETDURATION", "#EXT-X-ENDLIST", "#EXT-X-MEDIA-SEQUENCE":
			return ErrNotMaster
		default:
			if !strings.HasPrefix(line, "#") {
				return fmt.Errorf("line %d: URI %q without EXT-X-STREAM-INF", n, line)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if pending != nil {
		return nil, errors.New("m3u8: EXT-X-STREAM-INF without a URI at end of playlist")
	}
	return m, nil
}

// ParseMedia parses an HLS media playlist.
func ParseMedia(r io.Reader) (*Media, error) {
	m := &Media{}
	var (
		cur     Segment
		inSeg   bool // an EXTINF is waiting for its URI
		initURI string
		sawTD   bool
	)
	err := scanM3U(r, func(n int, line string) error {
		if !strings.HasPrefix(line, "#") {
			if !inSeg {
				return fmt.Errorf("line %d: URI %q without EXTINF", n, line)
			}
			cur.URI = line
			cur.InitURI = initURI
			m.Segments = append(m.Segments, cur)
			cur, inSeg = Segment{}, false
			return nil
		}
		tag, value, _ := strings.Cut(line, ":")
		var err error
		switch tag {
		case "#EXT-X-VERSION":
			if m.Version, err = strconv.Atoi(value); err != nil {
				return fmt.Errorf("line %d: bad version %q", n, value)
			}
		case "#EXT-X-TARGETDURATION":
			s, err := strconv.ParseInt(value, 10, 64)
			if err != nil || s < 0 {
				return fmt.Errorf("line %d: bad target duration %q", n, value)
			}
			m.TargetDuration, sawTD = time.Duration(s)*time.Second, true
		case "#EXT-X-MEDIA-SEQUENCE":
			if m.MediaSequence, err = strconv.ParseInt(value, 10, 64); err != nil {
				return fmt.Errorf("line %d: bad media sequence %q", n, value)
			}
		case "#EXT-X-PLAYLIST-TYPE":
			if value != "VOD" && value != "EVENT" {
				return fmt.Errorf("line %d: bad playlist type %q", n, value)
			}
			m.PlaylistType = value
		case "#EXT-X-ENDLIST":
			m.EndList = true
		case "#EXT-X-INDEPENDENT-SEGMENTS":
			m.IndependentSegments = true
		case "#EXT-X-MAP":
			attrs, err := ParseAttributes(value)
			if err != nil {
				return fmt.Errorf("line %d: %w", n, err)
			}
			if initURI = attrs["URI"]; initURI == "" {
				return fmt.Errorf("line %d: EXT-X-MAP without URI", n)
			}
		case "#EXTINF":
			if inSeg {
				return fmt.Errorf("line %d: EXTINF without a URI before it", n)
			}
			dur, title, _ := strings.Cut(value, ",")
			d, err := parseSeconds(dur)
			if err != nil {
				return fmt.Errorf("line %d: bad EXTINF duration %q", n, dur)
			}
			cur.Duration, cur.Title, inSeg = d, title, true
		case "#EXT-X-PROGRAM-DATE-TIME":
			t, err := time.Parse(time.RFC3339Nano, value)
			if err != nil {
				// ffmpeg writes offsets without a colon (+0000).
				if t, err = time.Parse("2006-01-02T15:04:05.999999999Z0700", value); err != nil {
					return fmt.Errorf("line %d: bad program date-time %q", n, value)
				}
			}
			cur.ProgramDateTime = t
		case "#EXT-X-STREAM-INF":
			return ErrNotMedia
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if inSeg {
		return nil, errors.New("m3u8: EXTINF without a URI at end of playlist")
	}
	if !sawTD {
		return nil, errors.New("m3u8: media playlist without EXT-X-TARGETDURATION")
	}
	return m, nil
}

// scanM3U checks the #EXTM3U header and calls fn for each further non-blank
// line (1-based line numbers). Comments that are not tags are skipped.
func scanM3U(r io.Reader, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
			if line != "#EXTM3U" {
				return errors.New("m3u8: missing #EXTM3U header")
			}
			continue
		}
		if line == "" || (strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "#EXT")) {
			continue
		}
		if err := fn(n, line); err != nil {
			return fmt.Errorf("m3u8: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("m3u8: %w", err)
	}
	if n == 0 {
		return errors.New("m3u8: empty playlist")
	}
	return nil
}

// ParseAttributes parses an HLS attribute list (KEY=value,KEY="quoted, value").
// Quotes are removed from quoted strings.
func ParseAttributes(s string) (map[string]string, error) {
	attrs := map[string]string{}
	for s != "" {
		key, rest, ok := strings.Cut(s, "=")
		if !ok || key == "" || strings.ContainsAny(key, ", \"") {
			return nil, fmt.Errorf("bad attribute list near %q", s)
		}
		var value string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quoted value for %s", key)
			}
			value, rest = rest[1:1+end], rest[2+end:]
			if rest != "" && rest[0] != ',' {
				return nil, fmt.Errorf("junk after quoted value for %s", key)
			}
			rest = strings.TrimPrefix(rest, ",")
		} else {
			value, rest, _ = strings.Cut(rest, ",")
			if value == "" {
				return nil, fmt.Errorf("empty value for %s", key)
			}
		}
		if _, dup := attrs[key]; dup {
			return nil, fmt.Errorf("duplicate attribute %s", key)
		}
		attrs[key] = value
		s = rest
	}
	return attrs, nil
}

// parseSeconds parses a non-negative decimal number of seconds.
func parseSeconds(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f > float64(math.MaxInt64/int64(time.Second)) {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return time.Duration(math.Round(f * float64(time.Second))), nil
}
