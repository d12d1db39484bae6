package app

import "testing"

// TestRoleTranscodes pins which processes take transcode jobs: an API-only
// replica never does, whatever --transcode-workers says, so its pods'
// CPU goes to RPCs and the worker Deployment scales on the queue alone.
func TestRoleTranscodes(t *testing.T) {
	for _, tc := range []struct {
		role    string
		workers int
		want    bool
	}{
		{RoleAll, 1, true}, {RoleAll, 0, false}, {RoleAPI, 4, false}, {RoleWorker, 2, true},
	} {
		c := Defaults()
		c.Role, c.Media.Workers = tc.role, tc.workers
		if got := c.transcodes(); got != tc.want {
			t.Errorf("role %s with %d workers: transcodes = %v, want %v", tc.role, tc.workers, got, tc.want)
		}
	}
}
