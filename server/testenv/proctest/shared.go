package proctest

import (
	"os"
	"sync"
	"testing"
)

// Enabled reports whether the tests the variable env switches on should
// run: it must be "1". Tests that start a real server are opt-in, so a
// plain "go test ./..." needs none of them.
func Enabled(env string) bool { return os.Getenv(env) == "1" }

// SkipUnless skips t unless env is "1", saying what the test needs.
func SkipUnless(t testing.TB, env, needs string) {
	t.Helper()
	if !Enabled(env) {
		t.Skipf("needs %s: set %s=1 to run", needs, env)
	}
}

// Shared is a server started on first use and kept for the rest of the
// test binary: starting one per test would cost more than the tests.
// Nothing closes it; Spawn's parent-death signal ends it with the binary.
type Shared[T any] struct {
	once sync.Once
	v    T
	err  error
}

// Get returns the server, starting it with start on the first call; every
// later call gets the same server, or the same error.
func (s *Shared[T]) Get(start func() (T, error)) (T, error) {
	s.once.Do(func() { s.v, s.err = start() })
	return s.v, s.err
}
