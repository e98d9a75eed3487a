package orgctx

import (
	"context"
	"errors"
)

// ErrNoOrg means the request has no active organization (or is not authenticated).
var ErrNoOrg = errors.New("orgctx: no active organization")

type ctxKey struct{}

// state is what NewContext stores: that the request is authenticated, and its org.
type state struct{ org Org }

// NewContext returns ctx carrying org as the request's organization context. The
// authentication middleware calls it for every authenticated request, with the zero Org
// when none is active: the guards tell "not authenticated" (no NewContext at all, 401)
// from "authenticated without an active organization" (403).
func NewContext(ctx context.Context, org Org) context.Context {
	return context.WithValue(ctx, ctxKey{}, &state{org: org})
}

// FromContext returns the active organization; ok is false when there is none.
func FromContext(ctx context.Context) (org Org, ok bool) {
	s, _ := ctx.Value(ctxKey{}).(*state)
	if s == nil || !s.org.Active() {
		return Org{}, false
	}
	return s.org, true
}

// Authenticated reports whether an authentication middleware put an organization context
// (possibly without an active organization) in ctx.
func Authenticated(ctx context.Context) bool {
	s, _ := ctx.Value(ctxKey{}).(*state)
	return s != nil
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
