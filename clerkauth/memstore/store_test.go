package memstore_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/memstore"
	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/clerkauth/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (store.Users, store.Orgs) {
		s := memstore.New(memstore.Config{})
		return s, s
	})
}

func TestRevocationConformance(t *testing.T) {
	storetest.RunRevocations(t, func(t *testing.T) store.Revocations {
		return memstore.New(memstore.Config{})
	})
}

// One store shared by every check: the kit's ids keep them apart.
func TestConformanceSharedStore(t *testing.T) {
	s := memstore.New(memstore.Config{})
	storetest.Run(t, func(t *testing.T) (store.Users, store.Orgs) { return s, s })
}

// Writes the store refuses, each with ErrInvalid and nothing written.
func TestRejects(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1_716_883_200_000)
	s := memstore.New(memstore.Config{})
	for name, write := range map[string]func() (bool, error){
		"nil user":        func() (bool, error) { return s.UpsertUser(ctx, nil) },
		"user without id": func() (bool, error) { return s.UpsertUser(ctx, &store.User{Email: "a@example.com"}) },
		"user metadata not JSON": func() (bool, error) {
			return s.UpsertUser(ctx, &store.User{ID: "user_a", PublicMetadata: json.RawMessage(`{"a":`)})
		},
		"deactivate without id": func() (bool, error) { return s.DeactivateUser(ctx, "", now) },
		"deactivate at zero":    func() (bool, error) { return s.DeactivateUser(ctx, "user_a", time.Time{}) },
		"nil organization":      func() (bool, error) { return s.UpsertOrganization(ctx, nil) },
		"organization without id": func() (bool, error) {
			return s.UpsertOrganization(ctx, &store.Organization{Name: "Acme"})
		},
		"organization metadata not JSON": func() (bool, error) {
			return s.UpsertOrganization(ctx, &store.Organization{ID: "org_a", PublicMetadata: json.RawMessage(`nope`)})
		},
		"delete organization without id": func() (bool, error) { return s.DeleteOrganization(ctx, "", now) },
		"delete organization at zero":    func() (bool, error) { return s.DeleteOrganization(ctx, "org_a", time.Time{}) },
		"nil membership":                 func() (bool, error) { return s.UpsertMembership(ctx, nil) },
		"membership without org": func() (bool, error) {
			return s.UpsertMembership(ctx, &store.Membership{UserID: "user_a"})
		},
		"membership without user": func() (bool, error) {
			return s.UpsertMembership(ctx, &store.Membership{OrgID: "org_a"})
		},
		"delete membership without org":  func() (bool, error) { return s.DeleteMembership(ctx, "", "user_a", now) },
		"delete membership without user": func() (bool, error) { return s.DeleteMembership(ctx, "org_a", "", now) },
		"delete membership at zero":      func() (bool, error) { return s.DeleteMembership(ctx, "org_a", "user_a", time.Time{}) },
	} {
		t.Run(name, func(t *testing.T) {
			applied, err := write()
			assert.ErrorIs(t, err, store.ErrInvalid)
			assert.False(t, applied)
		})
	}
	_, err := s.GetUser(ctx, "user_a")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetOrganization(ctx, "org_a")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetMembership(ctx, "org_a", "user_a")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

// Times keep their nanoseconds, and a monotonic reading does not take part
// in version comparisons.
func TestTimesKeepNanoseconds(t *testing.T) {
	ctx := context.Background()
	s := memstore.New(memstore.Config{})
	v1 := time.Now() // carries a monotonic reading
	applied, err := s.UpsertUser(ctx, &store.User{ID: "user_a", UpdatedAt: v1})
	require.NoError(t, err)
	require.True(t, applied)
	got, err := s.GetUser(ctx, "user_a")
	require.NoError(t, err)
	assert.True(t, got.UpdatedAt.Equal(v1))
	assert.Equal(t, v1.Round(0), got.UpdatedAt, "stored without the monotonic reading")

	applied, err = s.UpsertUser(ctx, &store.User{ID: "user_a", UpdatedAt: v1.Add(time.Nanosecond)})
	require.NoError(t, err)
	assert.True(t, applied, "one nanosecond newer")
}

// A store error never quotes a whole oversized id.
func TestOversizedIDInErrors(t *testing.T) {
	s := memstore.New(memstore.Config{})
	id := strings.Repeat("\xff", 1<<20)
	for name, err := range map[string]error{
		"upsert user":     func() error { _, err := s.UpsertUser(t.Context(), &store.User{ID: id}); return err }(),
		"deactivate user": func() error { _, err := s.DeactivateUser(t.Context(), id, time.Now()); return err }(),
		"upsert membership": func() error {
			_, err := s.UpsertMembership(t.Context(), &store.Membership{OrgID: id, UserID: "user_1"})
			return err
		}(),
		"revoke": s.Revoke(t.Context(), id, time.Now().Add(time.Hour)),
	} {
		require.ErrorIs(t, err, store.ErrInvalid, name)
		require.Less(t, len(err.Error()), 400, "%s: %.300s", name, err.Error())
		require.Contains(t, err.Error(), "…(1048576 bytes)", name)
	}
}
