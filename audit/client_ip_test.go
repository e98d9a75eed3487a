package audit_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/audit"
)

func clientIPOf(s audit.ClientIPStrategy, remote string, header string, values ...string) netip.Addr {
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = remote
	for _, v := range values {
		req.Header.Add(header, v)
	}
	return s.ClientIP(req)
}

// strategy returns a function that returns a constructor's strategy,
// failing the test on its error: strategy(t)(audit.RightmostUntrusted(…)).
func strategy(t testing.TB) func(audit.ClientIPStrategy, error) audit.ClientIPStrategy {
	return func(s audit.ClientIPStrategy, err error) audit.ClientIPStrategy {
		t.Helper()
		require.NoError(t, err)
		return s
	}
}

func addr(s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	return netip.MustParseAddr(s)
}

func TestRemoteAddrStrategy(t *testing.T) {
	s := audit.RemoteAddr()
	for _, tc := range []struct{ remote, want string }{
		{"203.0.113.9:1234", "203.0.113.9"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"[::ffff:203.0.113.9]:1234", "203.0.113.9"}, // unmapped
		{"[fe80::1%eth0]:1234", "fe80::1"},           // zone dropped
		{"203.0.113.9", "203.0.113.9"},               // no port
		{"@", ""},                                    // unix socket
		{"", ""},
	} {
		// Headers are never consulted.
		got := clientIPOf(s, tc.remote, "X-Forwarded-For", "198.51.100.1")
		assert.Equal(t, addr(tc.want), got, "RemoteAddr %q", tc.remote)
	}
}

