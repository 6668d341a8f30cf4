package web

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// clientIP is the address a request came from, for login limits and the
// journal. Behind a reverse proxy every request comes from the proxy, so
// one guesser would lock everybody out: when the peer is one of
// Config.TrustedProxies, the client is the rightmost address of
// X-Forwarded-For that is not itself a trusted proxy. Addresses left of it
// were written by the client and could be anything (fiber's own choice is
// the leftmost, which a guesser forges to dodge the limit).
func (s *Server) clientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	if !ok || !s.trustedProxy(peer) {
		return c.Context().RemoteIP().String()
	}
	hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a garbled hop: nothing left of it can be trusted
		}
		if a = a.Unmap(); !s.trustedProxy(a) {
			return a.String()
		}
	}
	return peer.String()
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseProxies reads a comma-separated list of addresses and networks
// ("10.0.0.5, 192.168.1.0/24") for Config.TrustedProxies.
func ParseProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, err
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
