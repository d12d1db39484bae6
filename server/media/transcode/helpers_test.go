package transcode

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// needFFmpeg skips tests that run the real binaries when they are missing,
// and in -short mode: each takes seconds (tens under the race detector), and
// the quick tier must give the same result on a machine without ffmpeg.
func needFFmpeg(tb testing.TB) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("runs ffmpeg: skipped in -short mode")
	}
	for _, bin := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(bin); err != nil {
			tb.Skipf("%s not installed: %v", bin, err)
		}
	}
}

// gen runs ffmpeg to make a test input at dir/name.
func gen(tb testing.TB, dir, name string, args ...string) string {
	tb.Helper()
	out := filepath.Join(dir, name)
	full := append([]string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y"}, args...)
	full = append(full, out)
	if b, err := exec.Command("ffmpeg", full...).CombinedOutput(); err != nil {
		tb.Fatalf("ffmpeg %v: %v\n%s", full, err, b)
	}
	return out
}

// noisy makes secs of stereo music-like audio at 48 kHz: a tone over loud
// white noise that differs between channels, so AAC cannot save bits and
// every rung reaches its bit rate. Extra args go before the output name
// (codec, tags).
func noisy(tb testing.TB, dir, name string, secs float64, extra ...string) string {
	tb.Helper()
	d := strconv.FormatFloat(secs, 'f', -1, 64)
	graph := fmt.Sprintf("anoisesrc=d=%[1]s:c=white:a=0.4:r=48000:seed=1[n1];"+
		"anoisesrc=d=%[1]s:c=white:a=0.4:r=48000:seed=2[n2];"+
		"[n1][n2]join=inputs=2:channel_layout=stereo[n];"+
		"sine=f=440:d=%[1]s:r=48000,aformat=channel_layouts=stereo[s];"+
		"[n][s]amix=inputs=2:normalize=0", d)
	return gen(tb, dir, name, append([]string{"-filter_complex", graph}, extra...)...)
}

// tone makes secs of a 1 kHz sine of the given peak amplitude (full scale
// 1) on every channel.
func tone(tb testing.TB, dir, name string, secs, amp float64, channels int, extra ...string) string {
	tb.Helper()
	expr := fmt.Sprintf("%g*sin(2*PI*1000*t)", amp)
	exprs := make([]string, channels)
	for i := range exprs {
		exprs[i] = expr
	}
	src := fmt.Sprintf("aevalsrc=%s:s=48000:d=%g", strings.Join(exprs, "|"), secs)
	return gen(tb, dir, name, append([]string{"-f", "lavfi", "-i", src}, extra...)...)
}

type probed struct {
	Streams []struct {
		CodecType     string `json:"codec_type"`
		CodecName     string `json:"codec_name"`
		Profile       string `json:"profile"`
		SampleRate    string `json:"sample_rate"`
		Channels      int    `json:"channels"`
		ChannelLayout string `json:"channel_layout"`
		BitRate       string `json:"bit_rate"`
		Duration      string `json:"duration"`
	} `json:"streams"`
	Format struct {
		Duration string            `json:"duration"`
		BitRate  string            `json:"bit_rate"`
		Tags     map[string]string `json:"tags"`
	} `json:"format"`
}

func ffprobe(tb testing.TB, path string) probed {
	tb.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-of", "json", "-show_format", "-show_streams", path).Output()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probed
	if err := json.Unmarshal(out, &p); err != nil {
		tb.Fatal(err)
	}
	return p
}

// payloadBitRate is the audio payload's bit rate: the packets' sizes over
// the stream's duration.
func payloadBitRate(tb testing.TB, path string, secs float64) float64 {
	tb.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "a:0",
		"-show_entries", "packet=size", "-of", "csv=p=0", path).Output()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v", path, err)
	}
	var bytes float64
	for _, line := range strings.Fields(string(out)) {
		bytes += num(tb, strings.Trim(line, ","))
	}
	return bytes * 8 / secs
}

func num(tb testing.TB, s string) float64 {
	tb.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		tb.Fatalf("not a number: %q", s)
	}
	return f
}

// concat writes the init segment followed by the media segments to one
// file, as a player's buffer holds them.
func concat(tb testing.TB, dir, init string, segs []string, out string) string {
	tb.Helper()
	var buf bytes.Buffer
	for _, name := range append([]string{init}, segs...) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		buf.Write(b)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return out
}

// topBoxes lists an MP4 file's top-level box types in order.
func topBoxes(tb testing.TB, path string) []string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var types []string
	var off int64
	for {
		var hdr [16]byte
		if _, err := f.ReadAt(hdr[:8], off); err == io.EOF {
			return types
		} else if err != nil {
			tb.Fatal(err)
		}
		size := int64(binary.BigEndian.Uint32(hdr[:4]))
		types = append(types, string(hdr[4:8]))
		if size == 1 {
			if _, err := f.ReadAt(hdr[8:16], off+8); err != nil {
				tb.Fatal(err)
			}
			size = int64(binary.BigEndian.Uint64(hdr[8:16]))
		}
		if size < 8 {
			return types // box runs to the end of the file
		}
		off += size
	}
}

// procsWith lists the pids of live processes named comm whose command line
// contains marker (Linux only; nil elsewhere).
func procsWith(comm, marker string) []int {
	if runtime.GOOS != "linux" {
		return nil
	}
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if !alive(pid) {
			continue
		}
		c, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if strings.TrimSpace(string(c)) != comm {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if bytes.Contains(cmdline, []byte(marker)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// alive reports whether pid exists and is not a zombie (an unreaped zombie
// has died; in a container nobody may reap it).
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) S ...: the state follows the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	state := stat[i+2]
	return state != 'Z' && state != 'X'
}

// waitFor polls cond every 20ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func within(got, want, tol float64) bool { return got >= want-tol && got <= want+tol }
