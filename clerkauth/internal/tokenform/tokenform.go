// Package tokenform tells a credential's form from its text, without verifying it. It is
// the one rule by which clerkauth's middleware routes a token (to the session verifier or
// to the machine verifier) and by which clerkauth/machine's verifiers claim a token as
// theirs, so that the two never disagree.
package tokenform

import "strings"

// Form is the form of a credential's text.
type Form uint8

// The forms.
const (
	// ServiceAccount is anything below: a key the service itself issued, or junk.
	ServiceAccount Form = iota
	// JWT has exactly two dots: a session token (or another JWT).
	JWT
	// APIKey starts with "ak_": a Clerk API key.
	APIKey
	// M2MToken starts with "mt_": a Clerk machine-to-machine token.
	M2MToken
	// OAuthToken starts with "oat_": a Clerk OAuth access token.
	OAuthToken
)

// Of returns the form of token. Clerk's prefixes win over the dots: "ak_a.b.c" is an
// API key.
func Of(token string) Form {
	switch {
	case strings.HasPrefix(token, "ak_"):
		return APIKey
	case strings.HasPrefix(token, "mt_"):
		return M2MToken
	case strings.HasPrefix(token, "oat_"):
		return OAuthToken
	case strings.Count(token, ".") == 2:
		return JWT
	default:
		return ServiceAccount
	}
}
