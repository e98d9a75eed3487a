package storetest

import "github.com/unioneyes/authkit/clerkauth/store"

// The lists leave out the memberships of a deleted organization or of a
// deactivated user, whose records the store holds: Clerk may never send
// those memberships' own deletions, or send a creation late, after the
// user's or organization's deletion. GetMembership still returns the
// membership's record as it is.
var membershipParentChecks = []check{
	{"MembershipListsSkipDeletedOrganization", needOrgs, checkMembershipListsDeletedOrg},
	{"MembershipListsSkipDeactivatedUser", needOrgs | needOrgUsers, checkMembershipListsDeactivatedUser},
}

func checkMembershipListsDeletedOrg(c *checker) {
	o, p := c.id("org_a"), c.id("org_b")
	a, b := c.id("user_a"), c.id("user_b")
	ma, mb, pa := membership(o, a, 2), membership(o, b, 3), membership(p, a, 2)
	c.upsertOrg(org(o, 1), true)
	c.upsertMembership(ma, true)
	c.upsertMembership(mb, true)
	c.upsertMembership(pa, true)
	c.wantMembers("before the organization's deletion", o, ma, mb)
	c.wantUserMemberships("before the organization's deletion", a, ma, pa)

	c.deleteOrg(o, at(10), true)
	c.wantMembers("organization deleted", o)
	c.wantUserMemberships("organization deleted: another organization's membership stays", a, pa)
	c.wantUserMemberships("organization deleted", b)
	c.wantMembership("organization deleted: GetMembership returns the record as it is", ma)
	c.wantMembers("organization deleted: another organization", p, pa)

	// organizationMembership.created delivered after organization.deleted.
	late := membership(o, c.id("user_c"), 20)
	c.upsertMembership(late, true)
	c.wantMembers("a membership written after its organization's deletion", o)
	c.wantUserMemberships("a membership written after its organization's deletion", late.UserID)
	c.wantMembership("a membership written after its organization's deletion", late)

	c.upsertOrg(org(o, 30), true)
	c.wantMembers("a newer version of the deleted organization", o)

	// Deleted before its record ever arrived: a tombstone.
	q := c.id("org_c")
	c.deleteOrg(q, at(10), true)
	qb := membership(q, b, 2)
	c.upsertMembership(qb, true)
	c.wantMembers("a membership of an organization known only by its deletion", q)
	c.wantUserMemberships("a membership of an organization known only by its deletion", b)
}

func checkMembershipListsDeactivatedUser(c *checker) {
	// The Orgs store's own users: what its lists can see.
	c.users = c.orgs.(store.Users)
	o, p := c.id("org_a"), c.id("org_b")
	a, b := c.id("user_a"), c.id("user_b")
	ma, mb, pa := membership(o, a, 2), membership(o, b, 3), membership(p, a, 2)
	c.upsertUser(user(a, 1), true)
	c.upsertUser(user(b, 1), true)
	c.upsertMembership(ma, true)
	c.upsertMembership(mb, true)
	c.upsertMembership(pa, true)
	c.wantMembers("before the user's deactivation", o, ma, mb)
	c.wantUserMemberships("before the user's deactivation", a, ma, pa)

	c.deactivateUser(a, at(10), true)
	c.wantMembers("user deactivated: another user's membership stays", o, mb)
	c.wantMembers("user deactivated", p)
	c.wantUserMemberships("user deactivated", a)
	c.wantUserMemberships("user deactivated: another user", b, mb)
	c.wantMembership("user deactivated: GetMembership returns the record as it is", ma)

	// organizationMembership.created delivered after user.deleted.
	late := membership(c.id("org_c"), a, 20)
	c.upsertMembership(late, true)
	c.wantMembers("a membership written after its user's deactivation", late.OrgID)
	c.wantUserMemberships("a membership written after its user's deactivation", a)
	c.wantMembership("a membership written after its user's deactivation", late)

	c.upsertUser(user(a, 30), true)
	c.wantMembers("a newer version of the deactivated user", o, mb)

	// Deactivated before its record ever arrived: a tombstone.
	d := c.id("user_d")
	c.deactivateUser(d, at(10), true)
	od := membership(o, d, 2)
	c.upsertMembership(od, true)
	c.wantMembers("a membership of a user known only by its deactivation", o, mb)
	c.wantUserMemberships("a membership of a user known only by its deactivation", d)
}
