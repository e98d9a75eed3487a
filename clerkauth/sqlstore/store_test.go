package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/sqlstore"
	"github.com/unioneyes/authkit/clerkauth/store"
)

func TestNewRejects(t *testing.T) {
	db := sqliteDB(t)
	for name, tc := range map[string]struct {
		db  *sql.DB
		cfg sqlstore.Config
	}{
		"nil db":                 {nil, sqlstore.Config{Dialect: sqlstore.SQLite}},
		"no dialect":             {db, sqlstore.Config{}},
		"unknown dialect":        {db, sqlstore.Config{Dialect: 7}},
		"upper case prefix":      {db, sqlstore.Config{Dialect: sqlstore.SQLite, TablePrefix: "Authkit_"}},
		"prefix with a dot":      {db, sqlstore.Config{Dialect: sqlstore.SQLite, TablePrefix: "public.authkit_"}},
		"prefix with a quote":    {db, sqlstore.Config{Dialect: sqlstore.SQLite, TablePrefix: `a"; DROP TABLE x; --`}},
		"prefix with a space":    {db, sqlstore.Config{Dialect: sqlstore.Postgres, TablePrefix: "auth kit"}},
		"prefix starting with 1": {db, sqlstore.Config{Dialect: sqlstore.Postgres, TablePrefix: "1_"}},
		"prefix too long":        {db, sqlstore.Config{Dialect: sqlstore.Postgres, TablePrefix: strings.Repeat("a", 41)}},
		"non-ASCII prefix":       {db, sqlstore.Config{Dialect: sqlstore.Postgres, TablePrefix: "authkït_"}},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := sqlstore.New(tc.db, tc.cfg)
			assert.ErrorIs(t, err, sqlstore.ErrInvalidConfig)
			assert.Nil(t, s)
		})
	}
}

func TestNewDefaults(t *testing.T) {
	s, err := sqlstore.New(sqliteDB(t), sqlstore.Config{Dialect: sqlstore.SQLite})
	require.NoError(t, err)
	assert.Equal(t, sqlstore.DefaultTablePrefix, s.TablePrefix())
	assert.Equal(t, sqlstore.SQLite, s.Dialect())
	s, err = sqlstore.New(sqliteDB(t), sqlstore.Config{Dialect: sqlstore.Postgres, TablePrefix: strings.Repeat("a", 40)})
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("a", 40), s.TablePrefix())
	assert.Equal(t, "postgres", sqlstore.Postgres.String())
	assert.Equal(t, "sqlite", sqlstore.SQLite.String())
	assert.Equal(t, "Dialect(7)", sqlstore.Dialect(7).String())
}

