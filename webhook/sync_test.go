package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/memstore"
	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/webhook"
)

const (
	syncRespOK        = `{"status":"ok"}` + "\n"
	syncRespIgnored   = `{"status":"ignored"}` + "\n"
	syncRespDuplicate = `{"status":"duplicate"}` + "\n"
	syncRespInternal  = `{"error":"internal_error","detail":"internal error"}` + "\n"
)

func syncAssert(t *testing.T, rec interface {
	Result() *http.Response
}, status int, body string) {
	t.Helper()
	res := rec.Result()
	defer res.Body.Close()
	var b [256]byte
	n, _ := res.Body.Read(b[:])
	assert.Equal(t, status, res.StatusCode)
	assert.Equal(t, body, string(b[:n]))
}

func TestSyncRejectsConfig(t *testing.T) {
	f := newSyncFixture(t, webhook.SyncConfig{Users: memstore.New(memstore.Config{})})
	for name, tc := range map[string]struct {
		cfg   webhook.SyncConfig
		field string
	}{
		"no store":     {webhook.SyncConfig{}, "SyncConfig"},
		"only a TTL":   {webhook.SyncConfig{RevocationTTL: time.Hour}, "SyncConfig"},
		"negative TTL": {webhook.SyncConfig{Revocations: memstore.New(memstore.Config{}), RevocationTTL: -time.Second}, "SyncConfig.RevocationTTL"},
	} {
		t.Run(name, func(t *testing.T) {
			err := f.handler.Sync(tc.cfg)
			assert.ErrorIs(t, err, webhook.ErrInvalidConfig)
			var cerr *webhook.ConfigError
			require.ErrorAs(t, err, &cerr)
			assert.Equal(t, tc.field, cerr.Field)
		})
	}
}

// Events of a store Sync was not given are not registered: acknowledged
// as ignored, as for any type without a function.
func TestSyncRegistersOnlyConfiguredStores(t *testing.T) {
	mem := memstore.New(memstore.Config{})
	ctx := context.Background()
	for name, tc := range map[string]struct {
		cfg     webhook.SyncConfig
		handled []string
		ignored []string
	}{
		"users only": {
			webhook.SyncConfig{Users: mem},
			[]string{webhook.EventUserCreated, webhook.EventUserUpdated, webhook.EventUserDeleted},
			[]string{webhook.EventOrganizationCreated, webhook.EventMembershipCreated, webhook.EventSessionRevoked},
		},
		"orgs only": {
			webhook.SyncConfig{Orgs: mem},
			[]string{webhook.EventOrganizationCreated, webhook.EventOrganizationUpdated, webhook.EventOrganizationDeleted,
				webhook.EventMembershipCreated, webhook.EventMembershipUpdated, webhook.EventMembershipDeleted},
			[]string{webhook.EventUserCreated, webhook.EventUserDeleted, webhook.EventSessionEnded},
		},
		"revocations only": {
			webhook.SyncConfig{Revocations: mem},
			[]string{webhook.EventSessionRevoked, webhook.EventSessionEnded, webhook.EventSessionRemoved},
			[]string{webhook.EventUserCreated, webhook.EventOrganizationDeleted, webhook.EventSessionCreated, webhook.EventSessionPending},
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newSyncFixture(t, tc.cfg)
			// A payload without an id: a registered function acknowledges
			// it as malformed ("ignored" too), so use one that applies.
			for _, typ := range tc.handled {
				rec := f.deliver("", syncEvent(t, typ, syncAt(100), json.RawMessage(`{"id":"x_1","organization":{"id":"org_h"},"public_user_data":{"user_id":"user_h"},"updated_at":1}`)))
				syncAssert(t, rec, http.StatusOK, syncRespOK)
			}
			for _, typ := range tc.ignored {
				rec := f.deliver("", syncEvent(t, typ, syncAt(100), json.RawMessage(`{"id":"y_1"}`)))
				syncAssert(t, rec, http.StatusOK, syncRespIgnored)
			}
		})
	}
	_, err := mem.GetUser(ctx, "y_1")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

