package orgctx

import (
	"fmt"
	"net/http"
)

// The guards' answers; none names the missing role or permission.

func failUnauthenticated() Failure {
	return Failure{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Detail: "authentication required", Err: ErrUnauthenticated}
}

func failNoOrg() Failure {
	return Failure{Status: http.StatusForbidden, Code: CodeInsufficientScope, Detail: "an active organization is required", Err: ErrNoOrg}
}

func failMismatch() Failure {
	return Failure{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "not found", Err: ErrOrgMismatch}
}

// forbidden returns the 403 of a role or permission guard, its Err wrapping sentinel.
func forbidden(sentinel error, need string, names []string) Failure {
	return Failure{Status: http.StatusForbidden, Code: CodeInsufficientScope, Detail: "insufficient permissions",
		Err: &needError{sentinel: sentinel, need: need, names: names}}
}

// needError is a guard's reason: its sentinel and what the route needs, formatted only
// when someone reads it.
type needError struct {
	sentinel error
	need     string // "one of", "all of"
	names    []string
}

func (e *needError) Error() string { return fmt.Sprintf("%v: need %s %q", e.sentinel, e.need, e.names) }
func (e *needError) Unwrap() error { return e.sentinel }

// refuse records why a guard refused r in the audit record and answers with f.
func refuse(w http.ResponseWriter, r *http.Request, f Failure) {
	annotateFailure(r, f.Err)
	Refuse(w, r, f)
}

// check runs the checks every guard starts with and returns the active organization;
// ok is false when it has refused the request.
func check(w http.ResponseWriter, r *http.Request) (org Org, ok bool) {
	n := nodeFrom(r.Context())
	switch {
	case n == nil || !n.authenticated:
		refuse(w, r, failUnauthenticated())
		return Org{}, false
	case !n.org.Active():
		refuse(w, r, failNoOrg())
		return Org{}, false
	}
	return n.org, true
}

// guard returns the middleware of a guard: the common checks, then deny, which returns
// the refusal for the request and true, or false to let it through.
func guard(deny func(r *http.Request, org Org) (Failure, bool)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			org, ok := check(w, r)
			if !ok {
				return
			}
			if f, denied := deny(r, org); denied {
				refuse(w, r, f)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// RequireOrg lets a request through only with an active organization: 401 when the
// request is not authenticated, 403 when no organization is active.
func RequireOrg(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := check(w, r); ok {
			next.ServeHTTP(w, r)
		}
	})
}

// RequireAnyRole lets a request through when the user's role in the active organization
// is any of roles ("admin" and "org:admin" are the same role); otherwise 403. With no
// roles it refuses every request, failing closed on a configuration mistake.
func RequireAnyRole(roles ...string) func(http.Handler) http.Handler {
	roles = append([]string(nil), roles...)
	return guard(func(_ *http.Request, org Org) (Failure, bool) {
		if org.HasAnyRole(roles...) {
			return Failure{}, false
		}
		return forbidden(ErrRole, "one of", roles), true
	})
}

// RequireAllPermissions lets a request through when the user holds all of perms in the
// active organization; otherwise 403. With no perms it refuses every request (fail
// closed).
func RequireAllPermissions(perms ...string) func(http.Handler) http.Handler {
	perms = append([]string(nil), perms...)
	return guard(func(_ *http.Request, org Org) (Failure, bool) {
		if len(perms) > 0 && org.HasAllPermissions(perms...) {
			return Failure{}, false
		}
		return forbidden(ErrPermission, "all of", perms), true
	})
}

// RequireAnyPermission lets a request through when the user holds at least one of perms
// in the active organization; otherwise 403. With no perms it refuses every request.
func RequireAnyPermission(perms ...string) func(http.Handler) http.Handler {
	perms = append([]string(nil), perms...)
	return guard(func(_ *http.Request, org Org) (Failure, bool) {
		if org.HasAnyPermission(perms...) {
			return Failure{}, false
		}
		return forbidden(ErrPermission, "one of", perms), true
	})
}

// RequireOrgParam lets a request through when the path value name (the {name} wildcard of
// a ServeMux pattern, or of any router that sets Request.PathValue) equals the active
// organization's id; otherwise 404, a missing path value included.
func RequireOrgParam(name string) func(http.Handler) http.Handler {
	return guard(func(r *http.Request, org Org) (Failure, bool) {
		if v := r.PathValue(name); v == "" || v != org.ID {
			return failMismatch(), true
		}
		return Failure{}, false
	})
}
