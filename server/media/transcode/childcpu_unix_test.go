//go:build unix

package transcode

import (
	"syscall"
	"testing"
	"time"
)

// childCPU is the user and system time of this process's finished
// children (the ffmpegs and ffprobes of the benchmark).
func childCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