// Clerk's own sample user.created (clerk.md §4.5), then updates in and
// out of order, then the deletion.
func TestSyncUserEvents(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(memstore.Config{})
	f := newSyncFixture(t, webhook.SyncConfig{Users: mem})

	sample := []byte(`{"type":"user.created","object":"event","instance_id":"ins_123","timestamp":1654012591835,
 "data":{"id":"user_29w83sxmDNGwOuEthce5gg56FcC","object":"user","first_name":"Example","last_name":"Example",
  "username":null,"image_url":"https://img.clerk.com/xxxxxx","external_id":"567772",
  "primary_email_address_id":"idn_29w83yL7CwVlJXylYLxcslromF1",
  "email_addresses":[{"id":"idn_29w83yL7CwVlJXylYLxcslromF1","object":"email_address",
    "email_address":"example@example.org","linked_to":[],"verification":{"status":"verified","strategy":"ticket"}}],
  "public_metadata":{},"private_metadata":{},"unsafe_metadata":{},"created_at":1654012591514,"updated_at":1654012591835}}`)
	syncAssert(t, f.deliver("msg_sample", sample), http.StatusOK, syncRespOK)
	u, err := mem.GetUser(ctx, "user_29w83sxmDNGwOuEthce5gg56FcC")
	require.NoError(t, err)
	assert.Equal(t, store.User{
		ID: "user_29w83sxmDNGwOuEthce5gg56FcC", Email: "example@example.org", FirstName: "Example", LastName: "Example",
		ImageURL: "https://img.clerk.com/xxxxxx", PublicMetadata: json.RawMessage(`{}`),
		CreatedAt: time.UnixMilli(1654012591514), UpdatedAt: time.UnixMilli(1654012591835),
	}, *u)
	assert.Equal(t, []string{"user user_29w83sxmDNGwOuEthce5gg56FcC"}, f.takeChanges())

	id := "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S"
	syncAssert(t, f.deliver("", syncEvent(t, webhook.EventUserUpdated, syncAt(3), syncUser(id, 3))), http.StatusOK, syncRespOK)
	syncAssert(t, f.deliver("", syncEvent(t, webhook.EventUserCreated, syncAt(1), syncUser(id, 1))), http.StatusOK, syncRespOK)
	assert.Equal(t, []string{"user " + id}, f.takeChanges(), "the late creation changed nothing")
	u, err = mem.GetUser(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, store.User{
		ID: id, Email: "jane.v3@example.com", FirstName: "Jane", LastName: "Doe 3", Username: "jane3",
		ImageURL: "https://img.clerk.com/u3", PublicMetadata: json.RawMessage(`{"plan":"pro","v":3}`),
		CreatedAt: syncAt(1), UpdatedAt: syncAt(3),
	}, *u, "the primary address, never private metadata")

	syncAssert(t, f.deliver("", syncEvent(t, webhook.EventUserDeleted, syncAt(9), syncDeleted("user", id))), http.StatusOK, syncRespOK)
	syncAssert(t, f.deliver("", syncEvent(t, webhook.EventUserUpdated, syncAt(4), syncUser(id, 4))), http.StatusOK, syncRespOK)
	u, err = mem.GetUser(ctx, id)
	require.NoError(t, err)
	assert.False(t, u.Active(), "a late update does not bring the user back")
	assert.True(t, u.DeletedAt.Equal(syncAt(9)), "deactivated at the event's time")
	assert.Equal(t, []string{"user " + id, "user " + id}, f.takeChanges())
}

func TestSyncOrganizationEvents(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(memstore.Config{})
	f := newSyncFixture(t, webhook.SyncConfig{Orgs: mem})
	id := "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S"
	syncAssert(t, f.deliver("", syncEvent(t, webhook.EventOrganizationUpdated, syncAt(2), syncOrg(id, 2))), http.StatusOK, syncRespOK)
	syncAssert(t, f.deliver("", syncEvent(t, webhook.EventOrganizationCreated, syncAt(1), syncOrg(id, 1))), http.StatusOK, syncRespOK)
	o, err := mem.GetOrganization(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, store.Organization{
		ID: id, Name: "Acme 2", Slug: "acme-2", ImageURL: "https://img.clerk.com/o2",
		PublicMetadata: json.RawMessage(`{"tier":2}`), CreatedAt: syncAt(1), UpdatedAt: syncAt(2),
	}, *o)
	syncAssert(t, f.deliver("", syncEvent(t, webhook.EventOrganizationDeleted, syncAt(5), syncDeleted("organization", id))), http.StatusOK, syncRespOK)
	o, err = mem.GetOrganization(ctx, id)
	require.NoError(t, err)
	assert.True(t, o.DeletedAt.Equal(syncAt(5)))
	assert.Equal(t, []string{"organization " + id, "organization " + id}, f.takeChanges())
}

