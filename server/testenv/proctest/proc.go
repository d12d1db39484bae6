package proctest

import (
	"context"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// Proc is a child started so that it cannot outlive the test binary. Its
// methods are safe for concurrent use.
type Proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done is closed
}

// Spawn starts cmd in its own process group, so signals reach the server
// and anything it forked, and a ^C aimed at go test is handled by go test;
// with SIGKILL as its parent-death signal, so the kernel kills it when the
// test binary finishes, crashes or is killed by go test's -timeout.
//
// The kernel sends Pdeathsig when the *thread* that forked the child
// exits, not the process, and the Go runtime may retire threads. So the
// fork happens on a goroutine locked to its thread, and that goroutine
// stays there in Wait until the child is gone.
//
// A Credential already set on cmd.SysProcAttr is kept, so a server that
// refuses to run as root can be started as another user. The parent-death
// signal still holds: the child sets it after switching user, which would
// otherwise clear it.
func Spawn(cmd *exec.Cmd) (*Proc, error) {
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if cmd.SysProcAttr != nil {
		attr.Credential = cmd.SysProcAttr.Credential
	}
	cmd.SysProcAttr = attr
	p := &Proc{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread must live as long as the child
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// Pid is the child's process id (and its process group's).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed once the child has exited and been reaped.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is how the child exited (cmd.Wait's error); valid once Done is
// closed.
func (p *Proc) Err() error {
	<-p.done
	return p.err
}

// Exited reports whether the child has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Kill ends the whole process group and waits for the child to be reaped.
func (p *Proc) Kill() {
	if p.Exited() {
		return
	}
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	<-p.done
}

// Stop asks the process group to terminate (SIGTERM, so a server can
// drain or flush) and kills it if it has not exited after grace, or at
// once when ctx ends. It returns once the child is reaped, reporting
// whether it exited by itself.
func (p *Proc) Stop(ctx context.Context, grace time.Duration) (clean bool) {
	if p.Exited() {
		return true
	}
	_ = syscall.Kill(-p.Pid(), syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	p.Kill()
	return false
}

// Wait waits for the child to exit, killing it if ctx ends first.
func (p *Proc) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		p.Kill()
		return ctx.Err()
	}
}
