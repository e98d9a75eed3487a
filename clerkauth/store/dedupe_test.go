package store_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/unioneyes/authkit/clerkauth/store"
)

func TestClaimResultString(t *testing.T) {
	assert.Equal(t, "acquired", store.ClaimAcquired.String())
	assert.Equal(t, "in progress", store.ClaimInProgress.String())
	assert.Equal(t, "done", store.ClaimDone.String())
	assert.Equal(t, "invalid", store.ClaimResult(0).String())
	assert.Equal(t, "invalid", store.ClaimResult(4).String())
}
