package audit

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fuzzTrusted = trustedSet{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("fd00::/8"),
	netip.MustParsePrefix("192.0.2.7/32"),
}

var zoneRE = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,64}$`)

// refParse is an independent reference for parseForwardedAddr, built on
// netip's own parsers.
func refParse(s string) (netip.Addr, bool) {
	s = strings.Trim(s, " \t")
	var a netip.Addr
	if pa, err := netip.ParseAddr(s); err == nil {
		a = pa
	} else if ap, err := netip.ParseAddrPort(s); err == nil {
		a = ap.Addr()
	} else if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		if pa, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil && pa.Is6() {
			a = pa
		}
	}
	if !a.IsValid() || (a.Zone() != "" && !zoneRE.MatchString(a.Zone())) {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// refRightmost is an independent reference for rightmostUntrustedXFF: split
// everything, then walk backwards.
func refRightmost(lines []string, trusted func(netip.Addr) bool) (netip.Addr, bool) {
	var entries []string
	for _, l := range lines {
		entries = append(entries, strings.Split(l, ",")...)
	}
	for i := len(entries) - 1; i >= 0; i-- {
		a, ok := refParse(entries[i])
		if !ok {
			return netip.Addr{}, false
		}
		if !trusted(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// FuzzRightmostUntrusted checks the X-Forwarded-For walk against the
// reference on arbitrary two-line headers, and the invariants every result
// must satisfy.
func FuzzRightmostUntrusted(f *testing.F) {
	for _, seed := range [][2]string{
		{"", "198.51.100.1"},
		{"6.6.6.6", "198.51.100.1, 10.0.0.3"},
		{"", "198.51.100.1, garbage"},
		{"", "::ffff:10.0.0.9"},
		{"", "[2001:db8::1]:443, fd00::1"},
		{"", "fe80::1%eth0"},
		{"", "198.51.100.1:65536"},
		{"", "[198.51.100.1]"},
		{"198.51.100.1", ""},
		{"", " \t198.51.100.1 \t, 10.0.0.3 "},
		{"", "unknown, _hidden, 10.0.0.1"},
		{"", "[::ffff:10.0.0.1]:1, 192.0.2.7"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		lines := []string{line1, line2}
		if line1 == "" {
			lines = lines[1:] // also exercise a single line
		}
		got, ok := rightmostUntrustedXFF(lines, fuzzTrusted.contains)
		want, wantOK := refRightmost(lines, fuzzTrusted.contains)
		require.Equal(t, want, got, "lines %q: the reference's address", lines)
		require.Equal(t, wantOK, ok, "lines %q: the reference's ok", lines)
		require.Equal(t, got.IsValid(), ok, "ok with address %v", got)
		if ok {
			require.False(t, got.Is4In6() || got.Zone() != "" || fuzzTrusted.contains(got), "result %v is mapped, zoned or trusted", got)
		}
		for _, entry := range strings.Split(line2, ",") {
			a, aok := parseForwardedAddr(entry)
			r, rok := refParse(entry)
			require.Equal(t, r, a, "parseForwardedAddr(%q): the reference's address", entry)
			require.Equal(t, rok, aok, "parseForwardedAddr(%q): the reference's ok", entry)
		}
	})
}

// Well-formed entries, the common case, must not allocate.
func TestParseForwardedAddrDoesNotAllocate(t *testing.T) {
	inputs := []string{"198.51.100.1", "[2001:db8::1]:443", "fe80::1%eth0", " 10.0.0.1:80 ", "::ffff:10.0.0.1"}
	for _, in := range inputs {
		assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = parseForwardedAddr(in) }), "parseForwardedAddr(%q) allocates", in)
	}
}
