package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/unioneyes/authkit/clerkauth/sqlstore"
)

// postgresEnv names the variable holding the DSN of the PostgreSQL server
// the integration tests use, such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const postgresEnv = "AUTHKIT_TEST_POSTGRES"

// sqliteDSN is how the tests open a SQLite file: WAL, and a busy timeout so
// that concurrent writers (and migrators) wait for each other.
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
}

// sqliteDB opens a fresh SQLite database file in t.TempDir().
func sqliteDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", sqliteDSN(filepath.Join(t.TempDir(), "authkit.db")))
	if err != nil {
		t.Fatalf("opening SQLite: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// postgresDSN returns the test server's DSN, skipping the test when the
// variable is unset.
func postgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		t.Skip(postgresEnv + " not set; skipping PostgreSQL integration tests")
	}
	return dsn
}

// postgresDB returns a connection pool whose search_path is a schema of
// its own, created for the test and dropped after it. It skips when
// AUTHKIT_TEST_POSTGRES is unset and fails when the server does not
// answer.
func postgresDB(t testing.TB) *sql.DB {
	t.Helper()
	dsn := postgresDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("%s: %v", postgresEnv, err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("%s is set but PostgreSQL does not answer: %v", postgresEnv, err)
	}
	schema := "authkit_test_" + randomHex(t)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("creating schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return openInSchema(t, dsn, schema)
}

// openInSchema opens a pool on dsn whose connections have search_path set
// to schema.
func openInSchema(t testing.TB, dsn, schema string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("%s: %v", postgresEnv, err)
	}
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { _ = db.Close() }) // runs before the DROP SCHEMA above
	return db
}

func randomHex(t testing.TB) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newStore returns a migrated store on db.
func newStore(t testing.TB, db *sql.DB, cfg sqlstore.Config) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.New(db, cfg)
	if err != nil {
		t.Fatalf("sqlstore.New: %v", err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// forEachBackend runs fn in a subtest per database: SQLite always,
// PostgreSQL when AUTHKIT_TEST_POSTGRES is set (the subtest skips, once,
// otherwise). open returns a fresh, empty database.
func forEachBackend(t *testing.T, fn func(t *testing.T, dialect sqlstore.Dialect, open func(testing.TB) *sql.DB)) {
	t.Run("SQLite", func(t *testing.T) { fn(t, sqlstore.SQLite, sqliteDB) })
	t.Run("Postgres", func(t *testing.T) {
		postgresDSN(t)
		fn(t, sqlstore.Postgres, postgresDB)
	})
}
