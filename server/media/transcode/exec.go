package transcode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// run runs one ffmpeg/ffprobe process in dir. Cancelling ctx kills it; on
// Linux it is also killed when this process dies (see procattr_linux.go).
func run(ctx context.Context, dir string, stdout, stderr io.Writer, name string, args ...string) error {
	return runFiles(ctx, dir, stdout, stderr, nil, name, args...)
}

// runFiles is run with extra open files handed to the child as fds 3, 4,
// ... (ffmpeg reads them as "pipe:3", ...).
func runFiles(ctx context.Context, dir string, stdout, stderr io.Writer, extra []*os.File, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.ExtraFiles = extra
	// Once the process is killed, do not wait long for its pipes.
	cmd.WaitDelay = 5 * time.Second
	setProcAttr(cmd)
	unlock := lockThread()
	defer unlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	err := cmd.Wait()
	if err != nil && ctx.Err() != nil {
		if cause := context.Cause(ctx); cause != ctx.Err() {
			return fmt.Errorf("%w: %w", ctx.Err(), cause)
		}
		return ctx.Err()
	}
	return err
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	buf     []byte
	dropped int64
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if len(p) >= t.max {
		t.dropped += int64(len(t.buf) + len(p) - t.max)
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.dropped += int64(over)
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// limitedBuffer holds up to max bytes and fails writes beyond that.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

var errOutputTooLarge = errors.New("output too large")

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if l.Len()+len(p) > l.max {
		return 0, errOutputTooLarge
	}
	return l.Buffer.Write(p)
}

// lastLines returns up to n of the last meaningful lines of an ffmpeg log,
// joined for an error message. Per-file "Opening ... for writing" chatter is
// left out.
func lastLines(log string, n int) string {
	var keep []string
	lines := strings.Split(log, "\n")
	for i := len(lines) - 1; i >= 0 && len(keep) < n; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.Contains(l, "' for writing") {
			continue
		}
		if len(l) > 300 {
			l = l[:300] + "..."
		}
		keep = append(keep, l)
	}
	for i, j := 0, len(keep)-1; i < j; i, j = i+1, j-1 {
		keep[i], keep[j] = keep[j], keep[i]
	}
	return strings.Join(keep, " | ")
}
