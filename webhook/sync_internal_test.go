package webhook

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/store"
)

func TestNormalizeRole(t *testing.T) {
	for in, want := range map[string]string{
		"":                "",
		"admin":           "org:admin",
		"basic_member":    "org:member",
		"org:admin":       "org:admin",
		"org:member":      "org:member",
		"org:custom_role": "org:custom_role",
		"custom_role":     "org:custom_role",
		"org:":            "org:",
		"Admin":           "org:Admin",
	} {
		assert.Equal(t, want, normalizeRole(in), "normalizeRole(%q)", in)
	}
}

type downStore struct {
	store.Users
	store.Orgs
	store.Revocations
}

var errDown = errors.New("database down")

func (downStore) UpsertUser(context.Context, *store.User) (bool, error) { return false, errDown }
func (downStore) DeleteMembership(context.Context, string, string, time.Time) (bool, error) {
	return false, errDown
}
func (downStore) Revoke(context.Context, string, time.Time) error { return errDown }

// A store's error reaches the Handler wrapping both ErrStoreFailed and the
// store's own error, with the event type and the record's id.
func TestSyncErrorsWrapStoreErrors(t *testing.T) {
	ctx := context.Background()
	s := &syncer{cfg: SyncConfig{Users: downStore{}, Orgs: downStore{}, Revocations: downStore{}, RevocationTTL: time.Hour, Now: time.Now}}
	ev := Event{Type: EventUserCreated, Timestamp: time.Now()}
	for name, err := range map[string]error{
		"user":       s.upsertUser(ctx, ev, &User{ID: "user_a"}),
		"membership": s.deleteMembership(ctx, ev, &Membership{ID: "orgmem_1", Organization: Organization{ID: "org_a"}, PublicUserData: PublicUserData{UserID: "user_a"}}),
		"session":    s.revoke(ctx, ev, &Session{ID: "sess_a"}),
	} {
		assert.ErrorIs(t, err, ErrStoreFailed, name)
		assert.ErrorIs(t, err, errDown, name)
		assert.NotErrorIs(t, err, ErrMalformedPayload, "%s: a store failure must not be taken for a malformed payload (it would not be retried)", name)
	}
	err := s.upsertUser(ctx, ev, &User{ID: "user_a"})
	require.Error(t, err)
	assert.Equal(t, `webhook: store failed: user.created "user_a": database down`, err.Error())
}

// An error never quotes a whole oversized id: its first 64 bytes and its length.
func TestSyncErrorsBoundTheID(t *testing.T) {
	ctx := context.Background()
	s := &syncer{cfg: SyncConfig{Users: downStore{}, Orgs: downStore{}, Revocations: downStore{}, RevocationTTL: time.Hour, Now: time.Now}}
	id := "user_" + strings.Repeat("a", 1<<20)
	ev := Event{Type: EventUserCreated}
	for name, err := range map[string]error{
		"user":                 s.upsertUser(ctx, ev, &User{ID: id}),
		"membership":           s.deleteMembership(ctx, ev, &Membership{ID: "orgmem_1", Organization: Organization{ID: "org_a"}, PublicUserData: PublicUserData{UserID: id}, UpdatedAt: time.Now()}),
		"membership malformed": s.upsertMembership(ctx, ev, &Membership{ID: id}),
		"membership no time":   s.deleteMembership(ctx, ev, &Membership{ID: id, Organization: Organization{ID: "org_a"}, PublicUserData: PublicUserData{UserID: "user_a"}}),
		"session":              s.revoke(ctx, ev, &Session{ID: id}),
	} {
		require.Error(t, err, name)
		assert.LessOrEqual(t, len(err.Error()), 300, "%s: error text %.400q", name, err)
		assert.Contains(t, err.Error(), "…(1048581 bytes)", name)
	}
}
