package transcode

import (
	"os/exec"
	"runtime"
	"syscall"
)

// setProcAttr has the kernel SIGKILL the child when its parent dies, so an
// ffmpeg never outlives a server killed with -9.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// lockThread pins the calling goroutine to its OS thread until the returned
// func is called. Pdeathsig fires when the *thread* that forked the child
// exits, and the runtime ends a thread when a goroutine locked to it exits;
// holding the forking thread for the child's lifetime keeps any other
// goroutine from taking it over and ending it under a running ffmpeg.
func lockThread() func() {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}
