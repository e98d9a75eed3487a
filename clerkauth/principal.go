package clerkauth

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/unioneyes/authkit/clerkauth/internal/tokenform"
)

// TokenKind is a kind of credential a request can carry.
type TokenKind string

// The kinds of credential.
const (
	// KindSession is a Clerk session token (a JWT), the default and only kind the
	// middleware accepts unless told otherwise.
	KindSession TokenKind = "session_token"
	// KindAPIKey is a Clerk API key ("ak_…"), verified with the Backend API.
	KindAPIKey TokenKind = "api_key"
	// KindM2MToken is a Clerk machine-to-machine token ("mt_…"), verified with the
	// Backend API.
	KindM2MToken TokenKind = "m2m_token"
	// KindOAuthToken is a Clerk OAuth access token ("oat_…"), verified with the Backend API.
	KindOAuthToken TokenKind = "oauth_token"
	// KindServiceAccount is a key the service itself issued (machine.StaticKeys).
	KindServiceAccount TokenKind = "service_account"
)

// Errors of machine credentials.
var (
	// ErrMachineTokenInvalid: the credential is not one the issuer knows (Clerk answered
	// 404, or no configured service-account key matches). 401.
	ErrMachineTokenInvalid = errors.New("clerkauth: invalid machine token")
	// ErrMachineTokenRevoked: the credential was revoked. 401.
	ErrMachineTokenRevoked = errors.New("clerkauth: machine token revoked")
	// ErrMachineTokenExpired: the credential has expired. 401.
	ErrMachineTokenExpired = errors.New("clerkauth: machine token expired")
	// ErrBackendAPI: Clerk's Backend API could not verify the credential: unreachable,
	// timing out, answering 5xx or 429, or refusing the configured secret key (401: a
	// misconfiguration the operator must fix). 503 for the client; the cause is logged.
	ErrBackendAPI = errors.New("clerkauth: Clerk Backend API unavailable")
	// ErrKindNotAccepted: a credential of a kind the route does not accept (an API key
	// on a sessions-only route, any machine token in the session cookie). 401.
	ErrKindNotAccepted = errors.New("clerkauth: credential kind not accepted here")
)

// Principal is who made a request: a user's session or a machine credential. The
// middleware puts one in the context for every authenticated request
// (PrincipalFromContext). Treat it as read-only.
type Principal struct {
	// Kind is the kind of credential.
	Kind TokenKind
	// ID identifies the credential: the session id, the API key's "ak_…" id, the token's
	// "mt_…" or "oat_…" id, the service account's name.
	ID string
	// Subject is whom the credential acts for: "user_…", "org_…" or "mch_…" (a Clerk
	// machine); for a service account, its name.
	Subject string
	// Name is the API key's or service account's human name, when it has one.
	Name string
	// Scopes are the credential's scopes (for an M2M token, the machines it may call).
	Scopes []string
	// Claims are the custom claims Clerk attached to the credential, as JSON (nil if none).
	Claims json.RawMessage
	// ExpiresAt is when the credential expires (zero: it does not).
	ExpiresAt time.Time
	// Session is the verified session, for KindSession.
	Session *Session
}

// HasScope reports whether the credential carries scope.
func (p *Principal) HasScope(scope string) bool {
	return scope != "" && slices.Contains(p.Scopes, scope)
}

// MachineVerifier verifies machine credentials (anything that is not a session token).
// It returns ErrTokenType (wrapped) for a token of a form it does not handle, so several
// can be chained (machine.Chain), ErrMachineTokenInvalid, ErrMachineTokenRevoked or
// ErrMachineTokenExpired for a credential it refuses, and ErrBackendAPI (or another
// error) when it cannot tell. It never puts the token in an error.
type MachineVerifier interface {
	VerifyMachineToken(ctx context.Context, token string) (*Principal, error)
}

// tokenKindOf tells a credential's kind from its form, without verifying it: a JWT is
// a session token, "ak_", "mt_" and "oat_" prefixes are Clerk's machine tokens, anything
// else would be a service-account key (tokenform, the rule clerkauth/machine follows too).
func tokenKindOf(token string) TokenKind {
	switch tokenform.Of(token) {
	case tokenform.APIKey:
		return KindAPIKey
	case tokenform.M2MToken:
		return KindM2MToken
	case tokenform.OAuthToken:
		return KindOAuthToken
	case tokenform.JWT:
		return KindSession
	default:
		return KindServiceAccount
	}
}

type principalKey struct{}

// PrincipalFromContext returns who made the request, as the middleware authenticated it:
// the machine credential, or for a session a Principal of KindSession (built on demand).
func PrincipalFromContext(ctx context.Context) (*Principal, bool) {
	if p, ok := ctx.Value(principalKey{}).(*Principal); ok && p != nil {
		return p, true
	}
	s, ok := SessionFromContext(ctx)
	if !ok {
		return nil, false
	}
	return &Principal{Kind: KindSession, ID: s.SessionID, Subject: s.UserID, ExpiresAt: s.ExpiresAt, Session: s}, true
}

// withPrincipal returns ctx carrying p.
func withPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}
