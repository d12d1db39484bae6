package manifest

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const masterM3U8 = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-STREAM-INF:BANDWIDTH=105000,AVERAGE-BANDWIDTH=97000,CODECS="mp4a.40.2"
media_0.m3u8

#EXT-X-STREAM-INF:BANDWIDTH=170000,CODECS="mp4a.40.2,avc1.64001f",NAME="x, y"
media_1.m3u8
`

// mediaM3U8 is what ffmpeg 5.1's dash muxer writes with -hls_playlist 1.
const mediaM3U8 = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:1
#EXT-X-MAP:URI="init-0.m4s"
#EXTINF:3.993832,
#EXT-X-PROGRAM-DATE-TIME:2026-11-23T18:29:39.000+0000
seg-0-00001.m4s
#EXTINF:4.017052,
#EXT-X-PROGRAM-DATE-TIME:2026-11-23T18:29:42.994+0000
seg-0-00002.m4s
#EXTINF:1.989116,title
seg-0-00003.m4s
#EXT-X-ENDLIST
`

func TestParseMaster(t *testing.T) {
	m, err := ParseMaster(strings.NewReader(masterM3U8))
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != 6 || !m.IndependentSegments || len(m.Variants) != 2 {
		t.Fatalf("got %+v", m)
	}
	v0, v1 := m.Variants[0], m.Variants[1]
	if v0.Bandwidth != 105000 || v0.AverageBandwidth != 97000 || v0.Codecs != "mp4a.40.2" || v0.URI != "media_0.m3u8" {
		t.Errorf("variant 0 = %+v", v0)
	}
	if v1.Bandwidth != 170000 || v1.AverageBandwidth != 0 || v1.Codecs != "mp4a.40.2,avc1.64001f" || v1.URI != "media_1.m3u8" || v1.Attrs["NAME"] != "x, y" {
		t.Errorf("variant 1 = %+v", v1)
	}
}

func TestParseMedia(t *testing.T) {
	m, err := ParseMedia(strings.NewReader(mediaM3U8))
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != 6 || m.TargetDuration != 4*time.Second || m.MediaSequence != 1 || !m.EndList {
		t.Fatalf("got %+v", m)
	}
	if m.VOD() {
		t.Error("VOD() without PLAYLIST-TYPE")
	}
	if len(m.Segments) != 3 {
		t.Fatalf("segments = %+v", m.Segments)
	}
	s0 := m.Segments[0]
	if s0.URI != "seg-0-00001.m4s" || s0.InitURI != "init-0.m4s" || s0.Duration != 3993832*time.Microsecond {
		t.Errorf("segment 0 = %+v", s0)
	}
	if want := time.Date(2026, 11, 23, 18, 29, 39, 0, time.UTC); !s0.ProgramDateTime.Equal(want) {
		t.Errorf("program date-time = %v, want %v", s0.ProgramDateTime, want)
	}
	if s2 := m.Segments[2]; s2.Title != "title" || !s2.ProgramDateTime.IsZero() {
		t.Errorf("segment 2 = %+v", s2)
	}
	if got, want := m.Duration(), 10*time.Second; got != want {
		t.Errorf("Duration = %v, want %v", got, want)
	}
	if got := m.InitURIs(); !reflect.DeepEqual(got, []string{"init-0.m4s"}) {
		t.Errorf("InitURIs = %v", got)
	}

	vod := strings.Replace(mediaM3U8, "#EXT-X-VERSION:6\n", "#EXT-X-VERSION:6\n#EXT-X-PLAYLIST-TYPE:VOD\n", 1)
	m, err = ParseMedia(strings.NewReader(vod))
	if err != nil {
		t.Fatal(err)
	}
	if !m.VOD() {
		t.Error("VOD() = false for a VOD playlist with ENDLIST")
	}
	// CRLF line ends and a BOM are tolerated.
	crlf := "\ufeff" + strings.ReplaceAll(vod, "\n", "\r\n")
	if m2, err := ParseMedia(strings.NewReader(crlf)); err != nil || !reflect.DeepEqual(m2, m) {
		t.Errorf("CRLF playlist: %v, %+v", err, m2)
	}
}

