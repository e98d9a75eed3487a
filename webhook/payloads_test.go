package webhook_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/webhook"
)

func TestUserPayload(t *testing.T) {
	t.Parallel()
	e, err := webhook.ParseEvent([]byte(sampleUserCreated))
	require.NoError(t, err)
	u, err := e.User()
	require.NoError(t, err)
	assert.Equal(t, "user_29w83sxmDNGwOuEthce5gg56FcC", u.ID)
	assert.Equal(t, "user", u.Object)
	assert.Equal(t, "Example", u.FirstName)
	assert.Equal(t, "Example", u.LastName)
	assert.Empty(t, u.Username, "null username")
	assert.Equal(t, "https://img.clerk.com/xxxxxx", u.ImageURL)
	assert.Equal(t, "567772", u.ExternalID)
	assert.Equal(t, "example@example.org", u.PrimaryEmail())
	require.NotNil(t, u.PrimaryEmailAddress())
	assert.True(t, u.PrimaryEmailAddress().Verified())
	assert.False(t, u.EmailAddresses[0].Verified(), "null verification")
	assert.JSONEq(t, `{"plan":"pro"}`, string(u.PublicMetadata))
	assert.False(t, u.Banned)
	assert.True(t, u.Locked)
	assert.True(t, u.CreatedAt.Equal(ms(1654012591514)))
	assert.True(t, u.UpdatedAt.Equal(ms(1654012591835)))
	assert.True(t, u.LastSignInAt.IsZero(), "null time")
	assert.True(t, u.LastActiveAt.IsZero(), "absent time")

	// Round trip through the wire format.
	b, err := json.Marshal(u)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"updated_at":1654012591835`)
	assert.Contains(t, string(b), `"last_sign_in_at":null`)
	var back webhook.User
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, *u, back)

	t.Run("no primary email", func(t *testing.T) {
		u := webhook.User{EmailAddresses: []webhook.EmailAddress{{ID: "idn_1", EmailAddress: "a@b.c"}}}
		assert.Empty(t, u.PrimaryEmail())
		u.PrimaryEmailAddressID = "idn_2"
		assert.Empty(t, u.PrimaryEmail())
		assert.Nil(t, u.PrimaryEmailAddress())
		u.PrimaryEmailAddressID = "idn_1"
		assert.Equal(t, "a@b.c", u.PrimaryEmail())
	})
}

func TestDeletedObjectPayload(t *testing.T) {
	t.Parallel()
	e, err := webhook.ParseEvent([]byte(sampleUserDeleted))
	require.NoError(t, err)
	d, err := e.DeletedObject()
	require.NoError(t, err)
	assert.Equal(t, webhook.DeletedObject{Object: "user", ID: "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S", Deleted: true, ExternalID: "ex_123456789"}, *d)

	e, err = webhook.ParseEvent([]byte(sampleOrgDeleted))
	require.NoError(t, err)
	d, err = e.DeletedObject()
	require.NoError(t, err)
	assert.Equal(t, webhook.DeletedObject{Object: "organization", ID: "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S", Slug: "acme-corp", Deleted: true}, *d)
	assert.True(t, e.Timestamp.Equal(ms(1716883200000)))
}

func TestOrganizationPayload(t *testing.T) {
	t.Parallel()
	e, err := webhook.ParseEvent([]byte(sampleOrgUpdated))
	require.NoError(t, err)
	o, err := e.Organization()
	require.NoError(t, err)
	assert.Equal(t, "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S", o.ID)
	assert.Equal(t, "Acme Corp", o.Name)
	assert.Equal(t, "acme-corp", o.Slug)
	assert.Equal(t, "https://img.clerk.com/org", o.ImageURL)
	assert.Equal(t, 7, o.MembersCount)
	assert.Equal(t, "user_creator", o.CreatedBy)
	assert.JSONEq(t, `{"tier":"gold"}`, string(o.PublicMetadata))
	assert.True(t, o.CreatedAt.Equal(ms(1716883100000)))
	assert.True(t, o.UpdatedAt.Equal(ms(1716883200000)))

	b, err := json.Marshal(o)
	require.NoError(t, err)
	var back webhook.Organization
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, *o, back)
}

func TestMembershipPayload(t *testing.T) {
	t.Parallel()
	e, err := webhook.ParseEvent([]byte(sampleMembershipCreated))
	require.NoError(t, err)
	m, err := e.Membership()
	require.NoError(t, err)
	assert.Equal(t, "orgmem_2g7np7Hrk0SN6kj5EDMLDaKNL0S", m.ID)
	assert.Equal(t, "org:member", m.Role)
	assert.Equal(t, "Member", m.RoleName)
	assert.Equal(t, []string{"org:posts:read", "org:posts:write"}, m.Permissions)
	assert.Equal(t, "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S", m.Organization.ID)
	assert.Equal(t, "acme-corp", m.Organization.Slug)
	assert.True(t, m.Organization.UpdatedAt.Equal(ms(1716883100000)), "nested organization times")
	assert.Equal(t, webhook.PublicUserData{
		UserID: "user_2h8op3Isl1QR7tKu5FGNfaLKEoU", Identifier: "jane.doe@acme.com", FirstName: "Jane", LastName: "Doe",
		ImageURL: "https://img.clerk.com/yyyyy", HasImage: true,
	}, m.PublicUserData)
	assert.True(t, m.UpdatedAt.Equal(ms(1716883200000)))

	b, err := json.Marshal(m)
	require.NoError(t, err)
	var back webhook.OrganizationMembership
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, *m, back)
}

func TestSessionPayload(t *testing.T) {
	t.Parallel()
	e, err := webhook.ParseEvent([]byte(sampleSessionCreated))
	require.NoError(t, err)
	s, err := e.Session()
	require.NoError(t, err)
	assert.Equal(t, "sess_2g7np7Hrk0SN6kj5EDMLDaKNL0S", s.ID)
	assert.Equal(t, "user_2g7", s.UserID)
	assert.Equal(t, "client_2g7", s.ClientID)
	assert.Equal(t, "active", s.Status)
	assert.Equal(t, "org_2g7", s.LastActiveOrganizationID)
	assert.True(t, s.ExpireAt.Equal(ms(1716969600000)))
	assert.True(t, s.AbandonAt.Equal(ms(1719475200000)))
	assert.True(t, s.LastActiveAt.Equal(ms(1716883200000)))
	require.NotNil(t, s.LatestActivity)
	assert.Equal(t, "Chrome", s.LatestActivity.BrowserName)
	require.NotNil(t, s.User)
	assert.Equal(t, "John", s.User.FirstName)
	assert.True(t, s.User.UpdatedAt.Equal(ms(1716883100000)), "embedded user times")

	b, err := json.Marshal(s)
	require.NoError(t, err)
	var back webhook.Session
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, *s, back)
}

func TestPayloadMalformed(t *testing.T) {
	t.Parallel()
	decoders := map[string]func(webhook.Event) error{
		"User":          func(e webhook.Event) error { _, err := e.User(); return err },
		"DeletedObject": func(e webhook.Event) error { _, err := e.DeletedObject(); return err },
		"Organization":  func(e webhook.Event) error { _, err := e.Organization(); return err },
		"Membership":    func(e webhook.Event) error { _, err := e.Membership(); return err },
		"Session":       func(e webhook.Event) error { _, err := e.Session(); return err },
	}
	for _, data := range []string{
		``, `null`, `[]`, `"x"`, `{}`, `{"id":""}`, `{"id":5}`,
		`{"id":"x","created_at":"yesterday"}`, `{"id":"x","updated_at":1.5}`, `{"id":"x","expire_at":{}}`,
		`{"id":"x","email_addresses":{}}`, `{"id":"x","organization":[]}`, `{"id":"x","user":"u"}`, `{"id":"x","slug":[]}`,
	} {
		e := webhook.Event{Type: "test", Data: json.RawMessage(data)}
		failed := 0
		for name, dec := range decoders {
			err := dec(e)
			if err != nil {
				require.ErrorIs(t, err, webhook.ErrMalformedPayload, "%s(%s)", name, data)
				failed++
			}
		}
		assert.Positive(t, failed, "data %s decoded under every payload type", data)
	}
	// No id is malformed for every type.
	for name, dec := range decoders {
		require.ErrorIs(t, dec(webhook.Event{Data: json.RawMessage(`{"object":"x"}`)}), webhook.ErrMalformedPayload, name)
	}
}
