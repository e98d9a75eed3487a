package jwks

import "net"

// IsLoopback reports whether host names this machine's loopback interface: the name
// "localhost" in any ASCII case, or an IP address literal in 127.0.0.0/8 or ::1 (an
// IPv4-mapped IPv6 form of a 127.0.0.0/8 address, such as "::ffff:127.0.0.1", counts).
//
// host is a bare host, as [net/url.URL.Hostname] returns it: no port, no brackets around
// an IPv6 address. Everything else is not loopback: "localhost." (an absolute DNS name,
// which some resolvers send to DNS), subdomains of localhost, non-ASCII look-alikes that
// Unicode case folding would match ("localhoſt"), IPv6 zones ("::1%lo"), and the
// shorthand or octal IPv4 forms some resolvers accept ("127.1", "0177.0.0.1").
//
// authkit uses it wherever plain http is allowed on the local machine only (a JWKS or
// issuer URL for tests and development), and the example server for its dev endpoints.
func IsLoopback(host string) bool {
	if asciiEqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host) // dotted quads and IPv6 only; never zones, never leading zeros
	return ip != nil && ip.IsLoopback()
}

// asciiEqualFold reports whether s equals lower, a lower-case ASCII string, ignoring ASCII
// case only (strings.EqualFold also folds Unicode: "ſ" would match "s").
func asciiEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
