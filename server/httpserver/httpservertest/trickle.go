package httpservertest

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

// Trickle writes b to conn every 50 ms (20 B/s, a slow-body attack) until
// the test ends or a write fails.
func Trickle(t testing.TB, conn net.Conn, b byte) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := conn.Write([]byte{b}); err != nil {
				return
			}
		}
	}()
}

// WantClosed fails t unless the next read from r shows the server closed the
// connection: EOF, or a reset when a trickled byte reached the closed socket
// first. An open connection shows as the read deadline instead.
func WantClosed(t testing.TB, r io.Reader, what string) {
	t.Helper()
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("connection still open after %s: %v", what, err)
	}
}
