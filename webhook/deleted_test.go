package webhook_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/webhook"
)

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
