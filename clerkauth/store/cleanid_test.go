package store_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// An id refused for its bytes is named in the message, but never whole: a 1 MiB id
// shows its first 64 bytes and its length.
func TestOversizedIDIsNotQuotedWhole(t *testing.T) {
	id := "user_" + strings.Repeat("a", 1<<20) + "\x00"
	_, userErr := store.User{ID: id}.Clean()
	_, memberErr := store.Membership{OrgID: "org_1", UserID: id}.Clean()
	for _, err := range []error{store.CleanID("user", id), userErr, memberErr} {
		require.ErrorIs(t, err, store.ErrInvalid)
		require.Less(t, len(err.Error()), 200, "%.300s", err.Error())
		require.Contains(t, err.Error(), `user id "user_aaa`)
		require.Contains(t, err.Error(), "…(1048582 bytes)")
	}
}