func TestSyncMembershipEvents(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(memstore.Config{})
	f := newSyncFixture(t, webhook.SyncConfig{Orgs: mem})

	// Clerk's sample (clerk.md §4.5), its timestamp in seconds.
	sample := []byte(`{"type":"organizationMembership.created","object":"event","instance_id":"ins_1","timestamp":1716883200,
 "data":{"object":"organization_membership","id":"orgmem_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
  "role":"org:member","role_name":"Member","permissions":["org:posts:read","org:posts:write"],
  "public_metadata":{},"private_metadata":{},
  "organization":{"object":"organization","id":"org_2g7np7Hrk0SN6kj5EDMLDaKNL0S","name":"Acme Corp","slug":"acme-corp"},
  "public_user_data":{"user_id":"user_2h8op3Isl1QR7tKu5FGNfaLKEoU","first_name":"Jane","last_name":"Doe",
    "image_url":"https://img.clerk.com/yyyyy","has_image":true,"identifier":"jane.doe@acme.com"},
  "created_at":1716883200000,"updated_at":1716883200000}}`)
	syncAssert(t, f.deliver("", sample), http.StatusOK, syncRespOK)
	m, err := mem.GetMembership(ctx, "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S", "user_2h8op3Isl1QR7tKu5FGNfaLKEoU")
	require.NoError(t, err)
	assert.Equal(t, store.Membership{
		ID: "orgmem_2g7np7Hrk0SN6kj5EDMLDaKNL0S", OrgID: "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S", UserID: "user_2h8op3Isl1QR7tKu5FGNfaLKEoU",
		Role: "org:member", Permissions: []string{"org:posts:read", "org:posts:write"},
		CreatedAt: time.UnixMilli(1716883200000), UpdatedAt: time.UnixMilli(1716883200000),
	}, *m)
	assert.Equal(t, []string{"membership user_2h8op3Isl1QR7tKu5FGNfaLKEoU"}, f.takeChanges())

	// The deletion's timestamp is in seconds, earlier than the deleted
	// version's updated_at (1716883200500 ms): the deletion still wins.
	del := syncMembership("orgmem_2", "org_a", "user_a", "org:admin", nil, 1, 0)
	del.UpdatedAt = time.UnixMilli(1716883200500)
	syncAssert(t, f.deliver("", syncEvent(t, webhook.EventMembershipUpdated, time.UnixMilli(1716883200500), del)), http.StatusOK, syncRespOK)
	syncAssert(t, f.deliver("", syncEvent(t, webhook.EventMembershipDeleted, time.Unix(1716883200, 0), del)), http.StatusOK, syncRespOK)
	m, err = mem.GetMembership(ctx, "org_a", "user_a")
	require.NoError(t, err)
	assert.False(t, m.Active(), "deleted")
	assert.True(t, m.DeletedAt.Equal(del.UpdatedAt), "deleted at the membership's updated_at, the later time")
	members, err := mem.ListMembers(ctx, "org_a")
	require.NoError(t, err)
	assert.Empty(t, members)

	// Added again: active.
	again := syncMembership("orgmem_3", "org_a", "user_a", "org:member", []string{"org:posts:read"}, 10, 10)
	syncAssert(t, f.deliver("", syncEvent(t, webhook.EventMembershipCreated, syncAt(10), again)), http.StatusOK, syncRespOK)
	members, err = mem.ListMembers(ctx, "org_a")
	require.NoError(t, err)
	require.Len(t, members, 1)
	assert.Equal(t, "orgmem_3", members[0].ID)
}

// Legacy role keys are stored in "org:" form.
func TestSyncNormalizesRoles(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(memstore.Config{})
	f := newSyncFixture(t, webhook.SyncConfig{Orgs: mem})
	for role, want := range map[string]string{
		"admin":               "org:admin",
		"basic_member":        "org:member",
		"org:admin":           "org:admin",
		"org:member":          "org:member",
		"org:billing_manager": "org:billing_manager",
		"billing_manager":     "org:billing_manager",
		"guest_member":        "org:guest_member",
		"":                    "",
	} {
		t.Run(role, func(t *testing.T) {
			userID := "user_" + role
			m := syncMembership("orgmem_1", "org_roles", userID, role, nil, 1, 1)
			syncAssert(t, f.deliver("", syncEvent(t, webhook.EventMembershipCreated, syncAt(1), m)), http.StatusOK, syncRespOK)
			got, err := mem.GetMembership(ctx, "org_roles", userID)
			require.NoError(t, err)
			assert.Equal(t, want, got.Role)
		})
	}
}

