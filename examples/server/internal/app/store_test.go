package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/sqlstore"
)

func TestParseDatabaseURL(t *testing.T) {
	tests := []struct {
		raw     string
		driver  string
		dsn     string
		dialect sqlstore.Dialect
		memory  bool
	}{
		{"postgres://app:pw@db:5432/app?sslmode=disable", "pgx", "postgres://app:pw@db:5432/app?sslmode=disable", sqlstore.Postgres, false},
		{"postgresql://db/app", "pgx", "postgresql://db/app", sqlstore.Postgres, false},
		{"sqlite:authkit.db", "sqlite", "file:authkit.db?" + sqlitePragmas, sqlstore.SQLite, false},
		{"sqlite:/var/lib/app/auth.db", "sqlite", "file:/var/lib/app/auth.db?" + sqlitePragmas, sqlstore.SQLite, false},
		{"sqlite:///var/lib/app/auth.db", "sqlite", "file:/var/lib/app/auth.db?" + sqlitePragmas, sqlstore.SQLite, false},
		{"sqlite:data/100%.db", "sqlite", "file:data/100%25.db?" + sqlitePragmas, sqlstore.SQLite, false},
		{"sqlite::memory:", "sqlite", ":memory:", sqlstore.SQLite, true},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := parseDatabaseURL(tc.raw)
			require.NoError(t, err)
			assert.Equal(t, dbTarget{driver: tc.driver, dsn: tc.dsn, dialect: tc.dialect, memory: tc.memory}, got)
		})
	}
	for raw, want := range map[string]string{
		"":                         `unknown scheme "(none)"`,
		"mysql://u:pw@db/app":      `unknown scheme "mysql"`,
		"u:pw@db/app":              `unknown scheme "(none)"`,
		"sqlite:":                  `"sqlite:" needs a path`,
		"sqlite:a.db?mode=ro":      "must not contain '?' or '#'",
		"postgres://u:pw@db:x/app": "not a valid postgres:// URL",
	} {
		_, err := parseDatabaseURL(raw)
		require.Error(t, err, raw)
		assert.Contains(t, err.Error(), want, raw)
		assert.NotContains(t, err.Error(), "pw", raw)
	}
}

func TestRedactURL(t *testing.T) {
	for raw, want := range map[string]string{
		"postgres://app:pw@db:5432/app?sslmode=disable&password=pw": "postgres://app@db:5432/app",
		"postgres://db/app":                    "postgres://db/app",
		"redis://:pw@cache:6379/0":             "redis://@cache:6379/0",
		"rediss://default:pw@cache:6380/1#x":   "rediss://default@cache:6380/1",
		"sqlite:authkit.db":                    "sqlite:authkit.db",
		"postgres://app:pw@db:port/app":        "(unparseable URL)",
		"unix:///run/redis.sock?password=pw&x": "unix:///run/redis.sock",
	} {
		got := redactURL(raw)
		assert.Equal(t, want, got, raw)
		assert.NotContains(t, got, "pw", raw)
	}
}

// openStore migrates a SQLite file with the pragmas the server sets, and a memory
// database on a single connection.
func TestOpenStore(t *testing.T) {
	ctx := context.Background()
	for _, raw := range []string{"sqlite:" + filepath.Join(t.TempDir(), "a.db"), "sqlite::memory:"} {
		store, db, err := openStore(ctx, raw)
		require.NoError(t, err, raw)
		require.NoError(t, store.Ping(ctx), raw)
		if strings.HasSuffix(raw, ":memory:") {
			assert.Equal(t, 1, db.Stats().MaxOpenConnections)
		} else {
			var mode string
			require.NoError(t, db.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
			assert.Equal(t, "wal", mode)
			var timeout int
			require.NoError(t, db.QueryRow(`PRAGMA busy_timeout`).Scan(&timeout))
			assert.Equal(t, 10000, timeout)
		}
		require.NoError(t, db.Close())
	}
	_, _, err := openStore(ctx, "sqlite:"+filepath.Join(t.TempDir(), "missing-dir", "a.db"))
	assert.ErrorContains(t, err, "preparing the sqlite database")
}

// FuzzParseDatabaseURL: no panic, and an error never quotes the URL's password.
func FuzzParseDatabaseURL(f *testing.F) {
	for _, s := range []string{"postgres://u:secretpw@h/db", "sqlite:a.db", "sqlite::memory:", "sqlite:///x", "mysql://u:secretpw@h",
		"u:secretpw@h", "sqlite:%", "postgres://u:secretpw@[::1", "SQLITE:a", "postgresql://", "sqlite:a#b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := parseDatabaseURL(raw)
		if err != nil {
			if strings.Contains(raw, "secretpw") && strings.Contains(err.Error(), "secretpw") {
				t.Fatalf("the password in the error: %v", err)
			}
			return
		}
		if got.driver != "pgx" && got.driver != "sqlite" {
			t.Fatalf("driver %q", got.driver)
		}
		if got.driver == "sqlite" && !got.memory && !strings.HasPrefix(got.dsn, "file:") {
			t.Fatalf("sqlite dsn %q", got.dsn)
		}
	})
}
