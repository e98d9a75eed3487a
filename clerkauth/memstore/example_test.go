package memstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth/memstore"
	"github.com/unioneyes/authkit/clerkauth/store"
)

// Webhooks arrive out of order: the update of 10:02 first, then the
// creation of 10:00 (ignored as older), then the deletion; a late update
// does not bring the user back.
func Example() {
	ctx := context.Background()
	mem := memstore.New(memstore.Config{})
	at := func(hhmm string) time.Time {
		t, _ := time.Parse(time.DateTime, "2025-03-01 "+hhmm+":00")
		return t
	}

	applied, _ := mem.UpsertUser(ctx, &store.User{ID: "user_1", Email: "new@example.com", UpdatedAt: at("10:02")})
	fmt.Println("update applied:", applied)
	applied, _ = mem.UpsertUser(ctx, &store.User{ID: "user_1", Email: "old@example.com", UpdatedAt: at("10:00")})
	fmt.Println("late creation applied:", applied)
	applied, _ = mem.DeactivateUser(ctx, "user_1", at("10:05"))
	fmt.Println("deletion applied:", applied)
	applied, _ = mem.UpsertUser(ctx, &store.User{ID: "user_1", Email: "late@example.com", UpdatedAt: at("10:03")})
	fmt.Println("late update applied:", applied)

	u, _ := mem.GetUser(ctx, "user_1")
	fmt.Println(u.Email, "active:", u.Active())
	_, err := mem.GetUser(ctx, "user_2")
	fmt.Println(errors.Is(err, store.ErrNotFound))
	// Output:
	// update applied: true
	// late creation applied: false
	// deletion applied: true
	// late update applied: true
	// late@example.com active: false
	// true
}

// A member removed and invited again is active; the lists hold active
// memberships only.
func ExampleStore_ListMembers() {
	ctx := context.Background()
	mem := memstore.New(memstore.Config{})
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, m := range []store.Membership{
		{OrgID: "org_1", UserID: "user_b", Role: "org:member", UpdatedAt: t0},
		{OrgID: "org_1", UserID: "user_a", Role: "org:admin", Permissions: []string{"org:sys_memberships:manage"}, UpdatedAt: t0},
		{OrgID: "org_1", UserID: "user_c", Role: "org:member", UpdatedAt: t0},
	} {
		_, _ = mem.UpsertMembership(ctx, &m)
	}
	_, _ = mem.DeleteMembership(ctx, "org_1", "user_b", t0.Add(time.Hour))
	_, _ = mem.DeleteMembership(ctx, "org_1", "user_c", t0.Add(time.Hour))
	_, _ = mem.UpsertMembership(ctx, &store.Membership{OrgID: "org_1", UserID: "user_c", Role: "org:member", UpdatedAt: t0.Add(2 * time.Hour)})

	members, _ := mem.ListMembers(ctx, "org_1")
	for _, m := range members {
		fmt.Println(m.UserID, m.Role, m.Permissions)
	}
	// Output:
	// user_a org:admin [org:sys_memberships:manage]
	// user_c org:member []
}

// A membership created after its user was deactivated (webhooks arrive in
// any order) is not listed; GetMembership still returns its record.
func ExampleStore_ListMembers_deactivatedUser() {
	ctx := context.Background()
	mem := memstore.New(memstore.Config{})
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	_, _ = mem.UpsertMembership(ctx, &store.Membership{OrgID: "org_1", UserID: "user_a", Role: "org:admin", UpdatedAt: t0})
	_, _ = mem.DeactivateUser(ctx, "user_b", t0.Add(time.Hour)) // user.deleted
	_, _ = mem.UpsertMembership(ctx, &store.Membership{OrgID: "org_1", UserID: "user_b", Role: "org:member", UpdatedAt: t0})

	members, _ := mem.ListMembers(ctx, "org_1")
	for _, m := range members {
		fmt.Println("member:", m.UserID)
	}
	m, _ := mem.GetMembership(ctx, "org_1", "user_b")
	fmt.Println("record:", m.UserID, m.Role, m.Active())

	_, _ = mem.DeleteOrganization(ctx, "org_1", t0.Add(2*time.Hour)) // organization.deleted
	members, _ = mem.ListMembers(ctx, "org_1")
	fmt.Println("after the organization's deletion:", len(members))
	// Output:
	// member: user_a
	// record: user_b org:member true
	// after the organization's deletion: 0
}

// Revocations expire on their own, by the store's clock.
func ExampleStore_Revoke() {
	ctx := context.Background()
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	mem := memstore.New(memstore.Config{Now: func() time.Time { return now }})

	_ = mem.Revoke(ctx, "sess_1", now.Add(24*time.Hour))
	revoked, _ := mem.Revoked(ctx, "sess_1")
	fmt.Println("revoked:", revoked)

	now = now.Add(25 * time.Hour)
	revoked, _ = mem.Revoked(ctx, "sess_1")
	fmt.Println("a day later:", revoked)
	// Output:
	// revoked: true
	// a day later: false
}

// Metadata is kept as the JSON Clerk sent.
func ExampleStore_GetUser() {
	ctx := context.Background()
	mem := memstore.New(memstore.Config{})
	_, _ = mem.UpsertUser(ctx, &store.User{
		ID:             "user_1",
		PublicMetadata: json.RawMessage(`{"plan":"pro"}`),
		UpdatedAt:      time.UnixMilli(1716883200000),
	})
	u, _ := mem.GetUser(ctx, "user_1")
	var meta struct{ Plan string }
	_ = json.Unmarshal(u.PublicMetadata, &meta)
	fmt.Println(meta.Plan, u.UpdatedAt.UTC().Format(time.RFC3339))
	// Output:
	// pro 2024-05-28T08:00:00Z
}
