package manifest

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// MPD is a parsed DASH media presentation description.
type MPD struct {
	// Type is "static" (on demand) or "dynamic" (live).
	Type     string
	Profiles string
	// Duration is mediaPresentationDuration (0 when absent).
	Duration           time.Duration
	MinBufferTime      time.Duration
	MaxSegmentDuration time.Duration
	Periods            []Period
}

// Period is one Period of an MPD.
type Period struct {
	ID    string
	Start time.Duration
	// Duration is the period's duration: its own attribute, or what the MPD
	// implies (next period's start, or the presentation duration).
	Duration       time.Duration
	AdaptationSets []AdaptationSet
}

// AdaptationSet is one AdaptationSet of a period.
type AdaptationSet struct {
	ID          string
	ContentType string
	MimeType    string
	Codecs      string
	Lang        string
	// Representations inherit MimeType, Codecs and the SegmentTemplate from
	// their adaptation set (and period) when they do not set them.
	Representations []Representation
}

// Representation is one encoding of an adaptation set's content.
type Representation struct {
	ID                string
	Bandwidth         int64
	Codecs            string
	MimeType          string
	AudioSamplingRate int
	// AudioChannels is the AudioChannelConfiguration value (for the usual
	// scheme, the channel count), empty when absent.
	AudioChannels string
	// Template is the effective segment template (attributes merged from
	// period, adaptation set and representation); nil if there is none.
	Template *SegmentTemplate

	periodDuration time.Duration
}

// SegmentTemplate addresses segments by number or time.
type SegmentTemplate struct {
	Timescale              uint64
	Initialization         string
	Media                  string
	StartNumber            uint64
	PresentationTimeOffset uint64
	// Duration is the fixed segment duration in timescale units, used when
	// there is no timeline.
	Duration uint64
	Timeline []TimelineEntry
}

// TimelineEntry is one S element of a SegmentTimeline.
type TimelineEntry struct {
	HasT bool
	T    uint64
	D    uint64
	// R repeats the entry R more times; -1 repeats it up to the next entry's
	// start or the end of the period.
	R int64
}

// DashSegment is one media segment of a representation.
type DashSegment struct {
	Number uint64
	// Time and Length are in timescale units; Start and Duration in time.
	Time, Length    uint64
	Start, Duration time.Duration
	URL             string
}

// Representations lists every representation of every period and
// adaptation set, in document order.
func (m *MPD) Representations() []Representation {
	var out []Representation
	for _, p := range m.Periods {
		for _, as := range p.AdaptationSets {
			out = append(out, as.Representations...)
		}
	}
	return out
}

// InitURL is the representation's initialization segment URL ("" if none).
func (r *Representation) InitURL() (string, error) {
	if r.Template == nil || r.Template.Initialization == "" {
		return "", nil
	}
	return expandTemplate(r.Template.Initialization, r.ID, r.Bandwidth, 0, 0, false)
}

// Segments expands the representation's segment template into its media
// segments.
func (r *Representation) Segments() ([]DashSegment, error) {
	st := r.Template
	if st == nil {
		return nil, errors.New("mpd: representation " + r.ID + " has no SegmentTemplate")
	}
	if st.Media == "" {
		return nil, errors.New("mpd: representation " + r.ID + " has no media template")
	}
	ts := st.Timescale
	if ts == 0 {
		return nil, errors.New("mpd: zero timescale")
	}
	toDur := func(units uint64) time.Duration {
		return time.Duration(math.Round(float64(units) / float64(ts) * float64(time.Second)))
	}
	end := uint64(0) // period end in timescale units, relative to its start
	if r.periodDuration > 0 {
		end = uint64(math.Round(r.periodDuration.Seconds()*float64(ts))) + st.PresentationTimeOffset
	}
	var out []DashSegment
	num := st.StartNumber
	add := func(t, d uint64) error {
		if len(out) >= 1_000_000 {
			return errors.New("mpd: too many segments")
		}
		url, err := expandTemplate(st.Media, r.ID, r.Bandwidth, num, t, true)
		if err != nil {
			return err
		}
		out = append(out, DashSegment{
			Number: num, Time: t, Length: d,
			Start:    toDur(t - min(t, st.PresentationTimeOffset)),
			Duration: toDur(d),
			URL:      url,
		})
		num++
		return nil
	}
	switch {
	case len(st.Timeline) > 0:
		t := st.PresentationTimeOffset
		for i, s := range st.Timeline {
			if s.HasT {
				t = s.T
			}
			if s.D == 0 {
				return nil, errors.New("mpd: S element with zero duration")
			}
			count := s.R + 1
			if s.R < 0 {
				var until uint64
				switch {
				case i+1 < len(st.Timeline) && st.Timeline[i+1].HasT:
					until = st.Timeline[i+1].T
				case end > 0:
					until = end
				default:
					return nil, errors.New("mpd: open-ended S repeat without a known end")
				}
				if until <= t {
					return nil, errors.New("mpd: S repeat ends before it starts")
				}
				count = int64((until - t + s.D - 1) / s.D)
			}
			for range count {
				if err := add(t, s.D); err != nil {
					return nil, err
				}
				t += s.D
			}
		}
	case st.Duration > 0:
		if end == 0 {
			return nil, errors.New("mpd: number-based template without a known period duration")
		}
		for t := st.PresentationTimeOffset; t < end; t += st.Duration {
			if err := add(t, min(st.Duration, end-t)); err != nil {
				return nil, err
			}
		}
	default:
		return nil, errors.New("mpd: SegmentTemplate with neither SegmentTimeline nor duration")
	}
	return out, nil
}