// TestRightmostUntrustedHostile runs hostile and malformed X-Forwarded-For
// values against a deployment trusting 10.0.0.0/8 and fd00::/8.
func TestRightmostUntrustedHostile(t *testing.T) {
	s, err := audit.RightmostUntrusted("10.0.0.0/8", "fd00::/8", "192.0.2.7")
	require.NoError(t, err)
	const proxy = "10.0.0.2:5000"
	for _, tc := range []struct {
		name   string
		remote string
		xff    []string // header lines
		want   string   // "" means no client address
	}{
		// Untrusted peers: the header is never believed.
		{"direct client spoofs public", "203.0.113.9:1", []string{"198.51.100.1"}, "203.0.113.9"},
		{"direct client spoofs trusted", "203.0.113.9:1", []string{"10.0.0.1"}, "203.0.113.9"},
		{"direct client spoofs garbage", "203.0.113.9:1", []string{"garbage"}, "203.0.113.9"},
		{"direct IPv6 client", "[2001:db8::9]:1", []string{"198.51.100.1"}, "2001:db8::9"},
		{"peer mapped, untrusted", "[::ffff:203.0.113.9]:1", []string{"198.51.100.1"}, "203.0.113.9"},

		// Trusted peers.
		{"one hop", proxy, []string{"198.51.100.1"}, "198.51.100.1"},
		{"spoofed left entries ignored", proxy, []string{"6.6.6.6, 1.1.1.1, 198.51.100.1"}, "198.51.100.1"},
		{"trusted hops skipped", proxy, []string{"198.51.100.1, 10.0.0.3, 10.1.2.3"}, "198.51.100.1"},
		{"single trusted address", proxy, []string{"198.51.100.1, 192.0.2.7"}, "198.51.100.1"},
		{"garbage left of client not reached", proxy, []string{"garbage, 198.51.100.1"}, "198.51.100.1"},
		{"malformed hop fails closed", proxy, []string{"198.51.100.1, garbage"}, ""},
		{"unknown fails closed", proxy, []string{"198.51.100.1, unknown, 10.0.0.3"}, ""},
		{"obfuscated fails closed", proxy, []string{"198.51.100.1, _hidden"}, ""},
		{"empty element fails closed", proxy, []string{"198.51.100.1,,10.0.0.3"}, ""},
		{"trailing comma fails closed", proxy, []string{"198.51.100.1,"}, ""},
		{"empty header", proxy, []string{""}, ""},
		{"missing header", proxy, nil, ""},
		{"all trusted", proxy, []string{"10.0.0.5, 10.0.0.6"}, ""},
		{"peer mapped, trusted", "[::ffff:10.0.0.2]:1", []string{"198.51.100.1"}, "198.51.100.1"},
		{"IPv6 peer trusted", "[fd00::1]:443", []string{"2001:db8::5"}, "2001:db8::5"},
		{"IPv6 hops", proxy, []string{"2001:db8::5, fd00::1, fd12::3"}, "2001:db8::5"},

		// Several header lines are one list, last line rightmost.
		{"lines: client on last line", proxy, []string{"6.6.6.6", "198.51.100.1, 10.0.0.3"}, "198.51.100.1"},
		{"lines: walk crosses lines", proxy, []string{"198.51.100.1", "10.0.0.3"}, "198.51.100.1"},
		{"lines: empty last line fails closed", proxy, []string{"198.51.100.1", ""}, ""},
		{"lines: garbage on earlier line not reached", proxy, []string{"garbage", "198.51.100.1"}, "198.51.100.1"},

		// IPv4-mapped IPv6 is unmapped before the trust check.
		{"mapped trusted hop skipped", proxy, []string{"198.51.100.1, ::ffff:10.0.0.9"}, "198.51.100.1"},
		{"mapped alone is trusted", proxy, []string{"::ffff:10.0.0.9"}, ""},
		{"mapped client unmapped", proxy, []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"bracketed mapped", proxy, []string{"[::ffff:198.51.100.1]:80"}, "198.51.100.1"},

		// Accepted forms.
		{"IPv4 with port", proxy, []string{"198.51.100.1:5555"}, "198.51.100.1"},
		{"IPv6 in brackets", proxy, []string{"[2001:db8::1]"}, "2001:db8::1"},
		{"IPv6 in brackets with port", proxy, []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"bare IPv6", proxy, []string{"2001:db8::1"}, "2001:db8::1"},
		{"zone dropped", proxy, []string{"fe80::1%eth0"}, "fe80::1"},
		{"spaces and tabs", proxy, []string{" \t198.51.100.1 \t, 10.0.0.3 "}, "198.51.100.1"},

		// Malformed forms.
		{"IPv4 in brackets", proxy, []string{"[198.51.100.1]"}, ""},
		{"port out of range", proxy, []string{"198.51.100.1:65536"}, ""},
		{"empty port", proxy, []string{"198.51.100.1:"}, ""},
		{"signed port", proxy, []string{"198.51.100.1:+80"}, ""},
		{"zone on IPv4", proxy, []string{"198.51.100.1%eth0"}, ""},
		{"empty zone", proxy, []string{"fe80::1%"}, ""},
		{"bracket in zone", proxy, []string{"[::1%]]"}, ""},
		{"percent in zone", proxy, []string{"fe80::1%eth0%1"}, ""},
		{"zone in brackets", proxy, []string{"[fe80::1%25]:443"}, "fe80::1"},
		{"leading zeros", proxy, []string{"010.000.000.001"}, ""},
		{"hostname", proxy, []string{"evil.example"}, ""},
		{"NUL byte", proxy, []string{"198.51.100.1\x00"}, ""},
		{"unclosed bracket", proxy, []string{"[2001:db8::1"}, ""},
		{"junk after bracket", proxy, []string{"[2001:db8::1]x"}, ""},
		{"CIDR", proxy, []string{"198.51.100.0/24"}, ""},
		{"Forwarded syntax", proxy, []string{"for=198.51.100.1"}, ""},

		// Unparseable peer: nothing can be trusted.
		{"unix socket peer", "@", []string{"198.51.100.1"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, addr(tc.want), clientIPOf(s, tc.remote, "X-Forwarded-For", tc.xff...))
		})
	}
}

func TestRightmostUntrustedLongChain(t *testing.T) {
	s := strategy(t)(audit.RightmostUntrusted("10.0.0.0/8"))
	hops := strings.Repeat("10.1.1.1, ", 500)
	assert.Equal(t, addr("198.51.100.1"), clientIPOf(s, "10.0.0.2:1", "X-Forwarded-For", "198.51.100.1, "+hops+"10.0.0.9"))
}

func TestSingleHeaderHostile(t *testing.T) {
	s, err := audit.SingleHeader("cf-connecting-ip", "173.245.48.0/20", "2400:cb00::/32")
	require.NoError(t, err)
	const cdn = "173.245.48.10:443"
	for _, tc := range []struct {
		name, remote string
		values       []string
		want         string
	}{
		{"untrusted peer spoofs header", "203.0.113.9:1", []string{"198.51.100.1"}, "203.0.113.9"},
		{"untrusted peer, no header", "203.0.113.9:1", nil, "203.0.113.9"},
		{"trusted peer", cdn, []string{"198.51.100.1"}, "198.51.100.1"},
		{"trusted IPv6 peer, IPv6 client", "[2400:cb00::1]:443", []string{"2001:db8::1"}, "2001:db8::1"},
		{"mapped client unmapped", cdn, []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"last line wins", cdn, []string{"6.6.6.6", "198.51.100.1"}, "198.51.100.1"},
		{"trusted peer, no header", cdn, nil, ""},
		{"list value rejected", cdn, []string{"6.6.6.6, 198.51.100.1"}, ""},
		{"garbage", cdn, []string{"garbage"}, ""},
		{"empty", cdn, []string{""}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, addr(tc.want), clientIPOf(s, tc.remote, "CF-Connecting-IP", tc.values...))
		})
	}
}

func TestStrategyConstructorErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		make func() (audit.ClientIPStrategy, error)
	}{
		{"no ranges", audit.ErrNoTrustedProxies, func() (audit.ClientIPStrategy, error) { return audit.RightmostUntrusted() }},
		{"bad prefix length", audit.ErrInvalidCIDR, func() (audit.ClientIPStrategy, error) { return audit.RightmostUntrusted("10.0.0.0/33") }},
		{"not an address", audit.ErrInvalidCIDR, func() (audit.ClientIPStrategy, error) {
			return audit.RightmostUntrusted("10.0.0.0/8", "proxy.internal")
		}},
		{"empty string", audit.ErrInvalidCIDR, func() (audit.ClientIPStrategy, error) { return audit.RightmostUntrusted("") }},
		{"mapped prefix", audit.ErrInvalidCIDR, func() (audit.ClientIPStrategy, error) { return audit.RightmostUntrusted("::ffff:10.0.0.0/104") }},
		{"mapped address", audit.ErrInvalidCIDR, func() (audit.ClientIPStrategy, error) { return audit.RightmostUntrusted("::ffff:10.0.0.1") }},
		{"zone", audit.ErrInvalidCIDR, func() (audit.ClientIPStrategy, error) { return audit.RightmostUntrusted("fe80::1%eth0") }},
		{"header: no ranges", audit.ErrNoTrustedProxies, func() (audit.ClientIPStrategy, error) { return audit.SingleHeader("X-Real-IP") }},
		{"header: empty name", audit.ErrInvalidHeaderName, func() (audit.ClientIPStrategy, error) { return audit.SingleHeader("", "10.0.0.0/8") }},
		{"header: bad name", audit.ErrInvalidHeaderName, func() (audit.ClientIPStrategy, error) { return audit.SingleHeader("X Real IP", "10.0.0.0/8") }},
		{"header: bad range", audit.ErrInvalidCIDR, func() (audit.ClientIPStrategy, error) { return audit.SingleHeader("X-Real-IP", "nope") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.make()
			assert.ErrorIs(t, err, tc.err)
			assert.Nil(t, s)
		})
	}
}

func TestStrategyConstructorNormalizes(t *testing.T) {
	// A non-canonical prefix is masked, and spaces are trimmed.
	s := strategy(t)(audit.RightmostUntrusted(" 10.1.2.3/8 "))
	assert.Equal(t, addr("198.51.100.1"), clientIPOf(s, "10.200.0.1:1", "X-Forwarded-For", "198.51.100.1"))
}

// TestSpoofedHeaderThroughMiddleware is the end-to-end guarantee: whatever
// an untrusted peer puts in forwarding headers, the record shows the peer.
func TestSpoofedHeaderThroughMiddleware(t *testing.T) {
	strategies := map[string]audit.ClientIPStrategy{
		"RemoteAddr":         audit.RemoteAddr(),
		"RightmostUntrusted": strategy(t)(audit.RightmostUntrusted("10.0.0.0/8")),
		"SingleHeader":       strategy(t)(audit.SingleHeader("X-Forwarded-For", "10.0.0.0/8")),
	}
	spoofs := []string{"10.0.0.1", "198.51.100.1", "::ffff:10.0.0.1", "127.0.0.1, 10.0.0.1", "garbage", ""}
	for name, s := range strategies {
		for _, spoof := range spoofs {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = "203.0.113.9:4444"
			req.Header.Set("X-Forwarded-For", spoof)
			req.Header.Set("X-Real-IP", spoof)
			got, _ := record(t, http.NotFoundHandler(), req, audit.Config{ClientIP: s})
			assert.Equal(t, addr("203.0.113.9"), got.ClientIP, "%s with X-Forwarded-For %q: want the peer", name, spoof)
		}
	}
}
