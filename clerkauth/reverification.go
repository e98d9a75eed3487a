package clerkauth

import (
	"encoding/json"
	"net/http"

	"github.com/unioneyes/authkit/orgctx"
)

// FactorLevel is the strength a reverification asks for.
type FactorLevel string

// Levels of reverification, as Clerk names them.
const (
	FirstFactor  FactorLevel = "first_factor"
	SecondFactor FactorLevel = "second_factor"
	MultiFactor  FactorLevel = "multi_factor"
)

// ReverificationPolicy is one of Clerk's four standard reverification policies.
type ReverificationPolicy string

// Clerk's standard policies.
const (
	// ReverificationStrictMFA: both factors within 10 minutes.
	ReverificationStrictMFA ReverificationPolicy = "strict_mfa"
	// ReverificationStrict: the second factor (or the first, without one) within 10 minutes.
	ReverificationStrict ReverificationPolicy = "strict"
	// ReverificationModerate: as Strict, within an hour.
	ReverificationModerate ReverificationPolicy = "moderate"
	// ReverificationLax: as Strict, within a day.
	ReverificationLax ReverificationPolicy = "lax"
)

// requirement returns the policy's window and level; ok is false for an unknown policy.
func (p ReverificationPolicy) requirement() (afterMinutes int, level FactorLevel, ok bool) {
	switch p {
	case ReverificationStrictMFA:
		return 10, MultiFactor, true
	case ReverificationStrict:
		return 10, SecondFactor, true
	case ReverificationModerate:
		return 60, SecondFactor, true
	case ReverificationLax:
		return 1440, SecondFactor, true
	}
	return 0, "", false
}

// NeedsReverification reports whether the user must verify again before an action under
// policy. An unknown policy always needs it (fail closed).
func (s *Session) NeedsReverification(policy ReverificationPolicy) bool {
	after, level, ok := policy.requirement()
	return !ok || !s.VerifiedWithin(after, level)
}

// VerifiedWithin reports whether the factors of level were verified less than
// afterMinutes ago, with the rules of Clerk's SDKs: FirstFactor looks at the first
// factor; SecondFactor at the second, or at the first for a user without one;
// MultiFactor at both (only the first for a user without a second). A factor never
// verified (-1) does not count.
func (s *Session) VerifiedWithin(afterMinutes int, level FactorLevel) bool {
	fva := s.FactorVerificationAge
	first := fva.First != -1 && afterMinutes > fva.First
	second := fva.Second != -1 && afterMinutes > fva.Second
	switch level {
	case FirstFactor:
		return first
	case SecondFactor:
		if fva.Second != -1 {
			return second
		}
		return first
	case MultiFactor:
		if fva.Second == -1 {
			return first
		}
		return first && second
	}
	return false
}

// RequireReverification refuses, with 403 and the body Clerk's frontend SDKs recognise
// (clerk_error reason "reverification-error", which opens the reverification dialog of
// useReverification), requests whose session was not verified recently enough for
// policy. It must run after the middleware; without a session it answers 401, with the
// realm and error handler of the middleware.
func RequireReverification(policy ReverificationPolicy) func(http.Handler) http.Handler {
	after, level, _ := policy.requirement()
	body, _ := json.Marshal(map[string]any{
		"clerk_error": map[string]any{
			"type":   "forbidden",
			"reason": "reverification-error",
			"metadata": map[string]any{
				"reverification": map[string]any{"level": level, "afterMinutes": after},
			},
		},
	})
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, ok := SessionFromContext(r.Context())
			if !ok {
				refuseMissingSession(w, r)
				return
			}
			if s.NeedsReverification(policy) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Cache-Control", "no-store")
				w.WriteHeader(http.StatusForbidden)
				_, _ = w.Write(body)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// refuseMissingSession answers 401 to a request that reached a guard without the
// credential it needs, with the realm and error handler of the middleware.
func refuseMissingSession(w http.ResponseWriter, r *http.Request) {
	orgctx.Refuse(w, r, orgctx.Failure{Status: http.StatusUnauthorized, Code: orgctx.CodeUnauthorized, Detail: "authentication required", Err: ErrTokenMissing})
}
