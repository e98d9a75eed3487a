package sqlstore_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/sqlstore"
	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/clerkauth/store/storetest"
)

// modernc's ":memory:" is a database per connection: with a pool that may
// open several, the tables Migrate created would be missing from the
// others. Migrate says so instead of letting queries fail later with "no
// such table".
func TestMemoryDatabaseNeedsOneConnection(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	s, err := sqlstore.New(db, sqlstore.Config{Dialect: sqlstore.SQLite})
	require.NoError(t, err)
	assert.ErrorIs(t, s.Migrate(context.Background()), sqlstore.ErrMemoryDatabase)
}

// With one connection, ":memory:" works: the whole contract holds.
func TestMemoryDatabaseOneConnection(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (store.Users, store.Orgs) {
		db, err := sql.Open("sqlite", ":memory:")
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		db.SetMaxOpenConns(1)
		s := newStore(t, db, sqlstore.Config{Dialect: sqlstore.SQLite})
		return s, s
	})
}

// A shared-cache memory database is one database for every connection of
// the process: Migrate accepts it whatever the pool size.
func TestSharedMemoryDatabase(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+t.Name()+"?mode=memory&cache=shared&_pragma=busy_timeout(10000)")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(4)
	s, err := sqlstore.New(db, sqlstore.Config{Dialect: sqlstore.SQLite})
	require.NoError(t, err)
	require.NoError(t, s.Migrate(context.Background()))
	require.NoError(t, s.Ping(context.Background()))
}
