package clerkauth

import (
	"errors"
	"net/http"

	"github.com/unioneyes/authkit/orgctx"
)

// ErrScope: the credential lacks a scope the route requires. 403 insufficient_scope.
var ErrScope = errors.New("clerkauth: scope missing")

// RequireScope lets a request through when its credential carries all of scopes (a
// machine credential's scopes; a session has none). It runs after the middleware:
// without a credential it answers 401, without the scopes 403 with
// error="insufficient_scope", both with the realm and error handler of the middleware.
// With no scopes it refuses every request (fail closed).
func RequireScope(scopes ...string) func(http.Handler) http.Handler {
	scopes = append([]string(nil), scopes...)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := PrincipalFromContext(r.Context())
			if !ok {
				annotateFailure(r.Context(), ErrTokenMissing)
				refuseMissingSession(w, r)
				return
			}
			allowed := len(scopes) > 0
			for _, sc := range scopes {
				allowed = allowed && p.HasScope(sc)
			}
			if !allowed {
				annotateFailure(r.Context(), ErrScope)
				orgctx.Refuse(w, r, orgctx.Failure{Status: http.StatusForbidden, Code: orgctx.CodeInsufficientScope, Detail: "insufficient scope", Err: ErrScope})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
