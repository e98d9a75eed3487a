package clerkauth_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/memstore"
	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/clerkauth/store/storetest"
)

// The UserCache is a store.Users too (the webhook sync writes through it): it keeps the
// store contract.
func TestUserCacheKeepsTheStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (store.Users, store.Orgs) {
		cache, err := clerkauth.NewUserCache(memstore.New(memstore.Config{}), clerkauth.UserCacheConfig{})
		require.NoError(t, err)
		return cache, nil
	})
}
