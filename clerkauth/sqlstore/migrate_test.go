package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/sqlstore"
)

func versionRows(t *testing.T, db *sql.DB, prefix string) []int {
	t.Helper()
	rows, err := db.Query(`SELECT version FROM ` + prefix + `schema_migrations ORDER BY version`)
	require.NoError(t, err)
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		out = append(out, v)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestMigrateIsIdempotent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dialect sqlstore.Dialect, open func(testing.TB) *sql.DB) {
		ctx := context.Background()
		db := open(t)
		s, err := sqlstore.New(db, sqlstore.Config{Dialect: dialect})
		require.NoError(t, err)
		require.ErrorIs(t, s.Ping(ctx), sqlstore.ErrNotMigrated, "before Migrate")
		for range 3 {
			require.NoError(t, s.Migrate(ctx))
		}
		assert.Equal(t, []int{1}, versionRows(t, db, "authkit_"))
		require.NoError(t, s.Ping(ctx))
	})
}

// Ping reports a database whose version is behind this package's.
func TestPingOlderSchema(t *testing.T) {
	ctx := context.Background()
	db := sqliteDB(t)
	s := newStore(t, db, sqlstore.Config{Dialect: sqlstore.SQLite})
	_, err := db.Exec(`DELETE FROM authkit_schema_migrations`)
	require.NoError(t, err)
	err = s.Ping(ctx)
	assert.ErrorIs(t, err, sqlstore.ErrNotMigrated)
	assert.Contains(t, err.Error(), "database at version 0, this package needs 1")
}

// A database migrated by a newer version of the package (a version this
// one does not know) is left alone.
func TestMigrateNewerDatabase(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dialect sqlstore.Dialect, open func(testing.TB) *sql.DB) {
		ctx := context.Background()
		db := open(t)
		s := newStore(t, db, sqlstore.Config{Dialect: dialect})
		_, err := db.Exec(`INSERT INTO authkit_schema_migrations (version, applied_at) VALUES (99, 0)`)
		require.NoError(t, err)
		require.NoError(t, s.Migrate(ctx))
		require.NoError(t, s.Ping(ctx))
		assert.Equal(t, []int{1, 99}, versionRows(t, db, "authkit_"))
	})
}

// Replicas starting together migrate one database at once, each through
// its own pool: every Migrate succeeds and each migration runs once.
func TestMigrateConcurrently(t *testing.T) {
	const replicas = 8
	run := func(t *testing.T, dialect sqlstore.Dialect, pools []*sql.DB) {
		var wg sync.WaitGroup
		errs := make([]error, replicas)
		start := make(chan struct{})
		for i := range replicas {
			wg.Go(func() {
				s, err := sqlstore.New(pools[i], sqlstore.Config{Dialect: dialect})
				if err != nil {
					errs[i] = err
					return
				}
				<-start
				errs[i] = s.Migrate(context.Background())
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			assert.NoError(t, err, "replica %d", i)
		}
		assert.Equal(t, []int{1}, versionRows(t, pools[0], "authkit_"))
	}
	t.Run("SQLite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "shared.db")
		pools := make([]*sql.DB, replicas)
		for i := range pools {
			db, err := sql.Open("sqlite", sqliteDSN(path))
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			pools[i] = db
		}
		// Switching a new file to WAL (the DSN's journal_mode pragma) can fail
		// with SQLITE_BUSY without waiting on the busy timeout when several
		// connections open it at once; replicas share a file that exists.
		require.NoError(t, pools[0].Ping())
		run(t, sqlstore.SQLite, pools)
	})
	t.Run("Postgres", func(t *testing.T) {
		first := postgresDB(t)
		var schema string
		require.NoError(t, first.QueryRow(`SELECT current_schema()`).Scan(&schema))
		pools := []*sql.DB{first}
		for len(pools) < replicas {
			pools = append(pools, openInSchema(t, postgresDSN(t), schema))
		}
		run(t, sqlstore.Postgres, pools)
	})
}
