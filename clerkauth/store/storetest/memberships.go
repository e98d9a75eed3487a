package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// membership returns version v of a membership: the role and permissions
// depend on v, and UpdatedAt is at(v).
func membership(orgID, userID string, v int) store.Membership {
	role := "org:member"
	perms := []string{"org:posts:read"}
	if v%2 == 0 {
		role = "org:admin"
		perms = []string{"org:sys_memberships:manage", "org:posts:write", "org:posts:read"}
	}
	return store.Membership{
		ID:          fmt.Sprintf("orgmem_v%d", v),
		OrgID:       orgID,
		UserID:      userID,
		Role:        role,
		Permissions: perms,
		CreatedAt:   at(1),
		UpdatedAt:   at(v),
	}
}

func deletedMembership(m store.Membership, t time.Time) store.Membership {
	m.DeletedAt = t
	return m
}

var membershipChecks = []check{
	{"MembershipNotFound", needOrgs, checkMembershipNotFound},
	{"MembershipRoundTrip", needOrgs, checkMembershipRoundTrip},
	{"MembershipBeforeOrganization", needOrgs, checkMembershipBeforeOrg},
	{"MembershipVersionGuard", needOrgs, checkMembershipVersionGuard},
	{"MembershipDelete", needOrgs, checkMembershipDelete},
	{"MembershipRecreate", needOrgs, checkMembershipRecreate},
	{"MembershipTombstone", needOrgs, checkMembershipTombstone},
	{"MembershipUpsertKeepsDeletedAt", needOrgs, checkMembershipUpsertKeepsDeletedAt},
	{"MembershipLists", needOrgs, checkMembershipLists},
	{"MembershipIsolation", needOrgs, checkMembershipIsolation},
}

func checkMembershipNotFound(c *checker) {
	o, u := c.id("org_a"), c.id("user_a")
	c.wantMembershipNotFound("empty store", o, u)
	c.wantMembers("empty store", o)
	c.wantUserMemberships("empty store", u)
	c.upsertMembership(membership(o, u, 1), true)
	c.wantMembershipNotFound("same organization, another user", o, c.id("user_b"))
	c.wantMembershipNotFound("same user, another organization", c.id("org_b"), u)
	c.wantMembershipNotFound("organization and user swapped", u, o)
	c.wantMembers("another organization", c.id("org_b"))
	c.wantUserMemberships("another user", c.id("user_b"))
}

func checkMembershipRoundTrip(c *checker) {
	m := store.Membership{
		ID:     "orgmem_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
		OrgID:  c.id("org_a"),
		UserID: c.id("user_a"),
		Role:   "org:billing_manager",
		// Not sorted: the order is Clerk's and must survive.
		Permissions: []string{"org:sys_billing:manage", "org:posts:write", "org:analytics:read", "org:posts:read"},
		CreatedAt:   at(1).Add(1500 * time.Microsecond),
		UpdatedAt:   at(2),
	}
	c.upsertMembership(m, true)
	c.wantMembership("after the first upsert", m)
	c.wantMembers("after the first upsert", m.OrgID, m)
	c.wantUserMemberships("after the first upsert", m.UserID, m)

	bare := store.Membership{OrgID: c.id("org_b"), UserID: c.id("user_a"), UpdatedAt: at(1)}
	c.upsertMembership(bare, true)
	c.wantMembership("a membership without role or permissions", bare)
}

// Webhooks arrive in any order: a membership may come before its
// organization, which may never come.
func checkMembershipBeforeOrg(c *checker) {
	o, u := c.id("org_a"), c.id("user_a")
	m := membership(o, u, 1)
	c.upsertMembership(m, true)
	c.wantOrgNotFound("membership written first", o)
	c.wantMembership("membership written first", m)
	c.wantMembers("membership written first", o, m)
	c.wantUserMemberships("membership written first", u, m)
	c.upsertOrg(org(o, 1), true)
	c.wantMembers("after the organization arrived", o, m)
}

