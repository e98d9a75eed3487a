package clerkauth

import (
	"errors"

	"github.com/unioneyes/authkit/jwks"
)

// Sentinel errors. Every error Verify returns wraps exactly one of the classes below, so
// callers branch with errors.Is through every layer; where golang-jwt has a matching
// sentinel (jwt.ErrTokenExpired, jwt.ErrTokenSignatureInvalid, …) it is in the chain too.
// Error texts never contain the token.
var (
	// ErrTokenMissing: no token was sent.
	ErrTokenMissing = errors.New("clerkauth: no session token")
	// ErrTokenMalformed: not a compact JWS of three strict base64url segments, a header or
	// payload that is not a JSON object, a claim of the wrong type or out of range, a
	// duplicate member, an unsupported header (b64), a missing alg.
	ErrTokenMalformed = errors.New("clerkauth: malformed token")
	// ErrTokenTooLarge: longer than Config.MaxTokenBytes (also ErrTokenMalformed).
	ErrTokenTooLarge = errors.New("clerkauth: token too large")
	// ErrAlgorithm: the token's alg is not in Config.Algorithms.
	ErrAlgorithm = errors.New("clerkauth: signing algorithm not allowed")
	// ErrCriticalHeader: the header has a crit parameter; no extension is understood.
	ErrCriticalHeader = errors.New("clerkauth: unsupported critical header")
	// ErrMissingKID: the header has no usable kid (Clerk always sends one).
	ErrMissingKID = jwks.ErrMissingKID
	// ErrUnknownKey: no key of the instance has the token's kid.
	ErrUnknownKey = jwks.ErrUnknownKey
	// ErrKeysUnavailable: the instance's keys could not be loaded; the token may be
	// valid. The middleware answers 503.
	ErrKeysUnavailable = jwks.ErrKeysUnavailable
	// ErrInvalidSignature: the signature does not verify with the instance's key.
	ErrInvalidSignature = errors.New("clerkauth: invalid signature")
	// ErrTokenExpired: now is past exp (plus leeway).
	ErrTokenExpired = errors.New("clerkauth: token expired")
	// ErrTokenNotYetValid: nbf or iat is in the future (beyond leeway).
	ErrTokenNotYetValid = errors.New("clerkauth: token not valid yet")
	// ErrMissingClaim: exp, sub or sid is absent.
	ErrMissingClaim = errors.New("clerkauth: required claim missing")
	// ErrIssuer: iss is not the instance's (exactly).
	ErrIssuer = errors.New("clerkauth: issuer not accepted")
	// ErrAuthorizedParty: azp is missing or not an allowed origin.
	ErrAuthorizedParty = errors.New("clerkauth: authorized party not accepted")
	// ErrTokenType: not a session token: a JWT-template or machine token (cat header), a
	// typ other than JWT, a machine subject, an unknown claims version.
	ErrTokenType = errors.New("clerkauth: token of another type")
	// ErrSessionPending: sts is "pending" and Config.AllowPending is false.
	ErrSessionPending = errors.New("clerkauth: session pending")
	// ErrSessionStatus: sts is a status other than active or pending.
	ErrSessionStatus = errors.New("clerkauth: session not active")
)

// sentinels lists the classes in the order Reason checks them.
var sentinels = []error{
	ErrTokenMissing, ErrTokenTooLarge, ErrTokenMalformed, ErrAlgorithm, ErrCriticalHeader,
	ErrMissingKID, ErrKeysUnavailable, ErrUnknownKey, ErrInvalidSignature, ErrTokenExpired,
	ErrTokenNotYetValid, ErrMissingClaim, ErrIssuer, ErrAuthorizedParty, ErrTokenType,
	ErrSessionPending, ErrSessionStatus,
}

// Reason returns the text of the sentinel err wraps ("clerkauth: token expired"), safe
// for logs and audit records: unlike err.Error() it never carries a detail taken from the
// token (a kid, a claim value). It is "clerkauth: verification failed" for an error of
// no known class and "" for nil.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	for _, s := range extraReasons {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "clerkauth: verification failed"
}

// extraReasons are the classes of the middleware Reason names too.
var extraReasons = []error{ErrMultipleCredentials, ErrMalformedAuthorization, ErrUnsupportedScheme,
	ErrSessionRevoked, ErrUserDeactivated, ErrStoreUnavailable, ErrKindNotAccepted, ErrMachineTokenInvalid,
	ErrMachineTokenRevoked, ErrMachineTokenExpired, ErrBackendAPI, ErrScope}
