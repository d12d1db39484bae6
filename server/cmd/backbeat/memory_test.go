package main

import (
	"log/slog"
	"runtime/debug"
	"testing"
)

// TestTuneGC: serve lowers the collector's target unless the operator set
// GOGC or GOMEMLIMIT, whose choice stands.
func TestTuneGC(t *testing.T) {
	orig := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(orig) })
	log := slog.New(slog.DiscardHandler)
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	for _, set := range []string{"GOGC", "GOMEMLIMIT"} {
		debug.SetGCPercent(100)
		tuneGC(env(map[string]string{set: "200"}), log)
		if got := debug.SetGCPercent(100); got != 100 {
			t.Errorf("with %s set: GC percent %d, want the environment's (100 here)", set, got)
		}
	}
	tuneGC(env(nil), log)
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Errorf("no environment: GC percent %d, want %d", got, serveGCPercent)
	}
}