// TotalDuration is the sum of the representation's segment durations.
func (r *Representation) TotalDuration() (time.Duration, error) {
	segs, err := r.Segments()
	if err != nil {
		return 0, err
	}
	var units uint64
	for _, s := range segs {
		units += s.Length
	}
	return time.Duration(math.Round(float64(units) / float64(r.Template.Timescale) * float64(time.Second))), nil
}

// expandTemplate substitutes DASH template identifiers ($RepresentationID$,
// $Number$, $Bandwidth$, $Time$, each numeric one with an optional %0Nd
// format, and $$).
func expandTemplate(tmpl, id string, bandwidth int64, number, t uint64, media bool) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '$')
		if i < 0 {
			b.WriteString(tmpl)
			return b.String(), nil
		}
		b.WriteString(tmpl[:i])
		rest := tmpl[i+1:]
		j := strings.IndexByte(rest, '$')
		if j < 0 {
			return "", fmt.Errorf("mpd: unterminated identifier in template %q", tmpl)
		}
		ident, format, _ := strings.Cut(rest[:j], "%")
		tmpl = rest[j+1:]
		var val uint64
		switch ident {
		case "":
			b.WriteByte('$')
			continue
		case "RepresentationID":
			if format != "" {
				return "", fmt.Errorf("mpd: format on $RepresentationID$")
			}
			b.WriteString(id)
			continue
		case "Bandwidth":
			val = uint64(bandwidth)
		case "Number":
			val = number
		case "Time":
			val = t
		default:
			return "", fmt.Errorf("mpd: unknown template identifier $%s$", ident)
		}
		if !media && (ident == "Number" || ident == "Time") {
			return "", fmt.Errorf("mpd: $%s$ in an initialization template", ident)
		}
		s := strconv.FormatUint(val, 10)
		if format != "" {
			if !strings.HasPrefix(format, "0") || !strings.HasSuffix(format, "d") {
				return "", fmt.Errorf("mpd: bad format %%%s", format)
			}
			width, err := strconv.Atoi(format[1 : len(format)-1])
			if err != nil || width < 1 || width > 32 {
				return "", fmt.Errorf("mpd: bad format %%%s", format)
			}
			if len(s) < width {
				s = strings.Repeat("0", width-len(s)) + s
			}
		}
		b.WriteString(s)
	}
}

type xmlMPD struct {
	XMLName                   xml.Name    `xml:"MPD"`
	Type                      string      `xml:"type,attr"`
	Profiles                  string      `xml:"profiles,attr"`
	MediaPresentationDuration string      `xml:"mediaPresentationDuration,attr"`
	MinBufferTime             string      `xml:"minBufferTime,attr"`
	MaxSegmentDuration        string      `xml:"maxSegmentDuration,attr"`
	Periods                   []xmlPeriod `xml:"Period"`
}