func checkMembershipVersionGuard(c *checker) {
	o, u := c.id("org_a"), c.id("user_a")
	c.upsertMembership(membership(o, u, 20), true)
	c.upsertMembership(membership(o, u, 11), false)
	c.wantMembership("after an older version", membership(o, u, 20))
	equal := membership(o, u, 21)
	equal.UpdatedAt = at(20)
	c.upsertMembership(equal, false)
	c.wantMembership("after another membership with an equal version", membership(o, u, 20))
	c.upsertMembership(membership(o, u, 31), true)
	c.wantMembership("after a newer version", membership(o, u, 31))
	c.wantMembers("after a newer version", o, membership(o, u, 31))
}

func checkMembershipDelete(c *checker) {
	o, u := c.id("org_a"), c.id("user_a")
	c.upsertMembership(membership(o, u, 2), true)
	c.deleteMembership(o, u, at(10), true)
	gone := deletedMembership(membership(o, u, 2), at(10))
	c.wantMembership("deleted (the record is kept)", gone)
	c.wantMembers("deleted", o)
	c.wantUserMemberships("deleted", u)
	c.deleteMembership(o, u, at(10), false)
	c.deleteMembership(o, u, at(5), false)
	c.wantMembership("deleted again, same time and earlier", gone)
	c.deleteMembership(o, u, at(15), true)
	c.wantMembership("deleted again, later", deletedMembership(membership(o, u, 2), at(15)))
	c.upsertMembership(membership(o, u, 3), true)
	c.wantMembership("a newer version still older than the deletion", deletedMembership(membership(o, u, 3), at(15)))
	c.wantMembers("a newer version still older than the deletion", o)
}

// A member removed and added again has a membership newer than its
// deletion: it is active again, and the old one's late events do not
// change that.
func checkMembershipRecreate(c *checker) {
	o, u := c.id("org_a"), c.id("user_a")
	c.upsertMembership(membership(o, u, 1), true)
	c.deleteMembership(o, u, at(10), true)
	again := membership(o, u, 12)
	c.upsertMembership(again, true)
	want := deletedMembership(again, at(10))
	c.wantMembership("created again after deletion", want)
	c.wantMembers("created again after deletion", o, want)
	c.wantUserMemberships("created again after deletion", u, want)
	c.upsertMembership(membership(o, u, 1), false)
	c.upsertMembership(membership(o, u, 9), false)
	c.deleteMembership(o, u, at(10), false)
	c.wantMembership("old events after the re-creation", want)
	c.wantMembers("old events after the re-creation", o, want)

	// At the same instant, the deletion wins.
	p := c.id("org_b")
	c.deleteMembership(p, u, at(20), true)
	c.upsertMembership(membership(p, u, 20), true)
	c.wantMembership("updated at the instant of its deletion", deletedMembership(membership(p, u, 20), at(20)))
	c.wantMembers("updated at the instant of its deletion", p)
}

// Deleting an unknown membership leaves a tombstone: its late creation
// does not make it active, a newer one does.
func checkMembershipTombstone(c *checker) {
	o, u := c.id("org_a"), c.id("user_a")
	c.deleteMembership(o, u, at(10), true)
	c.wantMembership("tombstone", store.Membership{OrgID: o, UserID: u, DeletedAt: at(10)})
	c.wantMembers("tombstone", o)
	c.wantUserMemberships("tombstone", u)
	c.upsertMembership(membership(o, u, 1), true)
	c.wantMembership("late creation after the tombstone", deletedMembership(membership(o, u, 1), at(10)))
	c.wantMembers("late creation after the tombstone", o)
	c.wantUserMemberships("late creation after the tombstone", u)
	c.upsertMembership(membership(o, u, 11), true)
	want := deletedMembership(membership(o, u, 11), at(10))
	c.wantMembership("a creation newer than the tombstone", want)
	c.wantMembers("a creation newer than the tombstone", o, want)
}

func checkMembershipUpsertKeepsDeletedAt(c *checker) {
	o, u := c.id("org_a"), c.id("user_a")
	c.upsertMembership(deletedMembership(membership(o, u, 1), at(50)), true)
	c.wantMembership("a new membership upserted with DeletedAt set", membership(o, u, 1))
	c.deleteMembership(o, u, at(10), true)
	c.upsertMembership(membership(o, u, 12), true)
	c.upsertMembership(deletedMembership(membership(o, u, 13), at(99)), true)
	c.wantMembership("newer versions carrying another DeletedAt", deletedMembership(membership(o, u, 13), at(10)))
}

