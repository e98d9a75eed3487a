package jwks

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// Publishable-key prefixes: development and production instances.
const (
	publishableTestPrefix = "pk_test_"
	publishableLivePrefix = "pk_live_"
)

// PublishableKey is what a Clerk publishable key encodes: the instance's Frontend API host.
// From it follow the issuer of the instance's session tokens and its public JWKS URL,
// without a network call (the same derivation as Clerk's JavaScript SDK).
type PublishableKey struct {
	// FrontendAPI is the Frontend API host, e.g. "clerk.example.com" or
	// "happy-cat-12.clerk.accounts.dev".
	FrontendAPI string
	// Live is true for a production key (pk_live_), false for development (pk_test_).
	Live bool
}

// ParsePublishableKey decodes "pk_test_…" or "pk_live_…": the part after the prefix is the
// base64 of "<frontend-api-host>$". Anything else, or a host that is not a plain DNS name
// (with an optional port), is an error wrapping [ErrInvalidPublishableKey]; the key itself
// is not repeated in the error.
func ParsePublishableKey(key string) (PublishableKey, error) {
	var pk PublishableKey
	var body string
	switch {
	case strings.HasPrefix(key, publishableLivePrefix):
		pk.Live, body = true, key[len(publishableLivePrefix):]
	case strings.HasPrefix(key, publishableTestPrefix):
		body = key[len(publishableTestPrefix):]
	default:
		return pk, fmt.Errorf("%w: want a pk_test_ or pk_live_ prefix", ErrInvalidPublishableKey)
	}
	// Clerk's SDKs decode with atob, which takes standard base64 with or without padding.
	decoded, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		decoded, err = base64.RawStdEncoding.DecodeString(body)
	}
	if err != nil {
		return pk, fmt.Errorf("%w: the part after the prefix is not base64", ErrInvalidPublishableKey)
	}
	host, ok := strings.CutSuffix(string(decoded), "$")
	if !ok {
		return pk, fmt.Errorf("%w: the decoded value does not end with $", ErrInvalidPublishableKey)
	}
	if !validHost(host) {
		return pk, fmt.Errorf("%w: the decoded value is not a host name", ErrInvalidPublishableKey)
	}
	pk.FrontendAPI = host
	return pk, nil
}

// Issuer is the iss of the instance's session tokens: "https://<FrontendAPI>".
func (pk PublishableKey) Issuer() string { return "https://" + pk.FrontendAPI }

// JWKSURL is the instance's public key set: "https://<FrontendAPI>/.well-known/jwks.json".
func (pk PublishableKey) JWKSURL() string { return pk.Issuer() + "/.well-known/jwks.json" }

// validHost accepts a DNS name of letter/digit/hyphen labels, with an optional :port.
func validHost(h string) bool {
	name, port, hasPort := strings.Cut(h, ":")
	if hasPort {
		if port == "" || len(port) > 5 {
			return false
		}
		for i := 0; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return false
			}
		}
	}
	if name == "" || len(name) > 253 || !strings.Contains(name, ".") && name != "localhost" {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