type xmlPeriod struct {
	ID              string              `xml:"id,attr"`
	Start           string              `xml:"start,attr"`
	Duration        string              `xml:"duration,attr"`
	SegmentTemplate *xmlSegmentTemplate `xml:"SegmentTemplate"`
	AdaptationSets  []xmlAdaptationSet  `xml:"AdaptationSet"`
}

type xmlAdaptationSet struct {
	ID              string              `xml:"id,attr"`
	ContentType     string              `xml:"contentType,attr"`
	MimeType        string              `xml:"mimeType,attr"`
	Codecs          string              `xml:"codecs,attr"`
	Lang            string              `xml:"lang,attr"`
	Channels        []xmlDescriptor     `xml:"AudioChannelConfiguration"`
	SegmentTemplate *xmlSegmentTemplate `xml:"SegmentTemplate"`
	Representations []xmlRepresentation `xml:"Representation"`
}

type xmlRepresentation struct {
	ID                string              `xml:"id,attr"`
	Bandwidth         string              `xml:"bandwidth,attr"`
	Codecs            string              `xml:"codecs,attr"`
	MimeType          string              `xml:"mimeType,attr"`
	AudioSamplingRate string              `xml:"audioSamplingRate,attr"`
	Channels          []xmlDescriptor     `xml:"AudioChannelConfiguration"`
	SegmentTemplate   *xmlSegmentTemplate `xml:"SegmentTemplate"`
}

type xmlDescriptor struct {
	SchemeIDURI string `xml:"schemeIdUri,attr"`
	Value       string `xml:"value,attr"`
}

type xmlSegmentTemplate struct {
	Timescale              *uint64 `xml:"timescale,attr"`
	Duration               *uint64 `xml:"duration,attr"`
	StartNumber            *uint64 `xml:"startNumber,attr"`
	PresentationTimeOffset *uint64 `xml:"presentationTimeOffset,attr"`
	Initialization         *string `xml:"initialization,attr"`
	Media                  *string `xml:"media,attr"`
	Timeline               *struct {
		S []struct {
			T *uint64 `xml:"t,attr"`
			D uint64  `xml:"d,attr"`
			R int64   `xml:"r,attr"`
		} `xml:"S"`
	} `xml:"SegmentTimeline"`
}

// merge applies x's attributes over st (a copy of the parent's template).
func (x *xmlSegmentTemplate) merge(st SegmentTemplate) SegmentTemplate {
	if x == nil {
		return st
	}
	if x.Timescale != nil {
		st.Timescale = *x.Timescale
	}
	if x.Duration != nil {
		st.Duration = *x.Duration
	}
	if x.StartNumber != nil {
		st.StartNumber = *x.StartNumber
	}
	if x.PresentationTimeOffset != nil {
		st.PresentationTimeOffset = *x.PresentationTimeOffset
	}
	if x.Initialization != nil {
		st.Initialization = *x.Initialization
	}
	if x.Media != nil {
		st.Media = *x.Media
	}
	if x.Timeline != nil {
		st.Timeline = nil
		for _, s := range x.Timeline.S {
			e := TimelineEntry{D: s.D, R: s.R}
			if s.T != nil {
				e.HasT, e.T = true, *s.T
			}
			st.Timeline = append(st.Timeline, e)
		}
	}
	return st
}

