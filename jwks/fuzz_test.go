package jwks_test

import (
	"crypto/rsa"
	"strings"
	"testing"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

// fuzzKey is generated once per fuzz target; generation is slow.
func fuzzKey(f *testing.F) *clerkauthtest.Key {
	f.Helper()
	return clerkauthtest.NewKey()
}

func FuzzParseJSON(f *testing.F) {
	k := fuzzKey(f)
	f.Add(clerkauthtest.JWKSDocument(k))
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","kid":"e","x":"AA","y":"AA"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB","d":"AQAB"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		s, err := jwks.ParseJSON(doc)
		if err != nil {
			if s != nil {
				t.Fatal("a Static with an error")
			}
			if !strings.HasPrefix(err.Error(), "jwks: ") {
				t.Fatalf("error without the package prefix: %v", err)
			}
			return
		}
		// Whatever parsed holds only keys a verifier may use.
		for _, kid := range s.KeyIDs() {
			key, err := s.Keyfunc(headerToken(map[string]any{"alg": "RS256", "kid": kid}))
			if err != nil {
				continue // an RS384/RS512-only key
			}
			pub, ok := key.(*rsa.PublicKey)
			if !ok || pub.N.BitLen() < jwks.MinRSABits {
				t.Fatalf("kid %q: unusable key %T accepted", kid, key)
			}
		}
	})
}

func FuzzParsePEM(f *testing.F) {
	k := fuzzKey(f)
	good := clerkauthtest.PublicKeyPEM(&k.Private.PublicKey)
	f.Add(good)
	f.Add(strings.ReplaceAll(good, "\n", `\n`))
	f.Add(strings.Join(strings.Split(good, "\n")[1:7], "\n"))
	f.Add("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
	f.Add("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := jwks.ParsePEM(in)
		if err != nil {
			if s != nil {
				t.Fatal("a Static with an error")
			}
			return
		}
		key, err := s.Keyfunc(headerToken(map[string]any{"alg": "RS256", "kid": "x"}))
		if err != nil {
			t.Fatalf("a parsed PEM key refuses RS256: %v", err)
		}
		if pub, ok := key.(*rsa.PublicKey); !ok || pub.N.BitLen() < jwks.MinRSABits {
			t.Fatalf("unusable key %T accepted", key)
		}
	})
}
