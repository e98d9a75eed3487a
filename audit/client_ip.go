package audit

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// A ClientIPStrategy decides which address the audit record calls the
// client (see [Config.ClientIP]). Headers such as X-Forwarded-For are written by
// whoever sends the request, so a strategy may only believe a header that a
// proxy it trusts has written; anything else would let a client choose the
// address that ends up in the audit trail.
//
// Pick exactly one strategy for your deployment:
//
//   - The server faces the internet directly: [RemoteAddr] (the default).
//   - Behind proxies or load balancers you can list by CIDR (your ingress,
//     your cloud load balancer's ranges): [RightmostUntrusted].
//   - Behind a CDN that overwrites one header with the client address
//     (Cloudflare's CF-Connecting-IP, an nginx that sets X-Real-IP) and whose
//     egress ranges you can list: [SingleHeader].
//
// Never use the leftmost X-Forwarded-For entry, True-Client-IP or similar
// headers your edge does not overwrite: the client writes them.
//
// ClientIP returns the zero netip.Addr when it cannot determine the client;
// the record then has no client.address, and network.peer.address still
// shows the TCP peer. Implementations must be safe for concurrent use, must
// not modify r, and should return addresses without a zone and with
// IPv4-mapped IPv6 addresses unmapped.
type ClientIPStrategy interface {
	ClientIP(r *http.Request) netip.Addr
}

// peerStrategy is implemented by the built-in strategies so that the
// middleware, which parses r.RemoteAddr for the record anyway, does not
// parse it twice.
type peerStrategy interface {
	clientIPFromPeer(r *http.Request, peer netip.Addr, ok bool) netip.Addr
}

// RemoteAddr returns the strategy that uses the TCP peer address
// (r.RemoteAddr) and ignores every header. It is right when clients connect
// to the server directly, and it is the default. Behind a proxy it records
// the proxy's address for every request; that is wrong but never spoofable.
func RemoteAddr() ClientIPStrategy { return remoteAddrStrategy{} }

type remoteAddrStrategy struct{}

func (remoteAddrStrategy) ClientIP(r *http.Request) netip.Addr {
	addr, _ := peerAddr(r.RemoteAddr)
	return addr
}

func (remoteAddrStrategy) clientIPFromPeer(_ *http.Request, peer netip.Addr, _ bool) netip.Addr {
	return peer
}

// RightmostUntrusted returns the strategy for servers behind one or more
// proxies whose addresses are in trustedCIDRs (CIDR prefixes such as
// "10.0.0.0/8" or single addresses such as "192.0.2.7"; IPv4 ranges must be
// written as IPv4).
//
// When the TCP peer is not trusted, it is the client and X-Forwarded-For is
// ignored: a client talking to the server directly cannot spoof its address.
// When the peer is trusted, every X-Forwarded-For header line is read, last
// line first, and each line's comma-separated entries right to left; the
// first entry that is not in a trusted range is the client. Entries are bare
// addresses, IPv4:port, [IPv6] or [IPv6]:port; zones are dropped and
// IPv4-mapped IPv6 addresses are unmapped before the trust check, so
// "::ffff:10.0.0.1" cannot pass for a trusted "10.0.0.1" or the other way
// round.
//
// It fails closed: a malformed entry (empty, "unknown", garbage) reached
// during the walk stops it with no client address, because everything to its
// left may have been written by the client; so do an empty or missing header
// and a header whose entries are all trusted.
//
// It returns an error wrapping [ErrInvalidCIDR] for a bad range and
// [ErrNoTrustedProxies] when trustedCIDRs is empty.
func RightmostUntrusted(trustedCIDRs ...string) (ClientIPStrategy, error) {
	trusted, err := parseTrusted(trustedCIDRs)
	if err != nil {
		return nil, err
	}
	return &rightmostUntrusted{trusted: trusted}, nil
}

type rightmostUntrusted struct{ trusted trustedSet }

func (s *rightmostUntrusted) ClientIP(r *http.Request) netip.Addr {
	peer, ok := peerAddr(r.RemoteAddr)
	return s.clientIPFromPeer(r, peer, ok)
}

func (s *rightmostUntrusted) clientIPFromPeer(r *http.Request, peer netip.Addr, ok bool) netip.Addr {
	if !ok {
		return netip.Addr{}
	}
	if !s.trusted.contains(peer) {
		return peer
	}
	addr, _ := rightmostUntrustedXFF(r.Header["X-Forwarded-For"], s.trusted.contains)
	return addr
}

// SingleHeader returns the strategy for a proxy or CDN that overwrites the
// header name with the client address on every request (CF-Connecting-IP,
// or X-Real-IP set by your own nginx). The header is honoured only when the
// TCP peer is in trustedCIDRs (list your CDN's or proxy's egress ranges);
// from any other peer the peer itself is the client and the header is
// ignored, so a client connecting directly cannot spoof it.
//
// From a trusted peer, the last line of the header is used; a missing,
// malformed or multi-valued (comma-separated) value yields no client
// address. Use it only with headers your edge overwrites: True-Client-IP,
// X-Azure-ClientIP and Fastly-Client-IP are often passed through from the
// client.
//
// It returns an error wrapping [ErrInvalidHeaderName], [ErrInvalidCIDR] or
// [ErrNoTrustedProxies].
func SingleHeader(name string, trustedCIDRs ...string) (ClientIPStrategy, error) {
	if !validHeaderName(name) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidHeaderName, name)
	}
	trusted, err := parseTrusted(trustedCIDRs)
	if err != nil {
		return nil, err
	}
	return &singleHeader{name: http.CanonicalHeaderKey(name), trusted: trusted}, nil
}