// ParseMPD parses a DASH MPD.
func ParseMPD(r io.Reader) (*MPD, error) {
	var x xmlMPD
	dec := xml.NewDecoder(io.LimitReader(r, 64<<20))
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("mpd: %w", err)
	}
	m := &MPD{Type: x.Type, Profiles: x.Profiles}
	if m.Type == "" {
		m.Type = "static"
	}
	var err error
	if m.Duration, err = optDuration(x.MediaPresentationDuration); err != nil {
		return nil, err
	}
	if m.MinBufferTime, err = optDuration(x.MinBufferTime); err != nil {
		return nil, err
	}
	if m.MaxSegmentDuration, err = optDuration(x.MaxSegmentDuration); err != nil {
		return nil, err
	}
	for i, xp := range x.Periods {
		p := Period{ID: xp.ID}
		if p.Start, err = optDuration(xp.Start); err != nil {
			return nil, err
		}
		if i > 0 && xp.Start == "" {
			prev := m.Periods[i-1]
			p.Start = prev.Start + prev.Duration
		}
		if p.Duration, err = optDuration(xp.Duration); err != nil {
			return nil, err
		}
		m.Periods = append(m.Periods, p)
	}
	// Fill in implied period durations.
	for i := range m.Periods {
		p := &m.Periods[i]
		if p.Duration != 0 {
			continue
		}
		switch {
		case i+1 < len(x.Periods) && x.Periods[i+1].Start != "":
			next, _ := optDuration(x.Periods[i+1].Start)
			p.Duration = next - p.Start
		case i+1 == len(m.Periods) && m.Duration > 0:
			p.Duration = m.Duration - p.Start
		}
	}
	for i, xp := range x.Periods {
		p := &m.Periods[i]
		base := xp.SegmentTemplate.merge(SegmentTemplate{Timescale: 1, StartNumber: 1})
		for _, xa := range xp.AdaptationSets {
			as := AdaptationSet{ID: xa.ID, ContentType: xa.ContentType, MimeType: xa.MimeType, Codecs: xa.Codecs, Lang: xa.Lang}
			asTmpl := xa.SegmentTemplate.merge(base)
			for _, xr := range xa.Representations {
				rep := Representation{
					ID: xr.ID, Codecs: xr.Codecs, MimeType: xr.MimeType,
					periodDuration: p.Duration,
				}
				if rep.ID == "" {
					return nil, errors.New("mpd: Representation without id")
				}
				if rep.Bandwidth, err = strconv.ParseInt(xr.Bandwidth, 10, 64); err != nil || rep.Bandwidth <= 0 {
					return nil, fmt.Errorf("mpd: representation %s: bad bandwidth %q", rep.ID, xr.Bandwidth)
				}
				if xr.AudioSamplingRate != "" {
					if rep.AudioSamplingRate, err = strconv.Atoi(xr.AudioSamplingRate); err != nil {
						return nil, fmt.Errorf("mpd: representation %s: bad audioSamplingRate %q", rep.ID, xr.AudioSamplingRate)
					}
				}
				if rep.Codecs == "" {
					rep.Codecs = xa.Codecs
				}
				if rep.MimeType == "" {
					rep.MimeType = xa.MimeType
				}
				switch {
				case len(xr.Channels) > 0:
					rep.AudioChannels = xr.Channels[0].Value
				case len(xa.Channels) > 0:
					rep.AudioChannels = xa.Channels[0].Value
				}
				if xp.SegmentTemplate != nil || xa.SegmentTemplate != nil || xr.SegmentTemplate != nil {
					st := xr.SegmentTemplate.merge(asTmpl)
					rep.Template = &st
				}
				as.Representations = append(as.Representations, rep)
			}
			p.AdaptationSets = append(p.AdaptationSets, as)
		}
	}
	return m, nil
}

func optDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := ParseISODuration(s)
	if err != nil {
		return 0, fmt.Errorf("mpd: %w", err)
	}
	return d, nil
}

// ParseISODuration parses an xs:duration as MPDs use it (PT1H2M3.5S,
// P1DT2H). Years and months are refused: they have no fixed length.
func ParseISODuration(s string) (time.Duration, error) {
	orig := s
	bad := func() (time.Duration, error) { return 0, fmt.Errorf("bad duration %q", orig) }
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return bad()
	}
	s = s[1:]
	var total float64
	inTime := false
	for s != "" {
		if s[0] == 'T' {
			if inTime || len(s) == 1 {
				return bad()
			}
			inTime = true
			s = s[1:]
			continue
		}
		i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if i <= 0 {
			return bad()
		}
		v, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return bad()
		}
		unit := s[i]
		s = s[i+1:]
		switch {
		case !inTime && unit == 'D':
			total += v * 86400
		case !inTime && unit == 'W':
			total += v * 7 * 86400
		case !inTime && (unit == 'Y' || unit == 'M'):
			if v != 0 {
				return 0, fmt.Errorf("duration %q uses years or months", orig)
			}
		case inTime && unit == 'H':
			total += v * 3600
		case inTime && unit == 'M':
			total += v * 60
		case inTime && unit == 'S':
			total += v
		default:
			return bad()
		}
	}
	if total > float64(math.MaxInt64/int64(time.Second)) {
		return bad()
	}
	d := time.Duration(math.Round(total * float64(time.Second)))
	if neg {
		d = -d
	}
	return d, nil
}
