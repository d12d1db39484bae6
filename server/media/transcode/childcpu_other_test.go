//go:build !unix

package transcode

import (
	"testing"
	"time"
)

// childCPU is not measured here: x-realtime-per-cpu reads +Inf.
func childCPU(*testing.B) time.Duration { return 0 }