// Payloads that can never be applied are acknowledged (not retried for a
// day) and leave the store untouched.
func TestSyncMalformedPayloads(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(memstore.Config{})
	f := newSyncFixture(t, webhook.SyncConfig{Users: mem, Orgs: mem, Revocations: mem})
	noUser := syncMembership("orgmem_1", "org_a", "", "org:member", nil, 1, 1)
	noOrg := syncMembership("orgmem_1", "", "user_a", "org:member", nil, 1, 1)
	noTimes := syncMembership("orgmem_1", "org_a", "user_a", "org:member", nil, 0, 0)
	noTimes.CreatedAt, noTimes.UpdatedAt = time.Time{}, time.Time{}
	for name, body := range map[string][]byte{
		"membership without user":         syncEvent(t, webhook.EventMembershipCreated, syncAt(1), noUser),
		"membership without organization": syncEvent(t, webhook.EventMembershipUpdated, syncAt(1), noOrg),
		"deletion without user":           syncEvent(t, webhook.EventMembershipDeleted, syncAt(1), noUser),
		"deletion with no time at all":    syncEvent(t, webhook.EventMembershipDeleted, time.Time{}, noTimes),
		"user without id":                 syncEvent(t, webhook.EventUserCreated, syncAt(1), json.RawMessage(`{"first_name":"x"}`)),
		"deleted user without id":         syncEvent(t, webhook.EventUserDeleted, syncAt(1), json.RawMessage(`{"deleted":true}`)),
		"session without id":              syncEvent(t, webhook.EventSessionRevoked, syncAt(1), json.RawMessage(`{"status":"revoked"}`)),
		"organization data not an object": syncEvent(t, webhook.EventOrganizationCreated, syncAt(1), json.RawMessage(`[1]`)),
	} {
		t.Run(name, func(t *testing.T) {
			syncAssert(t, f.deliver("", body), http.StatusOK, syncRespIgnored)
		})
	}
	_, err := mem.GetMembership(ctx, "org_a", "user_a")
	assert.ErrorIs(t, err, store.ErrNotFound)
	members, err := mem.ListUserMemberships(ctx, "user_a")
	require.NoError(t, err)
	assert.Empty(t, members)
	assert.Empty(t, f.takeChanges())
}

// rawEvent is a Clerk envelope around data, with extra envelope members
// (a JSON object's members without the braces, or "").
func rawEvent(typ string, ts time.Time, extra, data string) []byte {
	b := `{"type":"` + typ + `","object":"event","instance_id":"ins_1","timestamp":` + strconv.FormatInt(ts.UnixMilli(), 10)
	if extra != "" {
		b += "," + extra
	}
	return []byte(b + `,"data":` + data + `}`)
}

