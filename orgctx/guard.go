package orgctx

import (
	"errors"
	"fmt"
	"net/http"
)

// Reasons a guard refuses a request. The error a FailureHandler receives wraps one of them.
var (
	// ErrUnauthenticated: no authentication middleware authenticated the request
	// (it ran in optional mode with no credentials, or not at all). Default answer 401.
	ErrUnauthenticated = errors.New("orgctx: not authenticated")
	// ErrRole: the user's role in the active organization is not one of those required. 403.
	ErrRole = errors.New("orgctx: role not allowed")
	// ErrPermission: the user lacks a required permission in the active organization. 403.
	ErrPermission = errors.New("orgctx: permission missing")
	// ErrOrgMismatch: the organization named in the path is not the active one. 404, so a
	// token for organization A cannot probe which ids exist in organization B.
	ErrOrgMismatch = errors.New("orgctx: not the active organization")
)

// ErrNoOrg (no active organization) is answered 403.

// FailureHandler answers a request a guard refused; err wraps ErrUnauthenticated, ErrNoOrg,
// ErrRole, ErrPermission or ErrOrgMismatch.
type FailureHandler func(w http.ResponseWriter, r *http.Request, err error)

// Guards carries the settings the guards share. The zero value is ready to use; the
// package-level guards (RequireOrg, RequireRole, …) are those of the zero Guards.
type Guards struct {
	// Realm of the Bearer challenge in 401 and 403 answers; default DefaultRealm.
	Realm string
	// OnFailure answers refused requests; nil means DefaultFailure with Realm.
	OnFailure FailureHandler
}

// DefaultFailure answers a refused request: 401 with a bare Bearer challenge for
// ErrUnauthenticated, 403 with error="insufficient_scope" for ErrNoOrg, ErrRole and
// ErrPermission, 404 for ErrOrgMismatch; the JSON body never names the missing role or
// permission.
func DefaultFailure(realm string) FailureHandler {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		switch {
		case errors.Is(err, ErrUnauthenticated):
			WriteError(w, realm, http.StatusUnauthorized, CodeUnauthorized, "authentication required")
		case errors.Is(err, ErrOrgMismatch):
			WriteError(w, realm, http.StatusNotFound, CodeNotFound, "not found")
		case errors.Is(err, ErrNoOrg):
			WriteError(w, realm, http.StatusForbidden, CodeInsufficientScope, "an active organization is required")
		default:
			WriteError(w, realm, http.StatusForbidden, CodeInsufficientScope, "insufficient permissions")
		}
	}
}

func (g Guards) fail(w http.ResponseWriter, r *http.Request, err error) {
	annotateFailure(r, err)
	if g.OnFailure != nil {
		g.OnFailure(w, r, err)
		return
	}
	DefaultFailure(g.Realm)(w, r, err)
}

// check runs the org checks common to every guard and returns the active organization.
func (g Guards) check(w http.ResponseWriter, r *http.Request) (Org, bool) {
	s, _ := r.Context().Value(ctxKey{}).(*state) // what Authenticated and FromContext read
	switch {
	case s == nil:
		g.fail(w, r, ErrUnauthenticated)
		return Org{}, false
	case !s.org.Active():
		g.fail(w, r, ErrNoOrg)
		return Org{}, false
	}
	return s.org, true
}

// guard returns the middleware of a guard: the common checks, then refuse, which
// returns why the request may not go through, or nil.
func (g Guards) guard(refuse func(r *http.Request, org Org) error) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			org, ok := g.check(w, r)
			if !ok {
				return
			}
			if err := refuse(r, org); err != nil {
				g.fail(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// RequireOrg lets a request through only with an active organization: 401 when the
// request is not authenticated, 403 when no organization is active.
func (g Guards) RequireOrg(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := g.check(w, r); ok {
			next.ServeHTTP(w, r)
		}
	})
}

// RequireRole lets a request through when the user's role in the active organization is
// any of roles ("admin" and "org:admin" are the same role). With no roles it refuses
// every request, failing closed on a configuration mistake.
func (g Guards) RequireRole(roles ...string) func(http.Handler) http.Handler {
	roles = append([]string(nil), roles...)
	return g.guard(func(_ *http.Request, org Org) error {
		if org.HasAnyRole(roles...) {
			return nil
		}
		return fmt.Errorf("%w: need one of %q", ErrRole, roles)
	})
}

// RequirePermission lets a request through when the user holds all of perms in the active
// organization. With no perms it refuses every request (fail closed).
func (g Guards) RequirePermission(perms ...string) func(http.Handler) http.Handler {
	perms = append([]string(nil), perms...)
	return g.guard(func(_ *http.Request, org Org) error {
		if len(perms) > 0 && org.HasAllPermissions(perms...) {
			return nil
		}
		return fmt.Errorf("%w: need all of %q", ErrPermission, perms)
	})
}

// RequireAnyPermission lets a request through when the user holds at least one of perms
// in the active organization. With no perms it refuses every request.
func (g Guards) RequireAnyPermission(perms ...string) func(http.Handler) http.Handler {
	perms = append([]string(nil), perms...)
	return g.guard(func(_ *http.Request, org Org) error {
		if org.HasAnyPermission(perms...) {
			return nil
		}
		return fmt.Errorf("%w: need one of %q", ErrPermission, perms)
	})
}

// RequireOrgParam lets a request through when the path value name (the {name} wildcard of
// a Go 1.22 ServeMux pattern, or of any router that sets Request.PathValue) equals the
// active organization's id; otherwise 404, so /orgs/{org_id}/… cannot be used with a
// token for another organization to probe which ids exist. A missing path value is a 404
// too.
func (g Guards) RequireOrgParam(name string) func(http.Handler) http.Handler {
	return g.guard(func(r *http.Request, org Org) error {
		if v := r.PathValue(name); v == "" || v != org.ID {
			return ErrOrgMismatch
		}
		return nil
	})
}

// RequireOrg is Guards{}.RequireOrg.
func RequireOrg(next http.Handler) http.Handler { return Guards{}.RequireOrg(next) }

// RequireRole is Guards{}.RequireRole: any of roles.
func RequireRole(roles ...string) func(http.Handler) http.Handler {
	return Guards{}.RequireRole(roles...)
}

// RequirePermission is Guards{}.RequirePermission: all of perms.
func RequirePermission(perms ...string) func(http.Handler) http.Handler {
	return Guards{}.RequirePermission(perms...)
}

// RequireAnyPermission is Guards{}.RequireAnyPermission: one of perms.
func RequireAnyPermission(perms ...string) func(http.Handler) http.Handler {
	return Guards{}.RequireAnyPermission(perms...)
}

// RequireOrgParam is Guards{}.RequireOrgParam.
func RequireOrgParam(name string) func(http.Handler) http.Handler {
	return Guards{}.RequireOrgParam(name)
}