// Writes the store refuses before sending them, with ErrInvalid.
func TestWritesRejected(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1_716_883_200_000)
	db := sqliteDB(t)
	s := newStore(t, db, sqlstore.Config{Dialect: sqlstore.SQLite})
	for name, write := range map[string]func() error{
		"nil user":        func() error { _, err := s.UpsertUser(ctx, nil); return err },
		"user without id": func() error { _, err := s.UpsertUser(ctx, &store.User{Email: "a@example.com"}); return err },
		"user metadata not JSON": func() error {
			_, err := s.UpsertUser(ctx, &store.User{ID: "user_a", PublicMetadata: json.RawMessage(`{`)})
			return err
		},
		"deactivate without id":   func() error { _, err := s.DeactivateUser(ctx, "", now); return err },
		"deactivate at zero":      func() error { _, err := s.DeactivateUser(ctx, "user_a", time.Time{}); return err },
		"nil organization":        func() error { _, err := s.UpsertOrganization(ctx, nil); return err },
		"organization without id": func() error { _, err := s.UpsertOrganization(ctx, &store.Organization{}); return err },
		"organization metadata not JSON": func() error {
			_, err := s.UpsertOrganization(ctx, &store.Organization{ID: "org_a", PublicMetadata: json.RawMessage(`x`)})
			return err
		},
		"delete organization without id": func() error { _, err := s.DeleteOrganization(ctx, "", now); return err },
		"delete organization at zero":    func() error { _, err := s.DeleteOrganization(ctx, "org_a", time.Time{}); return err },
		"nil membership":                 func() error { _, err := s.UpsertMembership(ctx, nil); return err },
		"membership without org":         func() error { _, err := s.UpsertMembership(ctx, &store.Membership{UserID: "user_a"}); return err },
		"membership without user":        func() error { _, err := s.UpsertMembership(ctx, &store.Membership{OrgID: "org_a"}); return err },
		"delete membership without org":  func() error { _, err := s.DeleteMembership(ctx, "", "user_a", now); return err },
		"delete membership without user": func() error { _, err := s.DeleteMembership(ctx, "org_a", "", now); return err },
		"delete membership at zero":      func() error { _, err := s.DeleteMembership(ctx, "org_a", "user_a", time.Time{}); return err },
		"revoke without id":              func() error { return s.Revoke(ctx, "", now.Add(time.Hour)) },
		"revoke until zero":              func() error { return s.Revoke(ctx, "sess_a", time.Time{}) },
	} {
		t.Run(name, func(t *testing.T) {
			assert.ErrorIs(t, write(), store.ErrInvalid)
		})
	}
	var n int
	for _, table := range []string{"users", "organizations", "memberships", "revocations"} {
		require.NoError(t, db.QueryRow(`SELECT count(*) FROM authkit_`+table).Scan(&n))
		assert.Zero(t, n, "rows in %s", table)
	}
}

// The stored form: integer milliseconds (NULL for the zero time), JSON
// text as sent, permissions as a JSON array.
func TestStoredForm(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dialect sqlstore.Dialect, open func(testing.TB) *sql.DB) {
		ctx := context.Background()
		db := open(t)
		s := newStore(t, db, sqlstore.Config{Dialect: dialect})
		_, err := s.UpsertUser(ctx, &store.User{
			ID: "user_a", PublicMetadata: json.RawMessage(`{"b": 1, "a": "\u0000"}`),
			UpdatedAt: time.UnixMilli(1_716_883_200_123).Add(999 * time.Microsecond),
		})
		require.NoError(t, err)
		var (
			meta               string
			created, upd, dele sql.NullInt64
		)
		require.NoError(t, db.QueryRow(`SELECT public_metadata, created_at, updated_at, deleted_at FROM authkit_users WHERE id = 'user_a'`).
			Scan(&meta, &created, &upd, &dele))
		assert.Equal(t, `{"b": 1, "a": "\u0000"}`, meta, "kept as sent (json, not jsonb, on PostgreSQL)")
		assert.False(t, created.Valid, "zero time is NULL")
		assert.Equal(t, sql.NullInt64{Int64: 1_716_883_200_123, Valid: true}, upd, "milliseconds, truncated")
		assert.False(t, dele.Valid)

		_, err = s.UpsertMembership(ctx, &store.Membership{OrgID: "org_a", UserID: "user_a", Permissions: []string{"org:b:x", "org:a:y"}})
		require.NoError(t, err)
		var perms string
		require.NoError(t, db.QueryRow(`SELECT permissions FROM authkit_memberships`).Scan(&perms))
		assert.Equal(t, `["org:b:x","org:a:y"]`, perms)
	})
}

