package ratelimit

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies (load balancers) trusted to say who their
// client is in X-Forwarded-For. Without any, the client address is the
// connection's peer and the header is ignored: anyone can write it.
type Proxies []netip.Prefix

// ParseProxies reads a list of CIDRs ("10.0.0.0/8") or single addresses.
func ParseProxies(list []string) (Proxies, error) {
	var out Proxies
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("want a CIDR like 10.0.0.0/8 or an address, got %q", s)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("want a CIDR like 10.0.0.0/8 or an address, got %q", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (ps Proxies) trusted(a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr is who sent r: the peer address, or, when the peer is a
// trusted proxy, the right-most address in X-Forwarded-For that is not a
// trusted proxy itself (the left part of the header is the client's to
// write, so it is never believed).
func (ps Proxies) ClientAddr(r *http.Request) netip.Addr {
	peer := peerAddr(r.RemoteAddr)
	if !peer.IsValid() || len(ps) == 0 || !ps.trusted(peer) {
		return peer
	}
	hops := r.Header.Values("X-Forwarded-For")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return client // garbage: stop at the last hop we could read
			}
			client = a.Unmap()
			if !ps.trusted(client) {
				return client
			}
		}
	}
	return client
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// AddrKey is the key an address is counted under: an IPv4 address alone,
// an IPv6 address by its /64, the block one subscriber usually holds whole
// (counting single IPv6 addresses would let one host take 2^64 budgets).
func AddrKey(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}

type addrKey struct{}

// WithAddr records the client address key in ctx.
func WithAddr(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, addrKey{}, key)
}

// AddrFrom is the client address key Middleware recorded ("" when none).
func AddrFrom(ctx context.Context) string {
	s, _ := ctx.Value(addrKey{}).(string)
	return s
}
