package storecheck_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/internal/storecheck"
)

// An id refused for its bytes is named in the message, but never whole: a 1 MiB id
// shows its first 64 bytes and its length.
func TestOversizedIDIsNotQuotedWhole(t *testing.T) {
	errInvalid := errors.New("mystore: invalid argument")
	id := "user_" + strings.Repeat("a", 1<<20) + "\x00"
	for _, err := range []error{
		storecheck.ID(errInvalid, "user", id),
		storecheck.Deletion(errInvalid, "user", id, time.Now()),
	} {
		require.ErrorIs(t, err, errInvalid)
		require.Less(t, len(err.Error()), 200, "%.300s", err.Error())
		require.Contains(t, err.Error(), `user id "user_aaa`)
		require.Contains(t, err.Error(), "…(1048582 bytes)")
	}
}
