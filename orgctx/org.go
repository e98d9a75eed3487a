package orgctx

import (
	"slices"
	"strings"
)

// rolePrefix is the prefix Clerk gives organization roles ("org:admin").
const rolePrefix = "org:"

// Org is the active organization of an authenticated request: its id and slug, the user's
// role in it (always in "org:" form, e.g. "org:admin") and the user's permissions in it
// ("org:<feature>:<permission>"). The zero Org means no organization is active.
type Org struct {
	ID          string
	Slug        string
	Role        string
	Permissions []string
}

// Active reports whether an organization is active (the Org has an id).
func (o Org) Active() bool { return o.ID != "" }

// NormalizeRole returns role in "org:" form: "admin" and "org:admin" both give "org:admin".
// The empty role stays empty.
func NormalizeRole(role string) string {
	if role == "" || strings.HasPrefix(role, rolePrefix) {
		return role
	}
	return rolePrefix + role
}

// HasRole reports whether the user's role is role, given as "admin" or "org:admin".
func (o Org) HasRole(role string) bool {
	return o.Active() && role != "" && o.Role == NormalizeRole(role)
}

// HasAnyRole reports whether the user's role is any of roles.
func (o Org) HasAnyRole(roles ...string) bool {
	return slices.ContainsFunc(roles, o.HasRole)
}

// HasPermission reports whether the user holds perm ("org:<feature>:<permission>").
func (o Org) HasPermission(perm string) bool {
	return o.Active() && perm != "" && slices.Contains(o.Permissions, perm)
}

// HasAllPermissions reports whether the user holds every one of perms (true for none).
func (o Org) HasAllPermissions(perms ...string) bool {
	for _, p := range perms {
		if !o.HasPermission(p) {
			return false
		}
	}
	return o.Active()
}

// HasAnyPermission reports whether the user holds at least one of perms.
func (o Org) HasAnyPermission(perms ...string) bool {
	return slices.ContainsFunc(perms, o.HasPermission)
}
