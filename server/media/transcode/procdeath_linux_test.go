package transcode

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

const (
	helperIn  = "BACKBEAT_TRANSCODE_HELPER_IN"
	helperOut = "BACKBEAT_TRANSCODE_HELPER_OUT"
)

// TestHelperTranscode is the process TestParentDeathKillsFFmpeg kills; it
// does nothing in a normal run.
func TestHelperTranscode(t *testing.T) {
	in := os.Getenv(helperIn)
	if in == "" {
		t.Skip("helper process for TestParentDeathKillsFFmpeg")
	}
	New(Config{}).Transcode(context.Background(), in, os.Getenv(helperOut))
}

// A server killed with -9 mid-transcode takes its ffmpeg with it.
func TestParentDeathKillsFFmpeg(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	in := noisy(t, dir, "orphan-input.flac", 120)
	helper := exec.Command(os.Args[0], "-test.run=^TestHelperTranscode$", "-test.count=1")
	helper.Env = append(os.Environ(), helperIn+"="+in, helperOut+"="+filepath.Join(dir, "out"))
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		helper.Process.Kill()
		helper.Wait()
	}()
	var pid int
	if !waitFor(20*time.Second, func() bool {
		if pids := procsWith("ffmpeg", in); len(pids) > 0 {
			pid = pids[0]
		}
		return pid != 0
	}) {
		t.Fatal("the helper never started ffmpeg")
	}
	if ppid := parentOf(t, pid); ppid != helper.Process.Pid {
		t.Fatalf("ffmpeg %d has parent %d, want the helper %d", pid, ppid, helper.Process.Pid)
	}
	time.Sleep(200 * time.Millisecond)
	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	helper.Wait()
	if !waitFor(5*time.Second, func() bool { return !alive(pid) }) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("ffmpeg %d outlived its parent", pid)
	}
}

func parentOf(t *testing.T, pid int) int {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// pid (comm) state ppid ...
	fields := bytes.Fields(stat[bytes.LastIndexByte(stat, ')')+1:])
	ppid, err := strconv.Atoi(string(fields[1]))
	if err != nil {
		t.Fatal(err)
	}
	return ppid
}
