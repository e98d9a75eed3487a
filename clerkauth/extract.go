package clerkauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// DefaultCookieName is the cookie Clerk's frontend SDKs keep the session token in, for
// same-origin requests.
const DefaultCookieName = "__session"

// Errors of extracting the token from a request.
var (
	// ErrMultipleCredentials: more than one Authorization header, or several session
	// cookies with different values. Answered 400 invalid_request (RFC 6750 §3.1).
	ErrMultipleCredentials = errors.New("clerkauth: more than one credential")
	// ErrMalformedAuthorization: an Authorization header that is not "Bearer" followed by
	// spaces and one token. Answered 400 invalid_request.
	ErrMalformedAuthorization = errors.New("clerkauth: malformed Authorization header")
	// ErrUnsupportedScheme: an Authorization scheme other than Bearer ("Basic …", or a
	// bare token). Answered like a missing token: 401 with a bare challenge (RFC 6750 §3.1).
	ErrUnsupportedScheme = errors.New("clerkauth: unsupported authorization scheme")
)

// Extractor finds the session token of a request. It returns ErrTokenMissing (possibly
// wrapped) when the request carries none; any other error refuses the request.
type Extractor func(r *http.Request) (string, error)

// BearerToken extracts the token of "Authorization: Bearer <token>": exactly one
// Authorization header, the scheme in any case, one or more spaces, then the token with
// nothing after it. The query string is never read.
func BearerToken(r *http.Request) (string, error) {
	values := r.Header.Values("Authorization")
	switch len(values) {
	case 0:
		return "", ErrTokenMissing
	case 1:
	default:
		return "", ErrMultipleCredentials
	}
	v := values[0]
	sep := strings.IndexAny(v, " \t")
	if sep < 0 {
		if strings.EqualFold(v, "Bearer") {
			return "", fmt.Errorf("%w: no token", ErrMalformedAuthorization)
		}
		if v == "" {
			return "", fmt.Errorf("%w: empty", ErrMalformedAuthorization)
		}
		return "", ErrUnsupportedScheme
	}
	if !strings.EqualFold(v[:sep], "Bearer") {
		return "", ErrUnsupportedScheme
	}
	if v[sep] != ' ' {
		return "", fmt.Errorf("%w: a tab after the scheme", ErrMalformedAuthorization)
	}
	token := strings.TrimLeft(v[sep:], " ")
	if token == "" {
		return "", fmt.Errorf("%w: no token", ErrMalformedAuthorization)
	}
	if strings.ContainsAny(token, " \t") {
		return "", fmt.Errorf("%w: more than one token", ErrMalformedAuthorization)
	}
	return token, nil
}

// CookieToken returns an Extractor reading the token from the named cookie. Several
// cookies of that name with different values (a cookie planted from a sibling subdomain,
// say) are refused with ErrMultipleCredentials.
func CookieToken(name string) Extractor {
	return func(r *http.Request) (string, error) {
		var token string
		for _, c := range r.CookiesNamed(name) {
			switch {
			case c.Value == "":
			case token == "":
				token = c.Value
			case token != c.Value:
				return "", fmt.Errorf("%w: several %s cookies", ErrMultipleCredentials, name)
			}
		}
		if token == "" {
			return "", ErrTokenMissing
		}
		return token, nil
	}
}
