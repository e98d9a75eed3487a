package clerkauth

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/unioneyes/authkit/orgctx"
)

// Session is a verified Clerk session token, the same shape for claims versions 1 and 2.
// Treat it as read-only: it may be shared between requests.
type Session struct {
	// UserID is the Clerk user id (sub), e.g. "user_2abc…".
	UserID string
	// SessionID is the Clerk session id (sid), e.g. "sess_2abc…".
	SessionID string
	// Issuer is the instance's Frontend API URL (iss).
	Issuer string
	// AuthorizedParty is the origin the token was requested from (azp); may be empty.
	AuthorizedParty string
	// TokenID is the token's unique id (jti, version 2); may be empty.
	TokenID string
	// IssuedAt, NotBefore and ExpiresAt are iat, nbf and exp (zero when absent; exp
	// never is).
	IssuedAt, NotBefore, ExpiresAt time.Time
	// Status is the session's status: "active", or "pending" when AllowPending let a
	// pending session through.
	Status string
	// Version is the claims version: 1 or 2.
	Version int
	// Org is the active organization, the zero Org when none is active. Its Role is
	// always in "org:" form and its Permissions are decoded from v1's org_permissions or
	// v2's fea, o.per and o.fpm.
	Org orgctx.Org
	// Actor is set while an admin impersonates the user (act); nil otherwise.
	Actor *Actor
	// FactorVerificationAge is fva: minutes since the first and second factor were last
	// verified, -1 for never.
	FactorVerificationAge FactorAge
	// Features are the enabled features (fea), as "scope:feature": "o:dashboard",
	// "u:beta", "uo:export".
	Features []string
	// Plan is pla: the active plans, comma-separated "scope:slug" ("u:free,o:pro").
	Plan string
	// KeyID is the kid of the key that verified the token.
	KeyID string

	payload string
}

// Actor is the impersonator of an impersonated session (the act claim).
type Actor struct {
	// Subject is the impersonating user's id.
	Subject string
	// SessionID is the impersonation session's id.
	SessionID string
	// Issuer is who issued the impersonation (e.g. "https://dashboard.clerk.com").
	Issuer string
}

// FactorAge is the fva claim: minutes since each factor was last verified; -1 means never
// (or, for the second factor, that the user has none).
type FactorAge struct {
	First, Second int
}

// Pending reports whether the session has tasks left (sts "pending").
func (s *Session) Pending() bool { return s.Status == StatusPending }

// Impersonated reports whether an admin is acting as the user.
func (s *Session) Impersonated() bool { return s.Actor != nil }

// HasRole reports whether the user's role in the active organization is role ("admin"
// and "org:admin" are the same).
func (s *Session) HasRole(role string) bool { return s.Org.HasRole(role) }

// HasPermission reports whether the user holds perm ("org:<feature>:<permission>") in the
// active organization.
func (s *Session) HasPermission(perm string) bool { return s.Org.HasPermission(perm) }

// HasFeature reports whether feature is enabled: "dashboard" matches any scope,
// "o:dashboard" only an organization-scoped entry (a "uo:" entry counts for both).
func (s *Session) HasFeature(feature string) bool {
	scope, name, scoped := strings.Cut(feature, ":")
	for _, f := range s.Features {
		fs, fn, _ := strings.Cut(f, ":")
		if scoped && fn == name && strings.Contains(fs, scope) || !scoped && fn == feature {
			return true
		}
	}
	return false
}

// HasPlan reports whether plan ("o:pro", "u:free") is among the active plans.
func (s *Session) HasPlan(plan string) bool {
	return plan != "" && slices.Contains(strings.Split(s.Plan, ","), plan)
}

// RawClaims returns a copy of the token's payload, the JSON object of all its claims.
func (s *Session) RawClaims() []byte { return []byte(s.payload) }

// Claims decodes the session token's payload, custom claims included, into a T with
// encoding/json (struct tags apply). For a custom session claim "email" mapped from
// {{user.primary_email_address}}:
//
//	type custom struct {
//		Email string `json:"email"`
//	}
//	c, err := clerkauth.Claims[custom](session)
func Claims[T any](s *Session) (T, error) {
	var v T
	if s == nil {
		return v, fmt.Errorf("%w: no session", ErrTokenMissing)
	}
	if err := json.Unmarshal([]byte(s.payload), &v); err != nil {
		return v, fmt.Errorf("clerkauth: decoding custom claims: %w", err)
	}
	return v, nil
}

// Session statuses.
const (
	StatusActive  = "active"
	StatusPending = "pending"
)

type sessionKey struct{}

// NewContext returns ctx carrying s; the middleware calls it (and orgctx.NewContext).
func NewContext(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// SessionFromContext returns the verified session the middleware put in ctx.
func SessionFromContext(ctx context.Context) (*Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(*Session)
	return s, ok && s != nil
}
