package storetest

import (
	"context"
	"errors"

	"github.com/unioneyes/authkit/clerkauth/store"
)

var cancelChecks = []check{
	{"UserCancelledContext", needUsers, checkUserCancelled},
	{"OrgCancelledContext", needOrgs, checkOrgCancelled},
}

// call is one store method called with an ended context.
type call struct {
	name string
	fn   func(ctx context.Context) (applied bool, err error)
}

// wantFailures checks that every call fails with an error that is not
// ErrNotFound and reports nothing applied.
func (c *checker) wantFailures(calls []call) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, cl := range calls {
		applied, err := cl.fn(ctx)
		switch {
		case err == nil:
			c.errorf("%s with a cancelled context succeeded, want an error", cl.name)
		case errors.Is(err, store.ErrNotFound):
			c.errorf("%s with a cancelled context: error %q wraps ErrNotFound, want a failure of the store", cl.name, err)
		}
		if applied {
			c.errorf("%s with a cancelled context reported applied = true", cl.name)
		}
	}
}

// A cancelled context makes every method fail, for known and unknown ids
// alike, and no write happens.
func checkUserCancelled(c *checker) {
	known, unknown := c.id("user_known"), c.id("user_unknown")
	c.upsertUser(user(known, 1), true)
	var calls []call
	for _, id := range []string{known, unknown} {
		calls = append(calls,
			call{"GetUser(" + id + ")", func(ctx context.Context) (bool, error) {
				_, err := c.users.GetUser(ctx, id)
				return false, err
			}},
			call{"UpsertUser(" + id + ")", func(ctx context.Context) (bool, error) {
				u := user(id, 2)
				return c.users.UpsertUser(ctx, &u)
			}},
			call{"DeactivateUser(" + id + ")", func(ctx context.Context) (bool, error) {
				return c.users.DeactivateUser(ctx, id, at(3))
			}},
		)
	}
	c.wantFailures(calls)
	c.wantUser("after writes with a cancelled context", user(known, 1))
	c.wantUserNotFound("after writes with a cancelled context", unknown)
}

func checkOrgCancelled(c *checker) {
	known, unknown, u := c.id("org_known"), c.id("org_unknown"), c.id("user_a")
	c.upsertOrg(org(known, 1), true)
	c.upsertMembership(membership(known, u, 1), true)
	var calls []call
	for _, id := range []string{known, unknown} {
		calls = append(calls,
			call{"GetOrganization(" + id + ")", func(ctx context.Context) (bool, error) {
				_, err := c.orgs.GetOrganization(ctx, id)
				return false, err
			}},
			call{"UpsertOrganization(" + id + ")", func(ctx context.Context) (bool, error) {
				o := org(id, 2)
				return c.orgs.UpsertOrganization(ctx, &o)
			}},
			call{"DeleteOrganization(" + id + ")", func(ctx context.Context) (bool, error) {
				return c.orgs.DeleteOrganization(ctx, id, at(3))
			}},
			call{"GetMembership(" + id + ")", func(ctx context.Context) (bool, error) {
				_, err := c.orgs.GetMembership(ctx, id, u)
				return false, err
			}},
			call{"UpsertMembership(" + id + ")", func(ctx context.Context) (bool, error) {
				m := membership(id, u, 2)
				return c.orgs.UpsertMembership(ctx, &m)
			}},
			call{"DeleteMembership(" + id + ")", func(ctx context.Context) (bool, error) {
				return c.orgs.DeleteMembership(ctx, id, u, at(3))
			}},
			call{"ListMembers(" + id + ")", func(ctx context.Context) (bool, error) {
				_, err := c.orgs.ListMembers(ctx, id)
				return false, err
			}},
		)
	}
	calls = append(calls, call{"ListUserMemberships", func(ctx context.Context) (bool, error) {
		_, err := c.orgs.ListUserMemberships(ctx, u)
		return false, err
	}})
	c.wantFailures(calls)
	c.wantOrg("after writes with a cancelled context", org(known, 1))
	c.wantOrgNotFound("after writes with a cancelled context", unknown)
	c.wantMembership("after writes with a cancelled context", membership(known, u, 1))
	c.wantMembershipNotFound("after writes with a cancelled context", unknown, u)
	c.wantMembers("after writes with a cancelled context", known, membership(known, u, 1))
}