func TestParseWrongKind(t *testing.T) {
	if _, err := ParseMaster(strings.NewReader(mediaM3U8)); !errors.Is(err, ErrNotMaster) {
		t.Errorf("ParseMaster(media) err = %v", err)
	}
	if _, err := ParseMedia(strings.NewReader(masterM3U8)); !errors.Is(err, ErrNotMedia) {
		t.Errorf("ParseMedia(master) err = %v", err)
	}
}

func TestParseM3U8Errors(t *testing.T) {
	for name, in := range map[string]string{
		"empty":            "",
		"no header":        "#EXT-X-VERSION:6\n",
		"no target":        "#EXTM3U\n#EXTINF:4,\na.m4s\n",
		"uri without inf":  "#EXTM3U\n#EXT-X-TARGETDURATION:4\na.m4s\n",
		"inf without uri":  "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\n",
		"bad inf":          "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:x,\na.m4s\n",
		"negative inf":     "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:-1,\na.m4s\n",
		"bad target":       "#EXTM3U\n#EXT-X-TARGETDURATION:four\n",
		"bad type":         "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:LIVE\n",
		"map without uri":  "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:BYTERANGE=\"1@0\"\n",
		"unterminated map": "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI=\"a\n",
	} {
		if _, err := ParseMedia(strings.NewReader(in)); err == nil {
			t.Errorf("ParseMedia(%s): no error", name)
		}
	}
	for name, in := range map[string]string{
		"no bandwidth":   "#EXTM3U\n#EXT-X-STREAM-INF:CODECS=\"mp4a.40.2\"\na.m3u8\n",
		"bad bandwidth":  "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=x\na.m3u8\n",
		"no uri":         "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n",
		"two infs":       "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n#EXT-X-STREAM-INF:BANDWIDTH=2\na.m3u8\n",
		"stray uri":      "#EXTM3U\na.m3u8\n",
		"duplicate attr": "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,BANDWIDTH=2\na.m3u8\n",
	} {
		if _, err := ParseMaster(strings.NewReader(in)); err == nil {
			t.Errorf("ParseMaster(%s): no error", name)
		}
	}
}

