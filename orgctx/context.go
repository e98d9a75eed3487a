package orgctx

import (
	"context"
	"net/http"
)

type ctxKey struct{}

// node is what NewContext and WithFailureHandler add to a context: the request's
// organization state and its refusal settings, in one context value. Each call adds one
// node that copies the other half from the nearest node above it, so one lookup answers
// both, and a node costs one allocation.
type node struct {
	context.Context
	org           Org
	authenticated bool
	realm         string
	onFailure     FailureHandler
}

// Value returns the node itself for ctxKey and asks the parent for any other key.
func (n *node) Value(key any) any {
	if _, ok := key.(ctxKey); ok {
		return n
	}
	return n.Context.Value(key)
}

func (n *node) String() string { return "orgctx context" }

func nodeFrom(ctx context.Context) *node {
	n, _ := ctx.Value(ctxKey{}).(*node)
	return n
}

// NewContext returns ctx carrying org as the request's organization. The authentication
// middleware calls it for every authenticated request, with the zero Org when none is
// active: the guards tell "not authenticated" (no NewContext at all, 401) from
// "authenticated without an active organization" (403).
func NewContext(ctx context.Context, org Org) context.Context {
	n := &node{Context: ctx, org: org, authenticated: true}
	if p := nodeFrom(ctx); p != nil {
		n.realm, n.onFailure = p.realm, p.onFailure
	}
	return n
}

// WithFailureHandler returns ctx carrying the realm and the failure handler that [Refuse]
// answers with, for the requests of ctx. The authentication middleware calls it once per
// request with the settings it was configured with, so that the guards downstream answer
// as it does. An empty realm means [DefaultRealm]; a nil h means [WriteFailure].
func WithFailureHandler(ctx context.Context, realm string, h FailureHandler) context.Context {
	n := &node{Context: ctx, realm: realm, onFailure: h}
	if p := nodeFrom(ctx); p != nil {
		n.org, n.authenticated = p.org, p.authenticated
	}
	return n
}

// FromContext returns the active organization; ok is false when there is none.
func FromContext(ctx context.Context) (org Org, ok bool) {
	n := nodeFrom(ctx)
	if n == nil || !n.org.Active() {
		return Org{}, false
	}
	return n.org, true
}

// OrgID returns the active organization's id, or ErrNoOrg: never "". Scope every query of
// tenant data by it.
func OrgID(ctx context.Context) (string, error) {
	org, ok := FromContext(ctx)
	if !ok {
		return "", ErrNoOrg
	}
	return org.ID, nil
}

// Owns reports whether an object belonging to orgID belongs to the active organization.
// Handlers answer 404 (not 403) when it does not, so a user of one organization cannot
// learn which ids exist in another.
func Owns(ctx context.Context, orgID string) bool {
	org, ok := FromContext(ctx)
	return ok && orgID != "" && org.ID == orgID
}

// Refuse answers r with f, by the failure handler configured for r (see
// [WithFailureHandler]; [WriteFailure] when none is). f.Realm, when empty, becomes the
// configured realm ([DefaultRealm] when none is). The guards downstream of the
// authentication middleware (these, clerkauth's RequireScope and RequireReverification)
// refuse through it; use it for the refusals of your own handlers too, so that clients
// meet one shape and your handler sees them all.
//
// A FailureHandler must not call Refuse (it would call itself): it calls WriteFailure for
// the default answer.
func Refuse(w http.ResponseWriter, r *http.Request, f Failure) {
	var h FailureHandler
	if n := nodeFrom(r.Context()); n != nil {
		if f.Realm == "" {
			f.Realm = n.realm
		}
		h = n.onFailure
	}
	if f.Realm == "" {
		f.Realm = DefaultRealm
	}
	if h == nil {
		WriteFailure(w, r, f)
		return
	}
	h(w, r, f)
}