// Versions compare at millisecond precision, the precision Clerk's times
// have: a version newer by less than a millisecond is an equal one.
func TestVersionsAtMilliseconds(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dialect sqlstore.Dialect, open func(testing.TB) *sql.DB) {
		ctx := context.Background()
		s := newStore(t, open(t), sqlstore.Config{Dialect: dialect})
		v := time.UnixMilli(1_716_883_200_123)
		applied, err := s.UpsertUser(ctx, &store.User{ID: "user_a", Email: "a", UpdatedAt: v})
		require.NoError(t, err)
		require.True(t, applied)
		applied, err = s.UpsertUser(ctx, &store.User{ID: "user_a", Email: "b", UpdatedAt: v.Add(999 * time.Microsecond)})
		require.NoError(t, err)
		assert.False(t, applied, "same millisecond")
		applied, err = s.UpsertUser(ctx, &store.User{ID: "user_a", Email: "c", UpdatedAt: v.Add(time.Millisecond)})
		require.NoError(t, err)
		assert.True(t, applied, "next millisecond")
		u, err := s.GetUser(ctx, "user_a")
		require.NoError(t, err)
		assert.Equal(t, "c", u.Email)
		assert.Equal(t, time.UTC, u.UpdatedAt.Location(), "times come back in UTC")
	})
}

// Two stores with different prefixes in one database do not see each
// other's records.
func TestTablePrefixesAreIndependent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dialect sqlstore.Dialect, open func(testing.TB) *sql.DB) {
		ctx := context.Background()
		db := open(t)
		a := newStore(t, db, sqlstore.Config{Dialect: dialect, TablePrefix: "tenant_a_"})
		b := newStore(t, db, sqlstore.Config{Dialect: dialect, TablePrefix: "tenant_b_"})
		_, err := a.UpsertUser(ctx, &store.User{ID: "user_a", UpdatedAt: time.Now()})
		require.NoError(t, err)
		require.NoError(t, a.Revoke(ctx, "sess_a", time.Now().Add(time.Hour)))
		_, err = b.GetUser(ctx, "user_a")
		assert.ErrorIs(t, err, store.ErrNotFound)
		revoked, err := b.Revoked(ctx, "sess_a")
		require.NoError(t, err)
		assert.False(t, revoked)
		_, err = a.GetUser(ctx, "user_a")
		assert.NoError(t, err)
	})
}

// On PostgreSQL every id column sorts byte-wise whatever the database's
// collation, as the contract's orderings need.
func TestPostgresIDsCollateC(t *testing.T) {
	db := postgresDB(t)
	newStore(t, db, sqlstore.Config{Dialect: sqlstore.Postgres})
	rows, err := db.Query(`SELECT table_name, column_name, collation_name FROM information_schema.columns
WHERE table_schema = current_schema() AND column_name IN ('id', 'org_id', 'user_id', 'session_id')`)
	require.NoError(t, err)
	defer rows.Close()
	n := 0
	for rows.Next() {
		var table, column string
		var collation sql.NullString
		require.NoError(t, rows.Scan(&table, &column, &collation))
		if table == "authkit_memberships" && column == "id" {
			continue // the informative Clerk id, never sorted on
		}
		assert.Equal(t, "C", collation.String, "%s.%s", table, column)
		n++
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, 5, n)
}

// A failing database is an error, never ErrNotFound, with the package's
// prefix and the cause.
func TestDatabaseFailures(t *testing.T) {
	ctx := context.Background()
	db := sqliteDB(t)
	s := newStore(t, db, sqlstore.Config{Dialect: sqlstore.SQLite})
	require.NoError(t, db.Close())
	for name, call := range map[string]func() error{
		"GetUser":             func() error { _, err := s.GetUser(ctx, "user_a"); return err },
		"UpsertUser":          func() error { _, err := s.UpsertUser(ctx, &store.User{ID: "user_a"}); return err },
		"DeactivateUser":      func() error { _, err := s.DeactivateUser(ctx, "user_a", time.Now()); return err },
		"GetOrganization":     func() error { _, err := s.GetOrganization(ctx, "org_a"); return err },
		"GetMembership":       func() error { _, err := s.GetMembership(ctx, "org_a", "user_a"); return err },
		"ListMembers":         func() error { _, err := s.ListMembers(ctx, "org_a"); return err },
		"ListUserMemberships": func() error { _, err := s.ListUserMemberships(ctx, "user_a"); return err },
		"Revoke":              func() error { return s.Revoke(ctx, "sess_a", time.Now().Add(time.Hour)) },
		"Revoked":             func() error { _, err := s.Revoked(ctx, "sess_a"); return err },
		"DeleteExpired":       func() error { _, err := s.DeleteExpiredRevocations(ctx); return err },
		"Ping":                func() error { return s.Ping(ctx) },
		"Migrate":             func() error { return s.Migrate(ctx) },
	} {
		t.Run(name, func(t *testing.T) {
			err := call()
			require.Error(t, err)
			assert.False(t, errors.Is(err, store.ErrNotFound))
			assert.False(t, errors.Is(err, sqlstore.ErrNotMigrated))
			assert.True(t, strings.HasPrefix(err.Error(), "sqlstore: "), err.Error())
			assert.Contains(t, err.Error(), "database is closed")
		})
	}
}

