package jwks_test

import (
	"testing"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

// BenchmarkKeyLookup measures what a Source adds per request: finding the key for a
// parsed token. Verification itself (the RSA operation) is benchmarked in clerkauth.
func BenchmarkKeyLookup(b *testing.B) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	for range 3 {
		iss.AddKey() // a realistic set during a rotation has a few keys
	}
	tok := parseUnverified(b, iss.Token().Sign())

	pemKeys, err := jwks.ParsePEM(iss.PEM())
	if err != nil {
		b.Fatal(err)
	}
	jsonKeys, err := jwks.ParseJSON(iss.JWKS())
	if err != nil {
		b.Fatal(err)
	}
	remote, err := jwks.NewRemote(b.Context(), jwks.RemoteConfig{URL: iss.JWKSURL()})
	if err != nil {
		b.Fatal(err)
	}
	defer remote.Close()

	for name, src := range map[string]jwks.ContextSource{
		"Static-PEM":  pemKeys,
		"Static-JSON": jsonKeys,
		"Remote":      remote,
	} {
		b.Run(name, func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := src.Key(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
