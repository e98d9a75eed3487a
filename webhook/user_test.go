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