// A field Sync never reads, sent with an unexpected JSON type, does not
// stop the event from being applied: security events (a revocation) must
// not fail open when Clerk changes a payload.
func TestSyncToleratesUnexpectedTypes(t *testing.T) {
	ctx := context.Background()
	clock := clerkauthtest.NewClock(syncAt(0))
	mem := memstore.New(memstore.Config{Now: clock.Now})
	f := newSyncFixture(t, webhook.SyncConfig{Users: mem, Orgs: mem, Revocations: mem})

	t.Run("session.revoked, latest_activity.is_mobile a string", func(t *testing.T) {
		body := rawEvent(webhook.EventSessionRevoked, syncAt(1), "",
			`{"id":"sess_mobile","object":"session","user_id":"user_a","status":"revoked","latest_activity":{"is_mobile":"false"}}`)
		syncAssert(t, f.deliver("", body), http.StatusOK, syncRespOK)
		revoked, err := mem.Revoked(ctx, "sess_mobile")
		require.NoError(t, err)
		assert.True(t, revoked)
	})
	t.Run("session.revoked, user_agent an array", func(t *testing.T) {
		body := rawEvent(webhook.EventSessionRevoked, syncAt(1), `"event_attributes":{"http_request":{"user_agent":["x"]}}`,
			`{"id":"sess_ua","object":"session","user_id":"user_a","status":"revoked"}`)
		syncAssert(t, f.deliver("", body), http.StatusOK, syncRespOK)
		revoked, err := mem.Revoked(ctx, "sess_ua")
		require.NoError(t, err)
		assert.True(t, revoked)
	})
	t.Run("session.ended, other fields of every wrong type", func(t *testing.T) {
		body := rawEvent(webhook.EventSessionEnded, syncAt(1), `"instance_id":5,"object":{},"event_attributes":"x"`,
			`{"id":"sess_all","user_id":"user_a","status":"ended","expire_at":"soon","client_id":7,"actor":"x",
			  "latest_activity":[],"user":"user_a","created_at":1.5,"updated_at":{"v":1},"last_active_organization_id":false}`)
		syncAssert(t, f.deliver("", body), http.StatusOK, syncRespOK)
		revoked, err := mem.Revoked(ctx, "sess_all")
		require.NoError(t, err)
		assert.True(t, revoked)
	})
	t.Run("user.updated, unread fields of the wrong type", func(t *testing.T) {
		body := rawEvent(webhook.EventUserUpdated, syncAt(2), "",
			`{"id":"user_t","first_name":"Ada","last_name":"Lovelace","username":"ada","image_url":null,
			  "primary_email_address_id":"idn_1","email_addresses":[{"id":"idn_1","email_address":"ada@example.org","verification":"verified"}],
			  "banned":"no","last_sign_in_at":"yesterday","phone_numbers":{},"external_id":5,"public_metadata":"free form",
			  "created_at":1716883200000,"updated_at":1716883202000}`)
		syncAssert(t, f.deliver("", body), http.StatusOK, syncRespOK)
		u, err := mem.GetUser(ctx, "user_t")
		require.NoError(t, err)
		assert.Equal(t, "ada@example.org", u.Email)
		assert.Equal(t, "Lovelace", u.LastName)
		assert.JSONEq(t, `"free form"`, string(u.PublicMetadata))
		assert.True(t, u.UpdatedAt.Equal(syncAt(2)))
	})
	t.Run("organization and membership, unread fields of the wrong type", func(t *testing.T) {
		org := rawEvent(webhook.EventOrganizationCreated, syncAt(1), "",
			`{"id":"org_t","name":"Acme","slug":"acme","members_count":"7","admin_delete_enabled":"yes","created_by":{},
			  "created_at":1716883200000,"updated_at":1716883201000}`)
		syncAssert(t, f.deliver("", org), http.StatusOK, syncRespOK)
		membership := rawEvent(webhook.EventMembershipCreated, syncAt(1), "",
			`{"id":"orgmem_t","role":"admin","permissions":["org:posts:read"],"role_name":5,
			  "organization":{"id":"org_t","name":7,"created_at":"x"},
			  "public_user_data":{"user_id":"user_t","has_image":"true","identifier":[]},
			  "created_at":1716883200000,"updated_at":1716883201000}`)
		syncAssert(t, f.deliver("", membership), http.StatusOK, syncRespOK)
		o, err := mem.GetOrganization(ctx, "org_t")
		require.NoError(t, err)
		assert.Equal(t, "acme", o.Slug)
		m, err := mem.GetMembership(ctx, "org_t", "user_t")
		require.NoError(t, err)
		assert.Equal(t, "org:admin", m.Role)
		assert.Equal(t, []string{"org:posts:read"}, m.Permissions)
	})
}

