package proctest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLockExcludesAndHonoursContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".lock")
	unlock, err := Lock(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file, so a second open in the same
	// process contends like another process would.
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := Lock(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Lock while held: %v, want a deadline error", err)
	}
	unlock()
	unlock2, err := Lock(t.Context(), path)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	unlock2()
}

func TestProcStopKillAndWait(t *testing.T) {
	// A child that ignores SIGTERM is killed after the grace period, and
	// so is whatever it forked (the whole process group).
	ready := filepath.Join(t.TempDir(), "ready")
	p, err := Spawn(exec.Command("sh", "-c", `trap "" TERM; sleep 60 & touch "$0"; wait`, ready))
	if err != nil {
		t.Fatal(err)
	}
	for !Exists(ready) { // the trap is set
		time.Sleep(10 * time.Millisecond)
	}
	began := time.Now()
	if p.Stop(t.Context(), 200*time.Millisecond) {
		t.Error("Stop reported a clean exit for a child that ignores SIGTERM")
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("Stop took %s", d)
	}
	if !p.Exited() || p.Err() == nil {
		t.Errorf("after Stop: exited %v, err %v", p.Exited(), p.Err())
	}

	p, err = Spawn(exec.Command("sleep", "60"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Stop(t.Context(), 10*time.Second) {
		t.Error("Stop killed a child that exits on SIGTERM")
	}

	p, err = Spawn(exec.Command("sleep", "60"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := p.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait past ctx: %v", err)
	}
	if !p.Exited() {
		t.Error("Wait left the child running when ctx ended")
	}
	p.Kill() // a no-op once exited

	if p, err := Spawn(exec.Command("true")); err != nil || p.Wait(t.Context()) != nil {
		t.Errorf("true: %v", err)
	}
	if _, err := Spawn(exec.Command(filepath.Join(t.TempDir(), "missing"))); err == nil {
		t.Error("Spawn of a missing binary succeeded")
	}
}

func TestRunDirRemovesOnlyDeadOwners(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	base := "proctest-" + t.Name()
	root := filepath.Join(os.TempDir(), base)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadDir := filepath.Join(root, "run-"+strconv.Itoa(dead.Process.Pid)+"-1")
	liveDir := filepath.Join(root, "run-"+strconv.Itoa(os.Getppid())+"-1")
	for _, d := range []string{deadDir, liveDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := RunDir(base)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(dir), "run-"+strconv.Itoa(os.Getpid())+"-") || filepath.Dir(dir) != root {
		t.Errorf("RunDir = %s", dir)
	}
	if Exists(deadDir) || !Exists(liveDir) {
		t.Errorf("dead owner's dir kept %v, live owner's dir kept %v", Exists(deadDir), Exists(liveDir))
	}
}

func TestLogTailAndFilterEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	var b strings.Builder
	for i := range 100_000 {
		b.WriteString("line " + strconv.Itoa(i) + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := LogTail(path, 2); got != "line 99998\nline 99999" {
		t.Errorf("LogTail = %q", got)
	}
	if got := LogTail(filepath.Join(t.TempDir(), "none"), 2); !strings.HasPrefix(got, "(no log: ") {
		t.Errorf("LogTail of a missing file = %q", got)
	}
	env := FilterEnv([]string{"A=1", "JAVA_TOOL_OPTIONS=-X", "B=x=y"}, func(n string) bool { return n != "JAVA_TOOL_OPTIONS" })
	if strings.Join(env, " ") != "A=1 B=x=y" {
		t.Errorf("FilterEnv = %q", env)
	}
}
