package machine

import (
	"fmt"
	"strings"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/internal/tokenform"
)

// endpointFor returns how token is verified, or clerkauth.ErrTokenType for a token of
// another form, or clerkauth.ErrMachineTokenInvalid for a Clerk-prefixed token of an
// impossible shape. Nothing is sent for either error.
func (b *BackendAPI) endpointFor(token string) (*bapiEndpoint, error) {
	for i := range b.endpoints {
		ep := &b.endpoints[i]
		if !strings.HasPrefix(token, ep.prefix) {
			continue
		}
		if !machineTokenShapeOK(token, len(ep.prefix)) {
			return nil, fmt.Errorf("%w: malformed %s", clerkauth.ErrMachineTokenInvalid, ep.kind)
		}
		return ep, nil
	}
	return nil, fmt.Errorf("machine: BackendAPI verifies only ak_, mt_ and oat_ tokens: %w", clerkauth.ErrTokenType)
}

// machineTokenShapeOK reports whether token, which starts with a prefix of prefixLen
// bytes, is MinMachineTokenBytes to MaxMachineTokenBytes long and, after the prefix, is
// made of base64 characters, standard or URL-safe ([A-Za-z0-9+/_-]), with at most two
// "=" at the end and nothing else. Clerk's tokens are (its JavaScript SDK's API key
// fixture is standard base64 with padding), and nothing else is worth a request.
func machineTokenShapeOK(token string, prefixLen int) bool {
	if len(token) < MinMachineTokenBytes || len(token) > MaxMachineTokenBytes {
		return false
	}
	body := token[prefixLen:]
	unpadded := strings.TrimRight(body, "=")
	if len(body)-len(unpadded) > 2 || unpadded == "" {
		return false
	}
	for i := range len(unpadded) {
		if c := unpadded[i]; !isBase64URLChar(c) && c != '+' && c != '/' {
			return false
		}
	}
	return true
}

// base64URLChars reports whether s is made only of [A-Za-z0-9_-].
func base64URLChars(s string) bool {
	for i := range len(s) {
		if !isBase64URLChar(s[i]) {
			return false
		}
	}
	return true
}

// isBase64URLChar reports whether c is one of [A-Za-z0-9_-].
func isBase64URLChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// isServiceAccountForm reports whether token has the form of a service-account key:
// neither a Clerk machine token ("ak_", "mt_", "oat_") nor a JWT. It follows the rule by
// which clerkauth's middleware routes a token (tokenform).
func isServiceAccountForm(token string) bool {
	return tokenform.Of(token) == tokenform.ServiceAccount
}
