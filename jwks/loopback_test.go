package jwks_test

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/unioneyes/authkit/jwks"
)

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":        true,
		"LOCALHOST":        true,
		"LocalHost":        true,
		"127.0.0.1":        true,
		"127.0.0.2":        true,
		"127.255.255.255":  true,
		"::1":              true,
		"0:0:0:0:0:0:0:1":  true,
		"::ffff:127.0.0.1": true, // IPv4-mapped
		"::ffff:7f00:1":    true, // the same, in hex

		"":                   false,
		"localhost.":         false, // an absolute DNS name
		"localhost:8000":     false, // a port is not part of a host
		"app.localhost":      false,
		"localhost.example":  false,
		"mylocalhost":        false,
		"localhoſt":          false, // U+017F folds to "s" in Unicode, not in ASCII
		"ʟocalhost":          false,
		" localhost":         false,
		"localhost\x00":      false,
		"[::1]":              false, // brackets belong to URLs, not to hosts
		"::1%lo":             false, // zones
		"127.0.0.1%lo":       false,
		"127.1":              false, // shorthand some resolvers accept
		"0177.0.0.1":         false, // octal
		"0x7f.0.0.1":         false,
		"127.000.0.1":        false,
		"2130706433":         false, // 127.0.0.1 as an integer
		"::127.0.0.1":        false, // IPv4-compatible, deprecated: not loopback
		"::":                 false,
		"0.0.0.0":            false,
		"128.0.0.1":          false,
		"126.255.255.255":    false,
		"::2":                false,
		"::ffff:10.0.0.1":    false,
		"example.com":        false,
		"127.0.0.1.nip.io":   false,
		"localhost.nip.io":   false,
		"fe80::1":            false,
		"::ffff:127.0.0.1.1": false,
	} {
		assert.Equal(t, want, jwks.IsLoopback(host), "%q", host)
	}
}

// FuzzIsLoopback: IsLoopback agrees with net/netip on IP literals (zones and non-IPs
// refused) and accepts no name but "localhost" in ASCII case.
func FuzzIsLoopback(f *testing.F) {
	for _, s := range []string{"localhost", "LOCALHOST", "localhost.", "localhoſt", "127.0.0.1", "127.1",
		"0177.0.0.1", "::1", "::1%lo", "::ffff:127.0.0.1", "::127.0.0.1", "[::1]", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		got := jwks.IsLoopback(host)
		if strings.ToLower(host) == "localhost" && isASCII(host) {
			if !got {
				t.Fatalf("%q refused", host)
			}
			return
		}
		ip, err := netip.ParseAddr(host)
		want := err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
		if got != want {
			t.Fatalf("IsLoopback(%q) = %v, netip says %v", host, got, want)
		}
	})
}

// isASCII reports whether s is ASCII only.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// A Remote accepts plain http on exactly the hosts IsLoopback accepts.
func TestRemoteHTTPOnLoopbackOnly(t *testing.T) {
	for host, ok := range map[string]bool{
		"LOCALHOST":   true, // refused before the check was shared
		"localhost":   true,
		"[::1]":       true,
		"127.0.0.1":   true,
		"localhoſt":   false,
		"localhost.":  false,
		"127.1":       false,
		"example.com": false,
	} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // no fetch gets anywhere: only the configuration is checked
		r, err := jwks.NewRemote(ctx, jwks.RemoteConfig{URL: "http://" + host + ":1/jwks", Logger: slog.New(slog.DiscardHandler)})
		if ok {
			if assert.NoError(t, err, host) {
				assert.NoError(t, r.Close())
			}
		} else {
			assert.ErrorIs(t, err, jwks.ErrInvalidConfig, host)
		}
	}
}
