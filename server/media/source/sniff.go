package source

import (
	"bytes"
	"encoding/binary"
)

// contentTypes maps the extension Sniff names to what a browser is told.
var contentTypes = map[string]string{
	"mp3":  "audio/mpeg",
	"aac":  "audio/aac",
	"m4a":  "audio/mp4",
	"flac": "audio/flac",
	"ogg":  "audio/ogg",
	"wav":  "audio/wav",
}

// ContentType is the MIME type of a format Sniff names, and false for any
// other extension.
func ContentType(ext string) (string, bool) {
	t, ok := contentTypes[ext]
	return t, ok
}

// Sniff tells from the start of a file whether browsers and the SDK players
// play it as it is, and names its format ("mp3", "m4a", "flac", "ogg",
// "wav", "aac"), or returns "" for a file that must be transcoded to play
// (AIFF, WMA, ALAC, APE, an MP4 whose index is at its end, ...). It errs
// towards "": a file it is unsure of still plays, transcoded.
func Sniff(b []byte) string {
	switch {
	case len(b) < 12:
		return ""
	case bytes.HasPrefix(b, []byte("ID3")), mpegAudio(b, 0x02):
		return "mp3"
	case mpegAudio(b, 0x00):
		return "aac" // ADTS
	case bytes.HasPrefix(b, []byte("fLaC")):
		return "flac"
	case bytes.HasPrefix(b, []byte("OggS")):
		// Opus and Vorbis play everywhere; FLAC or Speex in Ogg do not.
		if bytes.Contains(b, []byte("OpusHead")) || bytes.Contains(b, []byte("\x01vorbis")) {
			return "ogg"
		}
	case bytes.HasPrefix(b, []byte("RIFF")) && string(b[8:12]) == "WAVE":
		if pcmWave(b) {
			return "wav"
		}
	case string(b[4:8]) == "ftyp":
		// The sample description must be AAC (not ALAC) and come before
		// the audio, so a browser can start without fetching the end.
		i, j := bytes.Index(b, []byte("stsd")), bytes.Index(b, []byte("mdat"))
		if i >= 0 && (j < 0 || i < j) && bytes.Contains(b[i:], []byte("mp4a")) && !bytes.Contains(b[i:], []byte("alac")) {
			return "m4a"
		}
	}
	return ""
}

// mpegAudio reports whether b starts with an MPEG audio frame header of the
// given layer bits (0x02: layer III, MP3; 0x00: ADTS AAC).
func mpegAudio(b []byte, layer byte) bool {
	return b[0] == 0xff && b[1]&0xe0 == 0xe0 && b[1]&0x06 == layer && (layer != 0x02 || b[2]&0xf0 != 0xf0)
}

// pcmWave reports whether a RIFF/WAVE file's fmt chunk is plain PCM or
// float, the WAV every browser plays.
func pcmWave(b []byte) bool {
	for i := 12; i+8 <= len(b); {
		id, size := string(b[i:i+4]), int(binary.LittleEndian.Uint32(b[i+4:i+8]))
		if id == "fmt " {
			if i+10 > len(b) {
				return false
			}
			switch binary.LittleEndian.Uint16(b[i+8 : i+10]) {
			case 1, 3: // PCM, IEEE float
				return true
			case 0xfffe: // extensible: the sub-format's first two bytes
				return i+34 <= len(b) && (b[i+32] == 1 || b[i+32] == 3) && b[i+33] == 0
			}
			return false
		}
		i += 8 + size + size%2
	}
	return false
}
