package sqlstore_test

import (
	"database/sql"
	"testing"

	"github.com/unioneyes/authkit/clerkauth/sqlstore"
	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/clerkauth/store/storetest"
)

// Every check on a database of its own.
func TestConformance(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dialect sqlstore.Dialect, open func(testing.TB) *sql.DB) {
		storetest.Run(t, func(t *testing.T) (store.Users, store.Orgs) {
			s := newStore(t, open(t), sqlstore.Config{Dialect: dialect})
			return s, s
		})
	})
}

func TestRevocationConformance(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dialect sqlstore.Dialect, open func(testing.TB) *sql.DB) {
		storetest.RunRevocations(t, func(t *testing.T) store.Revocations {
			return newStore(t, open(t), sqlstore.Config{Dialect: dialect})
		})
	})
}
