package storetest

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// The helpers below call the store with a fresh copy of the record (so
// that a store keeping the caller's pointer cannot hide a bug behind the
// kit's own values) and end the check on an error.

func (c *checker) upsertUser(u store.User, wantApplied bool) {
	if applied := c.upsertUserNoCheck(u); applied != wantApplied {
		c.errorf("UpsertUser(%s, UpdatedAt %s) applied = %v, want %v", u.ID, fmtTime(u.UpdatedAt), applied, wantApplied)
	}
}

func (c *checker) upsertUserNoCheck(u store.User) (applied bool) {
	u.PublicMetadata = slices.Clone(u.PublicMetadata)
	applied, err := c.users.UpsertUser(c.ctx, &u)
	if err != nil {
		c.fatalf("UpsertUser(%s, UpdatedAt %s): unexpected error: %v", u.ID, fmtTime(u.UpdatedAt), err)
	}
	return applied
}

func (c *checker) deactivateUser(id string, t time.Time, wantApplied bool) {
	applied, err := c.users.DeactivateUser(c.ctx, id, t)
	if err != nil {
		c.fatalf("DeactivateUser(%s, %s): unexpected error: %v", id, fmtTime(t), err)
	}
	if applied != wantApplied {
		c.errorf("DeactivateUser(%s, %s) applied = %v, want %v", id, fmtTime(t), applied, wantApplied)
	}
}

// wantUser fetches id and compares it with want; what names the situation
// in failure messages.
func (c *checker) wantUser(what string, want store.User) {
	got, err := c.users.GetUser(c.ctx, want.ID)
	if err != nil {
		c.fatalf("%s: GetUser(%s): unexpected error: %v", what, want.ID, err)
	}
	if got == nil {
		c.fatalf("%s: GetUser(%s) returned a nil user and no error", what, want.ID)
	}
	if d := diffUser(got, want); len(d) > 0 {
		c.errorf("%s: GetUser(%s):\n\t%s", what, want.ID, strings.Join(d, "\n\t"))
	}
	if got.Active() != want.Active() {
		c.errorf("%s: GetUser(%s).Active() = %v, want %v", what, want.ID, got.Active(), want.Active())
	}
}

func (c *checker) wantUserNotFound(what, id string) {
	got, err := c.users.GetUser(c.ctx, id)
	if !errors.Is(err, store.ErrNotFound) {
		c.errorf("%s: GetUser(%s) error = %v, want one wrapping store.ErrNotFound", what, showID(id), err)
	}
	if got != nil {
		c.errorf("%s: GetUser(%s) returned a user (%+v) with ErrNotFound, want nil", what, showID(id), *got)
	}
}

func (c *checker) upsertOrg(o store.Organization, wantApplied bool) {
	o.PublicMetadata = slices.Clone(o.PublicMetadata)
	applied, err := c.orgs.UpsertOrganization(c.ctx, &o)
	if err != nil {
		c.fatalf("UpsertOrganization(%s, UpdatedAt %s): unexpected error: %v", o.ID, fmtTime(o.UpdatedAt), err)
	}
	if applied != wantApplied {
		c.errorf("UpsertOrganization(%s, UpdatedAt %s) applied = %v, want %v", o.ID, fmtTime(o.UpdatedAt), applied, wantApplied)
	}
}

func (c *checker) deleteOrg(id string, t time.Time, wantApplied bool) {
	applied, err := c.orgs.DeleteOrganization(c.ctx, id, t)
	if err != nil {
		c.fatalf("DeleteOrganization(%s, %s): unexpected error: %v", id, fmtTime(t), err)
	}
	if applied != wantApplied {
		c.errorf("DeleteOrganization(%s, %s) applied = %v, want %v", id, fmtTime(t), applied, wantApplied)
	}
}

func (c *checker) wantOrg(what string, want store.Organization) {
	got, err := c.orgs.GetOrganization(c.ctx, want.ID)
	if err != nil {
		c.fatalf("%s: GetOrganization(%s): unexpected error: %v", what, want.ID, err)
	}
	if got == nil {
		c.fatalf("%s: GetOrganization(%s) returned a nil organization and no error", what, want.ID)
	}
	if d := diffOrg(got, want); len(d) > 0 {
		c.errorf("%s: GetOrganization(%s):\n\t%s", what, want.ID, strings.Join(d, "\n\t"))
	}
}

