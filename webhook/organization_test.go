package webhook_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/webhook"
)

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
