package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backbeat/backbeat/server/app/apptest"
)

// procStatusKB reads a "Vm..." field of /proc/<pid>/status, in KiB.
func procStatusKB(t *testing.T, pid int, field string) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatalf("%s: %v", field, err)
			}
			return kb
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// TestDecompressionBombRSS sends the decompression bomb (256 MiB of zeros
// in about 255 KB of gzip), with no token, to health, reflection v1 and
// v1alpha, Login and a protected RPC, over gRPC and Connect, two of each at
// once, to the real binary, and two to the protected RPC with a token. Every one is refused and the server's peak RSS
// stays within 64 MiB of what it was before. On main the process went from
// 80 MB to 1.8 GB on one request to health.
func TestDecompressionBombRSS(t *testing.T) {
	s := startServer(t, t.TempDir())
	pid := s.cmd.Process.Pid
	hc := apptest.H2CClient()
	defer hc.CloseIdleConnections()
	// One ordinary request first, so the connection is up, then reset the
	// peak ("5" to clear_refs: VmHWM = VmRSS).
	discovery(t, hc, s)
	token, _ := apptest.Register(t, anon(s), "bomber")
	time.Sleep(500 * time.Millisecond)
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		t.Fatalf("reset peak RSS: %v", err)
	}
	base := procStatusKB(t, pid, "VmRSS")

	var wg sync.WaitGroup
	for _, b := range apptest.Bombs {
		for range 2 {
			wg.Go(func() { b.Send(t, hc, s.URL()) })
		}
	}
	for range 2 { // with a token, a bomb is refused at the message cap
		wg.Go(func() { apptest.SearchBomb.SendAs(t, hc, s.URL(), token) })
	}
	wg.Wait()

	peak := procStatusKB(t, pid, "VmHWM")
	t.Logf("server RSS before the bombs %d MiB, peak under them %d MiB (+%d MiB) for %d requests of up to %d MiB inflated",
		base>>10, peak>>10, (peak-base)>>10, 2*len(apptest.Bombs)+2, apptest.BombSize>>20)
	if grew := peak - base; grew > 64<<10 {
		t.Errorf("peak RSS grew by %d MiB under the bombs, want < 64 MiB", grew>>10)
	}
	discovery(t, hc, s) // still serving
}

// discovery fetches the embedded issuer's discovery document.
func discovery(t *testing.T, hc *http.Client, s *server) {
	t.Helper()
	res, err := hc.Get(s.URL() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("discovery: HTTP %d", res.StatusCode)
	}
}