func (c *checker) wantOrgNotFound(what, id string) {
	got, err := c.orgs.GetOrganization(c.ctx, id)
	if !errors.Is(err, store.ErrNotFound) {
		c.errorf("%s: GetOrganization(%s) error = %v, want one wrapping store.ErrNotFound", what, showID(id), err)
	}
	if got != nil {
		c.errorf("%s: GetOrganization(%s) returned an organization with ErrNotFound, want nil", what, showID(id))
	}
}

func (c *checker) upsertMembership(m store.Membership, wantApplied bool) {
	if applied := c.upsertMembershipNoCheck(m); applied != wantApplied {
		c.errorf("UpsertMembership(%s/%s, UpdatedAt %s) applied = %v, want %v", m.OrgID, m.UserID, fmtTime(m.UpdatedAt), applied, wantApplied)
	}
}

func (c *checker) upsertMembershipNoCheck(m store.Membership) (applied bool) {
	m.Permissions = slices.Clone(m.Permissions)
	applied, err := c.orgs.UpsertMembership(c.ctx, &m)
	if err != nil {
		c.fatalf("UpsertMembership(%s/%s, UpdatedAt %s): unexpected error: %v", m.OrgID, m.UserID, fmtTime(m.UpdatedAt), err)
	}
	return applied
}

func (c *checker) deleteMembership(orgID, userID string, t time.Time, wantApplied bool) {
	applied, err := c.orgs.DeleteMembership(c.ctx, orgID, userID, t)
	if err != nil {
		c.fatalf("DeleteMembership(%s/%s, %s): unexpected error: %v", orgID, userID, fmtTime(t), err)
	}
	if applied != wantApplied {
		c.errorf("DeleteMembership(%s/%s, %s) applied = %v, want %v", orgID, userID, fmtTime(t), applied, wantApplied)
	}
}

func (c *checker) wantMembership(what string, want store.Membership) {
	got, err := c.orgs.GetMembership(c.ctx, want.OrgID, want.UserID)
	if err != nil {
		c.fatalf("%s: GetMembership(%s/%s): unexpected error: %v", what, want.OrgID, want.UserID, err)
	}
	if got == nil {
		c.fatalf("%s: GetMembership(%s/%s) returned a nil membership and no error", what, want.OrgID, want.UserID)
	}
	if d := diffMembership(got, want); len(d) > 0 {
		c.errorf("%s: GetMembership(%s/%s):\n\t%s", what, want.OrgID, want.UserID, strings.Join(d, "\n\t"))
	}
	if got.Active() != want.Active() {
		c.errorf("%s: GetMembership(%s/%s).Active() = %v, want %v", what, want.OrgID, want.UserID, got.Active(), want.Active())
	}
}

func (c *checker) wantMembershipNotFound(what, orgID, userID string) {
	got, err := c.orgs.GetMembership(c.ctx, orgID, userID)
	if !errors.Is(err, store.ErrNotFound) {
		c.errorf("%s: GetMembership(%s/%s) error = %v, want one wrapping store.ErrNotFound", what, showID(orgID), showID(userID), err)
	}
	if got != nil {
		c.errorf("%s: GetMembership(%s/%s) returned a membership with ErrNotFound, want nil", what, showID(orgID), showID(userID))
	}
}

// wantMembers checks ListMembers(orgID) against want, in order.
func (c *checker) wantMembers(what, orgID string, want ...store.Membership) {
	got, err := c.orgs.ListMembers(c.ctx, orgID)
	if err != nil {
		c.fatalf("%s: ListMembers(%s): unexpected error: %v", what, showID(orgID), err)
	}
	c.wantList(what, "ListMembers("+showID(orgID)+")", got, want)
}

// wantUserMemberships checks ListUserMemberships(userID) against want, in
// order.
func (c *checker) wantUserMemberships(what, userID string, want ...store.Membership) {
	got, err := c.orgs.ListUserMemberships(c.ctx, userID)
	if err != nil {
		c.fatalf("%s: ListUserMemberships(%s): unexpected error: %v", what, showID(userID), err)
	}
	c.wantList(what, "ListUserMemberships("+showID(userID)+")", got, want)
}

func (c *checker) wantList(what, call string, got, want []store.Membership) {
	if gk, wk := membershipKeys(got), membershipKeys(want); !slices.Equal(gk, wk) {
		c.errorf("%s: %s = %q, want %q (active ones, without those of a deleted organization or user, in this order)", what, call, gk, wk)
		return
	}
	for i := range got {
		if d := diffMembership(&got[i], want[i]); len(d) > 0 {
			c.errorf("%s: %s[%d]:\n\t%s", what, call, i, strings.Join(d, "\n\t"))
		}
	}
}
