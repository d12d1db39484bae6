package transcode

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/backbeat/backbeat/server/domain"
)

// absoluteGateLUFS is EBU R128's absolute gate: ffmpeg reports an integrated
// loudness of exactly this when no 400ms block rose above it (silence, or
// under 400ms of audio).
const absoluteGateLUFS = -70.0

var (
	reIntegrated = regexp.MustCompile(`(?m)^\s*I:\s+(\S+)\s+LUFS\s*$`)
	reRange      = regexp.MustCompile(`(?m)^\s*LRA:\s+(\S+)\s+LU\s*$`)
	rePeak       = regexp.MustCompile(`(?m)^\s*Peak:\s+(\S+)\s+dBFS\s*$`)
)

var errNoSummary = errors.New("no ebur128 summary in ffmpeg's log")

// parseLoudness reads the last summary the ebur128 filter logged:
//
//	[Parsed_ebur128_3 @ 0x...] Summary:
//
//	  Integrated loudness:
//	    I:         -26.2 LUFS
//	    Threshold: -36.2 LUFS
//
//	  Loudness range:
//	    LRA:         0.1 LU
//	    ...
//
//	  True peak:
//	    Peak:      -17.7 dBFS
func parseLoudness(log string) (domain.Loudness, error) {
	i := strings.LastIndex(log, "] Summary:")
	if i < 0 {
		return domain.Loudness{}, errNoSummary
	}
	s := log[i:]
	var l domain.Loudness
	for _, f := range []struct {
		re  *regexp.Regexp
		dst *float64
	}{
		{reIntegrated, &l.IntegratedLUFS},
		{reRange, &l.RangeLU},
		{rePeak, &l.TruePeakDBTP},
	} {
		m := f.re.FindStringSubmatch(s)
		if m == nil {
			return l, fmt.Errorf("ebur128 summary lacks %s", f.re)
		}
		v, err := strconv.ParseFloat(m[1], 64) // also reads "-inf"
		if err != nil {
			return l, fmt.Errorf("ebur128 summary: bad value %q", m[1])
		}
		*f.dst = v
	}
	return l, nil
}
