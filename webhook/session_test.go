package webhook_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/webhook"
)

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