func TestParseAttributes(t *testing.T) {
	got, err := ParseAttributes(`BANDWIDTH=1000,CODECS="mp4a.40.2,ac-3",RESOLUTION=640x360,NAME=""`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"BANDWIDTH": "1000", "CODECS": "mp4a.40.2,ac-3", "RESOLUTION": "640x360", "NAME": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{`A`, `=1`, `A="x`, `A="x"y`, `A=`, `A=1,A=2`} {
		if _, err := ParseAttributes(bad); err == nil {
			t.Errorf("ParseAttributes(%q): no error", bad)
		}
	}
}

// ffmpegMPD is what ffmpeg 5.1's dash muxer writes for a three-rung audio
// ladder (two rungs kept).
const ffmpegMPD = `<?xml version="1.0" encoding="utf-8"?>
<MPD xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
	xmlns="urn:mpeg:dash:schema:mpd:2011"
	xmlns:xlink="http://www.w3.org/1999/xlink"
	xsi:schemaLocation="urn:mpeg:DASH:schema:MPD:2011 http://standards.iso.org/ittf/PubliclyAvailableStandards/MPEG-DASH_schema_files/DASH-MPD.xsd"
	profiles="urn:mpeg:dash:profile:isoff-live:2011"
	type="static"
	mediaPresentationDuration="PT20.0S"
	maxSegmentDuration="PT4.0S"
	minBufferTime="PT8.0S">
	<ProgramInformation>
	</ProgramInformation>
	<ServiceDescription id="0">
	</ServiceDescription>
	<Period id="0" start="PT0.0S">
		<AdaptationSet id="0" contentType="audio" startWithSAP="1" segmentAlignment="true" bitstreamSwitching="true">
			<Representation id="0" mimeType="audio/mp4" codecs="mp4a.40.2" bandwidth="96000" audioSamplingRate="44100">
				<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2" />
				<SegmentTemplate timescale="44100" initialization="init-$RepresentationID$.m4s" media="seg-$RepresentationID$-$Number%05d$.m4s" startNumber="1">
					<SegmentTimeline>
						<S t="0" d="176128" />
						<S d="177152" r="2" />
						<S d="174416" />
					</SegmentTimeline>
				</SegmentTemplate>
			</Representation>
			<Representation id="1" mimeType="audio/mp4" codecs="mp4a.40.2" bandwidth="160000" audioSamplingRate="44100">
				<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2" />
				<SegmentTemplate timescale="44100" initialization="init-$RepresentationID$.m4s" media="seg-$RepresentationID$-$Number%05d$.m4s" startNumber="1">
					<SegmentTimeline>
						<S t="0" d="176128" />
						<S d="177152" r="2" />
						<S d="174416" />
					</SegmentTimeline>
				</SegmentTemplate>
			</Representation>
		</AdaptationSet>
	</Period>
</MPD>
`

func TestParseMPD(t *testing.T) {
	m, err := ParseMPD(strings.NewReader(ffmpegMPD))
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != "static" || m.Duration != 20*time.Second || m.MaxSegmentDuration != 4*time.Second || m.MinBufferTime != 8*time.Second {
		t.Fatalf("got %+v", m)
	}
	if len(m.Periods) != 1 || m.Periods[0].Duration != 20*time.Second {
		t.Fatalf("periods = %+v", m.Periods)
	}
	reps := m.Representations()
	if len(reps) != 2 {
		t.Fatalf("representations = %+v", reps)
	}
	for i, r := range reps {
		if r.ID != []string{"0", "1"}[i] || r.Bandwidth != []int64{96000, 160000}[i] ||
			r.Codecs != "mp4a.40.2" || r.MimeType != "audio/mp4" || r.AudioSamplingRate != 44100 || r.AudioChannels != "2" {
			t.Errorf("representation %d = %+v", i, r)
		}
		init, err := r.InitURL()
		if err != nil || init != "init-"+r.ID+".m4s" {
			t.Errorf("InitURL = %q, %v", init, err)
		}
		segs, err := r.Segments()
		if err != nil {
			t.Fatal(err)
		}
		if len(segs) != 5 {
			t.Fatalf("segments = %+v", segs)
		}
		for j, s := range segs {
			if want := "seg-" + r.ID + "-0000" + string(rune('1'+j)) + ".m4s"; s.URL != want || s.Number != uint64(j+1) {
				t.Errorf("segment %d = %+v, want URL %s", j, s, want)
			}
		}
		if segs[1].Time != 176128 || segs[4].Length != 174416 || segs[4].Time != 176128+3*177152 {
			t.Errorf("timeline expanded wrong: %+v", segs)
		}
		total, err := r.TotalDuration()
		if err != nil || total != 20*time.Second {
			t.Errorf("TotalDuration = %v, %v", total, err)
		}
	}
}

func TestMPDInheritanceAndNumberTemplate(t *testing.T) {
	const doc = `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT10.5S">
	<Period>
		<SegmentTemplate timescale="1000" duration="4000" media="$RepresentationID$/$Number$.m4s" initialization="$RepresentationID$/init.mp4" />
		<AdaptationSet mimeType="audio/mp4" codecs="mp4a.40.2">
			<AudioChannelConfiguration schemeIdUri="x" value="2"/>
			<Representation id="a" bandwidth="64000"/>
			<Representation id="b" bandwidth="128000" codecs="mp4a.40.5">
				<SegmentTemplate startNumber="0" media="$RepresentationID$-$Time$-$Bandwidth$-$$.m4s"/>
			</Representation>
			<Representation id="c" bandwidth="1">
				<SegmentTemplate timescale="10">
					<SegmentTimeline><S t="5" d="20" r="-1"/></SegmentTimeline>
				</SegmentTemplate>
			</Representation>
		</AdaptationSet>
	</Period>
</MPD>`
	m, err := ParseMPD(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	reps := m.Representations()
	if len(reps) != 3 {
		t.Fatalf("got %d representations", len(reps))
	}
	a, b, c := reps[0], reps[1], reps[2]
	if a.MimeType != "audio/mp4" || a.Codecs != "mp4a.40.2" || a.AudioChannels != "2" || b.Codecs != "mp4a.40.5" {
		t.Errorf("inheritance: %+v %+v", a, b)
	}
	segs, err := a.Segments()
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, s := range segs {
		urls = append(urls, s.URL)
	}
	if want := []string{"a/1.m4s", "a/2.m4s", "a/3.m4s"}; !reflect.DeepEqual(urls, want) {
		t.Errorf("urls = %v, want %v", urls, want)
	}
	if segs[2].Duration != 2500*time.Millisecond {
		t.Errorf("last segment = %+v", segs[2])
	}
	if d, _ := a.TotalDuration(); d != 10500*time.Millisecond {
		t.Errorf("TotalDuration = %v", d)
	}
	if init, _ := a.InitURL(); init != "a/init.mp4" {
		t.Errorf("InitURL = %q", init)
	}
	segs, err = b.Segments()
	if err != nil {
		t.Fatal(err)
	}
	if segs[0].Number != 0 || segs[1].URL != "b-4000-128000-$.m4s" {
		t.Errorf("b segments = %+v", segs)
	}
	// r=-1 repeats to the end of the period: 10.5 s at timescale 10 is 105.
	segs, err = c.Segments()
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) != 5 || segs[0].Time != 5 || segs[4].Time != 85 {
		t.Errorf("c segments = %+v", segs)
	}
}

func TestParseMPDErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"not xml":       "hello",
		"bad duration":  `<MPD mediaPresentationDuration="20s"/>`,
		"bad bandwidth": `<MPD><Period><AdaptationSet><Representation id="a" bandwidth="x"/></AdaptationSet></Period></MPD>`,
		"no id":         `<MPD><Period><AdaptationSet><Representation bandwidth="1"/></AdaptationSet></Period></MPD>`,
	} {
		if _, err := ParseMPD(strings.NewReader(doc)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	m, err := ParseMPD(strings.NewReader(`<MPD><Period><AdaptationSet><Representation id="a" bandwidth="1"><SegmentTemplate media="$Foo$" duration="1"/></Representation></AdaptationSet></Period></MPD>`))
	if err != nil {
		t.Fatal(err)
	}
	r := m.Representations()[0]
	if _, err := r.Segments(); err == nil {
		t.Error("number template without a period duration: no error")
	}
}

func TestParseISODuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"PT20.0S":          20 * time.Second,
		"PT0S":             0,
		"PT1H2M3.5S":       time.Hour + 2*time.Minute + 3500*time.Millisecond,
		"P1DT1S":           24*time.Hour + time.Second,
		"P0Y0M0DT0H0M4.0S": 4 * time.Second,
		"PT1.000001S":      time.Second + time.Microsecond,
		"-PT1S":            -time.Second,
	} {
		got, err := ParseISODuration(in)
		if err != nil || got != want {
			t.Errorf("ParseISODuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "P", "PT", "20S", "P1M", "PT1X", "PTS", "P1H", "PT1S2"} {
		if _, err := ParseISODuration(bad); err == nil {
			t.Errorf("ParseISODuration(%q): no error", bad)
		}
	}
}