// With AUTHKIT_TEST_POSTGRES set, an unreachable server fails the tests:
// they never skip.
func TestUnreachablePostgresFails(t *testing.T) {
	if os.Getenv("SQLSTORE_CHILD") != "" {
		t.Skip("in the child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPostgresIDsCollateC$", "-test.v")
	cmd.Env = append(os.Environ(), postgresEnv+"=postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2", "SQLSTORE_CHILD=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "the test passed or skipped:\n%s", out)
	assert.Contains(t, string(out), "--- FAIL: TestPostgresIDsCollateC")
	assert.Contains(t, string(out), "is set but PostgreSQL does not answer")
}

// A store error never quotes a whole oversized id: a 1 MiB id, refused for its bytes or
// sent to a database that fails, shows its first 64 bytes and its length.
func TestOversizedIDInErrors(t *testing.T) {
	db := sqliteDB(t)
	s, err := sqlstore.New(db, sqlstore.Config{Dialect: sqlstore.SQLite})
	require.NoError(t, err)
	require.NoError(t, s.Migrate(t.Context()))
	require.NoError(t, db.Close()) // every statement fails from here on
	ctx := t.Context()
	id := "user_" + strings.Repeat("a", 1<<20)
	bad := id + "\x00"
	for name, err := range map[string]error{
		"get user":         func() error { _, err := s.GetUser(ctx, id); return err }(),
		"upsert user":      func() error { _, err := s.UpsertUser(ctx, &store.User{ID: id}); return err }(),
		"invalid user":     func() error { _, err := s.UpsertUser(ctx, &store.User{ID: bad}); return err }(),
		"deactivate user":  func() error { _, err := s.DeactivateUser(ctx, id, time.Now()); return err }(),
		"get organization": func() error { _, err := s.GetOrganization(ctx, id); return err }(),
		"upsert org":       func() error { _, err := s.UpsertOrganization(ctx, &store.Organization{ID: id}); return err }(),
		"delete org":       func() error { _, err := s.DeleteOrganization(ctx, id, time.Now()); return err }(),
		"get membership":   func() error { _, err := s.GetMembership(ctx, id, id); return err }(),
		"upsert membership": func() error {
			_, err := s.UpsertMembership(ctx, &store.Membership{OrgID: id, UserID: id})
			return err
		}(),
		"delete membership": func() error { _, err := s.DeleteMembership(ctx, id, id, time.Now()); return err }(),
		"list members":      func() error { _, err := s.ListMembers(ctx, id); return err }(),
		"list memberships":  func() error { _, err := s.ListUserMemberships(ctx, id); return err }(),
		"revoke":            s.Revoke(ctx, id, time.Now().Add(time.Hour)),
		"revoked":           func() error { _, err := s.Revoked(ctx, id); return err }(),
	} {
		require.Error(t, err, name)
		require.Less(t, len(err.Error()), 400, "%s: %.300s", name, err.Error())
		require.Contains(t, err.Error(), `"user_aaa`, name)
		require.Contains(t, err.Error(), "bytes)", name)
	}
}
