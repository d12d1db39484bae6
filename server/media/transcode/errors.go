package transcode

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// InputError means the input itself is unusable: not audio, corrupt, too
// long, too large, silent or empty. Retrying cannot help; Reason says why in
// words fit to show the uploader ("not an audio file", "audio is 45m0s long;
// the limit is 30m0s"). Other errors from this package (ffmpeg missing, disk
// full, context canceled) are about the machine, not the file, and may be
// retried.
type InputError struct {
	Reason string
}

func (e *InputError) Error() string { return "unusable input: " + e.Reason }

// Reasons used for several kinds of bad input.
const (
	ReasonNotAudio = "not an audio file"
	ReasonCorrupt  = "corrupt or unsupported audio"
	ReasonEmpty    = "the file is empty"
	ReasonNoAudio  = "audio is empty"
	ReasonSilent   = "audio is silent"
)

func inputError(format string, args ...any) *InputError {
	return &InputError{Reason: fmt.Sprintf(format, args...)}
}

// formatDuration writes d for people: whole seconds ("45m0s"), or tenths
// below ten seconds ("0.1s", "3.5s").
func formatDuration(d time.Duration) string {
	if d < 10*time.Second {
		s := strconv.FormatFloat(d.Seconds(), 'f', 1, 64)
		return strings.TrimSuffix(s, ".0") + "s"
	}
	return d.Round(time.Second).String()
}

// formatBytes writes n in binary units ("1.5 GiB", "1000 bytes").
func formatBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " bytes"
	}
	v := float64(n)
	unit := ""
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB", "PiB"} {
		v /= 1024
		unit = u
		if v < 1024 {
			break
		}
	}
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + " " + unit
}
