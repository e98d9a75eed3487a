package webhook_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/webhook"
)

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
	var back webhook.Membership
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, *m, back)
}
