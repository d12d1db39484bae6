package cassandratest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// hostLease is an exclusive, cross-process claim on one loopback address.
// go test ./... runs package test binaries in parallel, and each may start
// its own Cassandra on the fixed ports, so two binaries must never pick the
// same address. The claim is an flock, which the kernel drops when the
// process dies, so a crashed test binary never leaves a stale claim behind.
type hostLease struct {
	host string
	f    *os.File
}

func (l *hostLease) release() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// leaseDir is machine-wide rather than per-user cache, because what the
// leases protect (addresses and ports) is machine-wide too.
func leaseDir() (string, error) {
	d := filepath.Join(os.TempDir(), "backbeat-cassandra-hosts")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("cassandratest: %w", err)
	}
	return d, nil
}

// tryLease claims host if no other process holds it and its ports are free.
// The port probe catches Cassandras (or anything else) not started through
// this package.
func tryLease(dir, host string) (*hostLease, error) {
	// flock needs no write access, so a lock file another user created
	// still works.
	f, err := os.OpenFile(filepath.Join(dir, host+".lock"), os.O_CREATE|os.O_RDONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cassandratest: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("cassandratest: %s is in use by another test process", host)
		}
		return nil, fmt.Errorf("cassandratest: lock %s: %w", host, err)
	}
	for _, port := range []int{NativePort, StoragePort} {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cassandratest: %s:%d is not free: %w", host, port, err)
		}
		ln.Close()
	}
	return &hostLease{host: host, f: f}, nil
}

// leaseHosts claims the requested hosts; empty entries get the lowest free
// address from 127.0.0.1 upwards, so a lone test run gets 127.0.0.1,
// 127.0.0.2, ... and concurrent runs step around each other.
func leaseHosts(want []string) ([]*hostLease, error) {
	dir, err := leaseDir()
	if err != nil {
		return nil, err
	}
	leases := make([]*hostLease, len(want))
	fail := func(err error) ([]*hostLease, error) {
		for _, l := range leases {
			l.release()
		}
		return nil, err
	}
	taken := map[string]bool{}
	for i, h := range want {
		if h == "" {
			continue
		}
		if ip := net.ParseIP(h); ip == nil || ip.To4() == nil || !ip.IsLoopback() {
			return fail(fmt.Errorf("cassandratest: node host %q must be an IPv4 loopback address (127.x.y.z)", h))
		}
		if taken[h] {
			return fail(fmt.Errorf("cassandratest: host %s listed twice", h))
		}
		l, err := tryLease(dir, h)
		if err != nil {
			return fail(err)
		}
		leases[i] = l
		taken[h] = true
	}
	next := 1
	for i, h := range want {
		if h != "" {
			continue
		}
		for ; leases[i] == nil; next++ {
			if next > 254 {
				return fail(errors.New("cassandratest: no free loopback address in 127.0.0.1-254"))
			}
			cand := "127.0.0." + strconv.Itoa(next)
			if taken[cand] {
				continue
			}
			if l, err := tryLease(dir, cand); err == nil {
				leases[i] = l
				taken[cand] = true
			}
		}
	}
	return leases, nil
}
