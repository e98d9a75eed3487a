package storetest

import (
	"fmt"
	"strings"

	"github.com/unioneyes/authkit/clerkauth/store"
)

var permutationChecks = []check{
	{"UserPermutations", needUsers, checkUserPermutations},
	{"OrgPermutations", needOrgs, checkOrgPermutations},
	{"MembershipPermutations", needOrgs, checkMembershipPermutations},
}

// step is one write of a sequence, applied to the ids of one permutation.
type step struct {
	name string
	do   func(c *checker, ids permIDs)
}

type permIDs struct{ user, org string }

// sequence is a realistic history of one record: its steps, the pairs of
// steps that are the same delivery twice (only one order of each pair is
// tried, the other being the same sequence), and the check of the final
// state, which must hold after every order.
type sequence struct {
	steps []step
	dups  [][2]int
	want  func(c *checker, what string, ids permIDs)
}

// run applies every distinct order of the steps, each to its own ids, and
// checks the final state after each. It stops at the first order that
// ends wrong.
func (s sequence) run(c *checker, name string) {
	n := 0
	permutations(len(s.steps), s.dups, func(order []int) {
		ids := permIDs{user: c.id(fmt.Sprintf("user_%s%d", name, n)), org: c.id(fmt.Sprintf("org_%s%d", name, n))}
		n++
		names := make([]string, len(order))
		for i, k := range order {
			names[i] = s.steps[k].name
			s.steps[k].do(c, ids)
		}
		before := len(c.msgs)
		s.want(c, "after "+strings.Join(names, ", "), ids)
		if len(c.msgs) > before {
			c.fatalf("the final state depends on the order of the writes (%d orders tried)", n)
		}
	})
}

// permutations calls fn with every permutation of 0..n-1 in which, for
// each pair in dups, the first index comes before the second.
func permutations(n int, dups [][2]int, fn func([]int)) {
	order := make([]int, 0, n)
	used := make([]bool, n)
	var rec func()
	rec = func() {
		if len(order) == n {
			fn(order)
			return
		}
	next:
		for k := range n {
			if used[k] {
				continue
			}
			for _, d := range dups {
				if d[1] == k && !used[d[0]] {
					continue next
				}
			}
			used[k] = true
			order = append(order, k)
			rec()
			order = order[:len(order)-1]
			used[k] = false
		}
	}
	rec()
}

// A user provisioned from a token, created, updated twice and deleted,
// with one update delivered twice: 360 orders.
func checkUserPermutations(c *checker) {
	upsert := func(v int) func(c *checker, ids permIDs) {
		return func(c *checker, ids permIDs) { c.upsertUserNoCheck(user(ids.user, v)) }
	}
	sequence{
		steps: []step{
			{"provisioned", func(c *checker, ids permIDs) {
				c.upsertUserNoCheck(store.User{ID: ids.user, Email: "from-token@example.com"})
			}},
			{"created v10", upsert(10)},
			{"updated v20", upsert(20)},
			{"updated v30", upsert(30)},
			{"deleted at 40", func(c *checker, ids permIDs) {
				if _, err := c.users.DeactivateUser(c.ctx, ids.user, at(40)); err != nil {
					c.fatalf("DeactivateUser: unexpected error: %v", err)
				}
			}},
			{"updated v20 (again)", upsert(20)},
		},
		dups: [][2]int{{2, 5}},
		want: func(c *checker, what string, ids permIDs) {
			c.wantUser(what, deactivated(user(ids.user, 30), at(40)))
		},
	}.run(c, "p")
}

// An organization created, updated twice and deleted, one update
// delivered twice: 60 orders.
func checkOrgPermutations(c *checker) {
	upsert := func(v int) func(c *checker, ids permIDs) {
		return func(c *checker, ids permIDs) {
			o := org(ids.org, v)
			if _, err := c.orgs.UpsertOrganization(c.ctx, &o); err != nil {
				c.fatalf("UpsertOrganization: unexpected error: %v", err)
			}
		}
	}
	sequence{
		steps: []step{
			{"created v10", upsert(10)},
			{"updated v20", upsert(20)},
			{"updated v30", upsert(30)},
			{"deleted at 40", func(c *checker, ids permIDs) {
				if _, err := c.orgs.DeleteOrganization(c.ctx, ids.org, at(40)); err != nil {
					c.fatalf("DeleteOrganization: unexpected error: %v", err)
				}
			}},
			{"updated v20 (again)", upsert(20)},
		},
		dups: [][2]int{{1, 4}},
		want: func(c *checker, what string, ids permIDs) {
			c.wantOrg(what, deletedOrg(org(ids.org, 30), at(40)))
		},
	}.run(c, "p")
}

// Two membership histories: one member removed and invited again (active
// in the end), one removed for good (inactive), each with deliveries made
// twice.
func checkMembershipPermutations(c *checker) {
	upsert := func(v int) func(c *checker, ids permIDs) {
		return func(c *checker, ids permIDs) { c.upsertMembershipNoCheck(membership(ids.org, ids.user, v)) }
	}
	del := func(t int) func(c *checker, ids permIDs) {
		return func(c *checker, ids permIDs) {
			if _, err := c.orgs.DeleteMembership(c.ctx, ids.org, ids.user, at(t)); err != nil {
				c.fatalf("DeleteMembership: unexpected error: %v", err)
			}
		}
	}
	// 180 orders.
	sequence{
		steps: []step{
			{"created v11", upsert(11)},
			{"updated v20", upsert(20)},
			{"deleted at 25", del(25)},
			{"created again v31", upsert(31)},
			{"created v11 (again)", upsert(11)},
			{"deleted at 25 (again)", del(25)},
		},
		dups: [][2]int{{0, 4}, {2, 5}},
		want: func(c *checker, what string, ids permIDs) {
			want := deletedMembership(membership(ids.org, ids.user, 31), at(25))
			c.wantMembership(what, want)
			c.wantMembers(what, ids.org, want)
			c.wantUserMemberships(what, ids.user, want)
		},
	}.run(c, "again")
	// 12 orders.
	sequence{
		steps: []step{
			{"created v11", upsert(11)},
			{"updated v20", upsert(20)},
			{"deleted at 25", del(25)},
			{"updated v20 (again)", upsert(20)},
		},
		dups: [][2]int{{1, 3}},
		want: func(c *checker, what string, ids permIDs) {
			c.wantMembership(what, deletedMembership(membership(ids.org, ids.user, 20), at(25)))
			c.wantMembers(what, ids.org)
			c.wantUserMemberships(what, ids.user)
		},
	}.run(c, "gone")
}
