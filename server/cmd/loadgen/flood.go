package main

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"

	userv1 "github.com/backbeat/backbeat/gen/go/backbeat/user/v1"
	"github.com/backbeat/backbeat/gen/go/backbeat/user/v1/userv1connect"
)

// floodStats counts what a Login flood got back.
type floodStats struct {
	calls, refused, checked atomic.Int64
}

// floodLogins sends wrong-password Logins for login from conns connections
// (each its own HTTP/1.1 connection, as many attackers' clients are), back to
// back, until ctx ends. It is the load the limiter must keep away from other
// users; its calls are never measured.
func floodLogins(ctx context.Context, url, login string, conns int) (*floodStats, func()) {
	st := &floodStats{}
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			c := userv1connect.NewUserServiceClient(hc, url)
			for ctx.Err() == nil {
				_, err := c.Login(ctx, connect.NewRequest(&userv1.LoginRequest{Login: login, Password: "not the password"}))
				st.calls.Add(1)
				switch connect.CodeOf(err) {
				case connect.CodeResourceExhausted, connect.CodeUnavailable:
					st.refused.Add(1)
				case connect.CodeUnauthenticated:
					st.checked.Add(1)
				}
			}
		})
	}
	return st, wg.Wait
}

// fromAddr is a transport whose connections leave from the local address ip
// (any of 127.0.0.0/8 on Linux), so the measured user is another client
// address than the flood.
func fromAddr(t *http.Transport, ip string) *http.Transport {
	if ip == "" {
		return t
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	t.DialContext = d.DialContext
	return t
}
