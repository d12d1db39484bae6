// Package netcut is a TCP proxy a test can cut and restore, to take a
// dependency (OpenSearch, say) away from a server and bring it back on the
// same address without stopping the dependency itself: an outage as the
// server sees it, costing no restart.
package netcut

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards each connection to its target until cut.
type Proxy struct {
	addr, target string

	mu    sync.Mutex
	l     net.Listener
	conns []net.Conn
}

// Start listens on a free loopback port and forwards to target (host:port);
// the proxy is cut when the test ends.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{addr: l.Addr().String(), target: target}
	p.serve(l)
	t.Cleanup(p.Cut)
	return p
}

// Addr is the proxy's host:port, stable across Cut and Restore.
func (p *Proxy) Addr() string { return p.addr }

// Cut refuses new connections and closes the open ones.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		p.l.Close()
		p.l = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Restore listens again on the same address.
func (p *Proxy) Restore(t testing.TB) {
	t.Helper()
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("netcut: listen again on %s: %v", p.addr, err)
	}
	p.serve(l)
}

func (p *Proxy) serve(l net.Listener) {
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}
