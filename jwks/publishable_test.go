package jwks_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/jwks"
)

func pk(prefix, decoded string) string {
	return prefix + base64.StdEncoding.EncodeToString([]byte(decoded))
}

func TestParsePublishableKey(t *testing.T) {
	for name, tc := range map[string]struct {
		key  string
		host string
		live bool
	}{
		// Clerk's documented example key decodes to clerk.example.com.
		"docs example":      {"pk_test_Y2xlcmsuZXhhbXBsZS5jb20k", "clerk.example.com", false},
		"development":       {pk("pk_test_", "happy-cat-12.clerk.accounts.dev$"), "happy-cat-12.clerk.accounts.dev", false},
		"production":        {pk("pk_live_", "clerk.example.com$"), "clerk.example.com", true},
		"unpadded base64":   {"pk_live_" + base64.RawStdEncoding.EncodeToString([]byte("clerk.acme.io$")), "clerk.acme.io", true},
		"proxy with a port": {pk("pk_test_", "clerk.localhost.test:8443$"), "clerk.localhost.test:8443", false},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := jwks.ParsePublishableKey(tc.key)
			require.NoError(t, err)
			require.Equal(t, tc.host, got.FrontendAPI)
			require.Equal(t, tc.live, got.Live)
			// What Clerk's JS SDK derives: iss is the FAPI URL, the JWKS is under it.
			require.Equal(t, "https://"+tc.host, got.Issuer())
			require.Equal(t, "https://"+tc.host+"/.well-known/jwks.json", got.JWKSURL())
		})
	}
}

func TestParsePublishableKeyErrors(t *testing.T) {
	for name, key := range map[string]string{
		"empty":               "",
		"secret key":          "sk_test_Y2xlcmsuZXhhbXBsZS5jb20k",
		"no prefix":           "Y2xlcmsuZXhhbXBsZS5jb20k",
		"upper-case prefix":   "PK_TEST_Y2xlcmsuZXhhbXBsZS5jb20k",
		"prefix only":         "pk_test_",
		"not base64":          "pk_test_!!!!",
		"no dollar":           pk("pk_test_", "clerk.example.com"),
		"dollar only":         pk("pk_test_", "$"),
		"dollar inside":       pk("pk_test_", "clerk.exa$mple.com$"),
		"path in host":        pk("pk_live_", "clerk.example.com/evil$"),
		"scheme in host":      pk("pk_live_", "https://clerk.example.com$"),
		"user info":           pk("pk_live_", "user@clerk.example.com$"),
		"space":               pk("pk_live_", "clerk example.com$"),
		"single label":        pk("pk_live_", "intranet$"),
		"empty label":         pk("pk_live_", "clerk..example.com$"),
		"leading hyphen":      pk("pk_live_", "-clerk.example.com$"),
		"empty port":          pk("pk_live_", "clerk.example.com:$"),
		"letters in port":     pk("pk_live_", "clerk.example.com:80a$"),
		"newline":             pk("pk_live_", "clerk.example.com\n$"),
		"url-safe base64":     "pk_live_" + base64.URLEncoding.EncodeToString([]byte("clerk.exa~?>mple.com$")),
		"trailing whitespace": "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k ",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := jwks.ParsePublishableKey(key)
			require.ErrorIs(t, err, jwks.ErrInvalidPublishableKey)
			if len(key) > len("pk_test_") {
				require.NotContains(t, err.Error(), key[8:], "the key is not echoed")
			}
		})
	}
}

func FuzzParsePublishableKey(f *testing.F) {
	for _, s := range []string{"pk_test_Y2xlcmsuZXhhbXBsZS5jb20k", pk("pk_live_", "clerk.example.com$"), "pk_test_", "pk_live_JA==", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		got, err := jwks.ParsePublishableKey(key)
		if err != nil {
			return
		}
		if !strings.HasPrefix(key, "pk_test_") && !strings.HasPrefix(key, "pk_live_") {
			t.Fatalf("accepted %q without a prefix", key)
		}
		if strings.ContainsAny(got.FrontendAPI, "/@?#$ \t\r\n") || got.FrontendAPI == "" {
			t.Fatalf("accepted host %q", got.FrontendAPI)
		}
	})
}

func ExampleParsePublishableKey() {
	pk, err := jwks.ParsePublishableKey("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pk.Issuer())
	fmt.Println(pk.JWKSURL())
	// Output:
	// https://clerk.example.com
	// https://clerk.example.com/.well-known/jwks.json
}