// The lists hold active memberships only, ordered byte-wise by id (as Go
// compares strings; PostgreSQL needs COLLATE "C" for that): the ids below
// differ in case, which a locale-aware collation orders differently.
func checkMembershipLists(c *checker) {
	orgs := []string{c.id("org_B"), c.id("org_a"), c.id("org_C"), c.id("org_b")}
	users := []string{c.id("user_b"), c.id("user_A"), c.id("user_c"), c.id("user_B"), c.id("user_10"), c.id("user_1")}
	type key struct{ o, u int }
	var all []key
	for o := range orgs {
		for u := range users {
			all = append(all, key{o, u})
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	active := map[key]store.Membership{}
	for i, k := range all {
		m := membership(orgs[k.o], users[k.u], 2+i%2)
		c.upsertMembership(m, true)
		switch i % 4 {
		case 0: // deleted
			c.deleteMembership(m.OrgID, m.UserID, at(50), true)
		case 1: // deleted, then created again
			c.deleteMembership(m.OrgID, m.UserID, at(50), true)
			m = deletedMembership(membership(orgs[k.o], users[k.u], 60+i), at(50))
			c.upsertMembership(m, true)
			active[k] = m
		default:
			active[k] = m
		}
	}
	// Deleted memberships of orgs and users that have no active one.
	c.deleteMembership(c.id("org_gone"), users[0], at(5), true)
	c.upsertMembership(membership(c.id("org_gone"), c.id("user_gone"), 1), true)
	c.deleteMembership(c.id("org_gone"), c.id("user_gone"), at(5), true)

	byID := func(f func(m store.Membership) string) func(a, b store.Membership) int {
		return func(a, b store.Membership) int { return strings.Compare(f(a), f(b)) }
	}
	for o, orgID := range orgs {
		var want []store.Membership
		for u := range users {
			if m, ok := active[key{o, u}]; ok {
				want = append(want, m)
			}
		}
		slices.SortFunc(want, byID(func(m store.Membership) string { return m.UserID }))
		c.wantMembers("members ordered by UserID", orgID, want...)
	}
	for u, userID := range users {
		var want []store.Membership
		for o := range orgs {
			if m, ok := active[key{o, u}]; ok {
				want = append(want, m)
			}
		}
		slices.SortFunc(want, byID(func(m store.Membership) string { return m.OrgID }))
		c.wantUserMemberships("memberships ordered by OrgID", userID, want...)
	}
	c.wantMembers("an organization with deleted memberships only", c.id("org_gone"))
	c.wantUserMemberships("a user with deleted memberships only", c.id("user_gone"))
}

func checkMembershipIsolation(c *checker) {
	o, u := c.id("org_a"), c.id("user_a")
	want := membership(o, u, 2)
	in := membership(o, u, 2)
	if _, err := c.orgs.UpsertMembership(c.ctx, &in); err != nil {
		c.fatalf("UpsertMembership: unexpected error: %v", err)
	}
	in.Permissions[0] = "org:changed:by_caller"
	in.Role = "org:changed"
	c.wantMembership("after the caller changed the record it upserted", want)

	got, err := c.orgs.GetMembership(c.ctx, o, u)
	if err != nil {
		c.fatalf("GetMembership: unexpected error: %v", err)
	}
	if len(got.Permissions) > 0 {
		got.Permissions[0] = "org:changed:by_caller"
	}
	c.wantMembership("after the caller changed the record GetMembership returned", want)

	for _, list := range []func() ([]store.Membership, error){
		func() ([]store.Membership, error) { return c.orgs.ListMembers(c.ctx, o) },
		func() ([]store.Membership, error) { return c.orgs.ListUserMemberships(c.ctx, u) },
	} {
		ms, err := list()
		if err != nil {
			c.fatalf("listing memberships: unexpected error: %v", err)
		}
		for i := range ms {
			if len(ms[i].Permissions) > 0 {
				ms[i].Permissions[0] = "org:changed:by_caller"
			}
		}
	}
	c.wantMembership("after the caller changed the records the lists returned", want)
}