type singleHeader struct {
	name    string
	trusted trustedSet
}

func (s *singleHeader) ClientIP(r *http.Request) netip.Addr {
	peer, ok := peerAddr(r.RemoteAddr)
	return s.clientIPFromPeer(r, peer, ok)
}

func (s *singleHeader) clientIPFromPeer(r *http.Request, peer netip.Addr, ok bool) netip.Addr {
	if !ok {
		return netip.Addr{}
	}
	if !s.trusted.contains(peer) {
		return peer
	}
	lines := r.Header[s.name]
	if len(lines) == 0 {
		return netip.Addr{}
	}
	addr, _ := parseForwardedAddr(lines[len(lines)-1])
	return addr
}

// trustedSet is a list of trusted prefixes. Deployments trust a handful of
// ranges, so a linear scan beats anything cleverer.
type trustedSet []netip.Prefix

func (t trustedSet) contains(a netip.Addr) bool {
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func parseTrusted(cidrs []string) (trustedSet, error) {
	if len(cidrs) == 0 {
		return nil, ErrNoTrustedProxies
	}
	set := make(trustedSet, 0, len(cidrs))
	for _, s := range cidrs {
		s = strings.TrimSpace(s)
		var p netip.Prefix
		var err error
		if strings.Contains(s, "/") {
			p, err = netip.ParsePrefix(s)
		} else {
			var a netip.Addr
			a, err = netip.ParseAddr(s)
			if err == nil {
				if a.Zone() != "" {
					err = errors.New("zones are not allowed")
				} else {
					p = netip.PrefixFrom(a, a.BitLen())
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%w %q: %w", ErrInvalidCIDR, s, err)
		}
		if p.Addr().Is4In6() {
			return nil, fmt.Errorf("%w %q: write IPv4 ranges in IPv4 form (addresses are unmapped before matching)", ErrInvalidCIDR, s)
		}
		set = append(set, p.Masked())
	}
	return set, nil
}

// peerAddr parses r.RemoteAddr ("ip:port", or a bare ip) into an unmapped,
// zoneless address.
func peerAddr(remote string) (netip.Addr, bool) {
	ap, ok := parsePeer(remote)
	return ap.Addr(), ok
}

// parsePeer parses r.RemoteAddr into an unmapped, zoneless address and its
// port (0 when r.RemoteAddr has no port). ok is false when it is not an IP
// address (a Unix socket, say).
func parsePeer(remote string) (ap netip.AddrPort, ok bool) {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		a, err := netip.ParseAddr(remote)
		if err != nil {
			return netip.AddrPort{}, false
		}
		ap = netip.AddrPortFrom(a, 0)
	}
	return netip.AddrPortFrom(ap.Addr().WithZone("").Unmap(), ap.Port()), true
}

// rightmostUntrustedXFF walks X-Forwarded-For header lines right to left
// (last line first) and returns the first address for which trusted is
// false. ok is false, with the zero Addr, when an entry is malformed (the
// walk stops there: fail closed) or when every entry is trusted.
func rightmostUntrustedXFF(lines []string, trusted func(netip.Addr) bool) (addr netip.Addr, ok bool) {
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
		for {
			j := strings.LastIndexByte(line, ',')
			a, valid := parseForwardedAddr(line[j+1:])
			if !valid {
				return netip.Addr{}, false
			}
			if !trusted(a) {
				return a, true
			}
			if j < 0 {
				break
			}
			line = line[:j]
		}
	}
	return netip.Addr{}, false
}

// parseForwardedAddr parses one forwarded-address entry: optional
// surrounding spaces or tabs around a bare IPv4 or IPv6 address, IPv4:port,
// [IPv6] or [IPv6]:port. An IPv6 zone made of [A-Za-z0-9._~-] (at most 64
// characters) is accepted and dropped; any other zone is malformed. The result is
// unmapped. It allocates only for malformed input (netip's error value).
func parseForwardedAddr(s string) (netip.Addr, bool) {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	if s == "" {
		return netip.Addr{}, false
	}
	host := s
	v6Only := false
	switch {
	case s[0] == '[':
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.Addr{}, false
		}
		host, v6Only = s[1:end], true
		if rest := s[end+1:]; rest != "" && (rest[0] != ':' || !validPort(rest[1:])) {
			return netip.Addr{}, false
		}
	case strings.Count(s, ":") == 1:
		var port string
		host, port, _ = strings.Cut(s, ":")
		if !validPort(port) || strings.IndexByte(host, '.') < 0 {
			return netip.Addr{}, false
		}
	}
	if i := strings.IndexByte(host, '%'); i >= 0 {
		// Zones only exist on IPv6 addresses and name an interface; drop
		// them before parsing so hostile zone strings are never interned.
		if strings.IndexByte(host[:i], ':') < 0 || !validZone(host[i+1:]) {
			return netip.Addr{}, false
		}
		host = host[:i]
	}
	a, err := netip.ParseAddr(host)
	if err != nil || (v6Only && !a.Is6()) {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// validZone reports whether z is a plausible IPv6 zone: an interface name
// or index, 1 to 64 characters from [A-Za-z0-9._~-].
func validZone(z string) bool {
	return len(z) <= 64 && validRequestID(z)
}

// validPort reports whether s is a non-empty string of decimal digits whose
// value is at most 65535 (leading zeros allowed, as strconv.ParseUint
// allows them).
func validPort(s string) bool {
	if s == "" {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return false
		}
	}
	return true
}

// validHeaderName reports whether s is a non-empty RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