// An essential field of the wrong type is still malformed: acknowledged,
// logged, not applied (a guess could apply the wrong version or id).
func TestSyncWrongTypedEssentialIsMalformed(t *testing.T) {
	ctx := context.Background()
	clock := clerkauthtest.NewClock(syncAt(0))
	mem := memstore.New(memstore.Config{Now: clock.Now})
	f := newSyncFixture(t, webhook.SyncConfig{Users: mem, Orgs: mem, Revocations: mem})
	for name, body := range map[string][]byte{
		"session id a number":        rawEvent(webhook.EventSessionRevoked, syncAt(1), "", `{"id":5,"status":"revoked"}`),
		"session status an object":   rawEvent(webhook.EventSessionRevoked, syncAt(1), "", `{"id":"sess_bad","status":{}}`),
		"session user_id an array":   rawEvent(webhook.EventSessionRevoked, syncAt(1), "", `{"id":"sess_bad","user_id":["u"]}`),
		"user updated_at a string":   rawEvent(webhook.EventUserUpdated, syncAt(1), "", `{"id":"user_bad","updated_at":"1716883200000"}`),
		"user email an array":        rawEvent(webhook.EventUserUpdated, syncAt(1), "", `{"id":"user_bad","email_addresses":[{"id":"i","email_address":["a"]}]}`),
		"organization slug a number": rawEvent(webhook.EventOrganizationUpdated, syncAt(1), "", `{"id":"org_bad","slug":5}`),
		"membership user_id a number": rawEvent(webhook.EventMembershipCreated, syncAt(1), "",
			`{"id":"orgmem_bad","organization":{"id":"org_bad"},"public_user_data":{"user_id":5}}`),
		"membership permissions a string": rawEvent(webhook.EventMembershipCreated, syncAt(1), "",
			`{"id":"orgmem_bad","permissions":"org:a:b","organization":{"id":"org_bad"},"public_user_data":{"user_id":"user_bad"}}`),
		"deleted user id an object":   rawEvent(webhook.EventUserDeleted, syncAt(1), "", `{"id":{"v":"user_bad"}}`),
		"envelope timestamp a string": []byte(`{"type":"session.revoked","timestamp":"1716883200000","data":{"id":"sess_bad"}}`),
		"envelope data a string":      []byte(`{"type":"session.revoked","timestamp":1716883200000,"data":"sess_bad"}`),
	} {
		t.Run(name, func(t *testing.T) {
			syncAssert(t, f.deliver("", body), http.StatusOK, syncRespIgnored)
		})
	}
	revoked, err := mem.Revoked(ctx, "sess_bad")
	require.NoError(t, err)
	assert.False(t, revoked)
	_, err = mem.GetUser(ctx, "user_bad")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = mem.GetOrganization(ctx, "org_bad")
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.Empty(t, f.takeChanges())
}

// A deletion without a timestamp: users and organizations are deleted
// now (late is safe, their deletion is final); a membership uses its
// updated_at.
func TestSyncDeletionsWithoutTimestamp(t *testing.T) {
	ctx := context.Background()
	clock := clerkauthtest.NewClock(syncAt(1000))
	mem := memstore.New(memstore.Config{})
	f := newSyncFixture(t, webhook.SyncConfig{Users: mem, Orgs: mem, Now: clock.Now})
	syncAssert(t, f.deliver("", syncEvent(t, webhook.EventUserDeleted, time.Time{}, syncDeleted("user", "user_a"))), http.StatusOK, syncRespOK)
	syncAssert(t, f.deliver("", syncEvent(t, webhook.EventOrganizationDeleted, time.Time{}, syncDeleted("organization", "org_a"))), http.StatusOK, syncRespOK)
	m := syncMembership("orgmem_1", "org_a", "user_a", "org:member", nil, 1, 7)
	syncAssert(t, f.deliver("", syncEvent(t, webhook.EventMembershipDeleted, time.Time{}, m)), http.StatusOK, syncRespOK)

	u, err := mem.GetUser(ctx, "user_a")
	require.NoError(t, err)
	assert.True(t, u.DeletedAt.Equal(syncAt(1000)))
	o, err := mem.GetOrganization(ctx, "org_a")
	require.NoError(t, err)
	assert.True(t, o.DeletedAt.Equal(syncAt(1000)))
	got, err := mem.GetMembership(ctx, "org_a", "user_a")
	require.NoError(t, err)
	assert.True(t, got.DeletedAt.Equal(syncAt(7)))
}

