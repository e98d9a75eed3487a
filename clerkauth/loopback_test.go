package clerkauth_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/jwks"
)

// An http issuer is allowed on a loopback host only, as jwks.IsLoopback decides: the name
// "localhost" in ASCII case, never a Unicode look-alike that strings.EqualFold matches.
func TestIssuerHTTPOnLoopbackOnly(t *testing.T) {
	keys, err := jwks.ParseJSON(newFixture(t, nil).iss.JWKS())
	require.NoError(t, err)
	for issuer, ok := range map[string]bool{
		"http://localhost:8080":    true,
		"http://LOCALHOST:8080":    true,
		"http://[::1]:8080":        true,
		"http://127.0.0.1:8080":    true,
		"http://localhoſt:8080":    false, // U+017F: "s" under Unicode folding only
		"http://localhost.:8080":   false,
		"http://app.localhost":     false,
		"http://[::1%25lo]:8080":   false,
		"http://127.1:8080":        false,
		"http://clerk.example.com": false,
	} {
		_, err := clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: issuer})
		if ok {
			assert.NoError(t, err, issuer)
		} else {
			assert.ErrorIs(t, err, clerkauth.ErrInvalidConfig, issuer)
		}
	}
}