func TestSyncSessionEvents(t *testing.T) {
	ctx := context.Background()
	clock := clerkauthtest.NewClock(syncAt(0))
	mem := memstore.New(memstore.Config{Now: clock.Now})
	for _, tc := range []struct {
		name string
		ttl  time.Duration
		want time.Duration
	}{
		{"default TTL", 0, webhook.DefaultRevocationTTL},
		{"custom TTL", 10 * time.Minute, 10 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newSyncFixture(t, webhook.SyncConfig{Revocations: mem, RevocationTTL: tc.ttl, Now: clock.Now})
			for i, typ := range []string{webhook.EventSessionRevoked, webhook.EventSessionEnded, webhook.EventSessionRemoved} {
				id := tc.name + "-sess_" + typ
				clock.Set(syncAt(0))
				ts := syncAt(10 * i)
				syncAssert(t, f.deliver("", syncEvent(t, typ, ts, syncSession(id, "user_a", "revoked"))), http.StatusOK, syncRespOK)
				assert.Equal(t, []string{"session " + id}, f.takeChanges())
				for _, c := range []struct {
					at   time.Time
					want bool
				}{{ts, true}, {ts.Add(tc.want - time.Millisecond), true}, {ts.Add(tc.want), false}} {
					clock.Set(c.at)
					revoked, err := mem.Revoked(ctx, id)
					require.NoError(t, err)
					assert.Equal(t, c.want, revoked, "%s at event time + %v", typ, c.at.Sub(ts))
				}
			}
			clock.Set(syncAt(0))
			syncAssert(t, f.deliver("", syncEvent(t, webhook.EventSessionCreated, syncAt(0), syncSession("sess_new", "user_a", "active"))), http.StatusOK, syncRespIgnored)
			revoked, err := mem.Revoked(ctx, "sess_new")
			require.NoError(t, err)
			assert.False(t, revoked)
		})
	}
	t.Run("no timestamp", func(t *testing.T) {
		clock.Set(syncAt(500))
		f := newSyncFixture(t, webhook.SyncConfig{Revocations: mem, Now: clock.Now})
		syncAssert(t, f.deliver("", syncEvent(t, webhook.EventSessionRevoked, time.Time{}, syncSession("sess_nots", "user_a", "revoked"))), http.StatusOK, syncRespOK)
		clock.Set(syncAt(500).Add(webhook.DefaultRevocationTTL - time.Second))
		revoked, err := mem.Revoked(ctx, "sess_nots")
		require.NoError(t, err)
		assert.True(t, revoked, "revoked from now")
	})
}

// failingStore fails every write while fail is set.
type failingStore struct {
	*memstore.Store
	fail bool
}

var errDatabaseDown = errors.New("database down")

func (s *failingStore) UpsertUser(ctx context.Context, u *store.User) (bool, error) {
	if s.fail {
		return false, errDatabaseDown
	}
	return s.Store.UpsertUser(ctx, u)
}

func (s *failingStore) DeleteMembership(ctx context.Context, orgID, userID string, at time.Time) (bool, error) {
	if s.fail {
		return false, errDatabaseDown
	}
	return s.Store.DeleteMembership(ctx, orgID, userID, at)
}

func (s *failingStore) Revoke(ctx context.Context, id string, until time.Time) error {
	if s.fail {
		return errDatabaseDown
	}
	return s.Store.Revoke(ctx, id, until)
}

// A store failure answers 500 through the real Handler, so Svix retries;
// the retry (same message id) applies the event once the store is back.
func TestSyncStoreFailureIsRetried(t *testing.T) {
	ctx := context.Background()
	clock := clerkauthtest.NewClock(syncAt(0))
	mem := &failingStore{Store: memstore.New(memstore.Config{Now: clock.Now}), fail: true}
	f := newSyncFixture(t, webhook.SyncConfig{Users: mem, Orgs: mem, Revocations: mem})
	events := map[string][]byte{
		"msg_user":    syncEvent(t, webhook.EventUserCreated, syncAt(1), syncUser("user_a", 1)),
		"msg_member":  syncEvent(t, webhook.EventMembershipDeleted, syncAt(5), syncMembership("orgmem_1", "org_a", "user_a", "org:member", nil, 1, 1)),
		"msg_session": syncEvent(t, webhook.EventSessionRevoked, syncAt(1), syncSession("sess_a", "user_a", "revoked")),
	}
	for id, body := range events {
		syncAssert(t, f.deliver(id, body), http.StatusInternalServerError, syncRespInternal)
	}
	assert.Empty(t, f.takeChanges(), "OnChange only after a successful write")
	_, err := mem.GetUser(ctx, "user_a")
	require.ErrorIs(t, err, store.ErrNotFound)

	mem.fail = false
	for id, body := range events {
		syncAssert(t, f.deliver(id, body), http.StatusOK, syncRespOK)
		syncAssert(t, f.deliver(id, body), http.StatusOK, syncRespDuplicate)
	}
	_, err = mem.GetUser(ctx, "user_a")
	assert.NoError(t, err)
	m, err := mem.GetMembership(ctx, "org_a", "user_a")
	require.NoError(t, err)
	assert.False(t, m.Active())
	revoked, err := mem.Revoked(ctx, "sess_a")
	require.NoError(t, err)
	assert.True(t, revoked)
	assert.Len(t, f.takeChanges(), 3)
}
