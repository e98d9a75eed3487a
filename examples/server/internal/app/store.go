package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/unioneyes/authkit/clerkauth/sqlstore"
)

const (
	sqlitePrefix = "sqlite:"
	sqliteMemory = ":memory:"
	// sqlitePragmas: wait for a writer instead of failing with SQLITE_BUSY, and WAL so
	// that readers never wait for a writer (synchronous NORMAL is safe with WAL).
	sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	// sqliteMaxConns bounds a file database's pool: readers run in parallel under WAL,
	// writers take turns anyway.
	sqliteMaxConns = 8
	// postgresMaxConns bounds the PostgreSQL pool of one replica.
	postgresMaxConns = 20
	// migrateTimeout bounds connecting and migrating at start.
	migrateTimeout = 30 * time.Second
)

// dbTarget is a parsed DATABASE_URL: which driver opens what.
type dbTarget struct {
	driver  string // "pgx" or "sqlite"
	dsn     string
	dialect sqlstore.Dialect
	memory  bool // SQLite in memory: one connection, lost at exit
}

// parseDatabaseURL reads DATABASE_URL: "postgres://…" or "postgresql://…" for PostgreSQL
// (github.com/jackc/pgx/v5/stdlib), "sqlite:<path>" (also "sqlite:///abs/path") or
// "sqlite::memory:" for SQLite (modernc.org/sqlite). Its errors never quote the URL,
// which may carry a password.
func parseDatabaseURL(raw string) (dbTarget, error) {
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		if _, err := url.Parse(raw); err != nil {
			return dbTarget{}, errors.New("not a valid postgres:// URL")
		}
		return dbTarget{driver: "pgx", dsn: raw, dialect: sqlstore.Postgres}, nil
	case strings.HasPrefix(raw, sqlitePrefix):
		path := strings.TrimPrefix(raw, sqlitePrefix)
		if rest, ok := strings.CutPrefix(path, "//"); ok { // sqlite:///abs/path, URL style
			path = rest
		}
		switch {
		case path == "":
			return dbTarget{}, errors.New(`"sqlite:" needs a path, such as sqlite:authkit.db`)
		case path == sqliteMemory:
			return dbTarget{driver: "sqlite", dsn: sqliteMemory, dialect: sqlstore.SQLite, memory: true}, nil
		case strings.ContainsAny(path, "?#"):
			return dbTarget{}, errors.New("the SQLite path must not contain '?' or '#'")
		}
		// A file: URI, so that the pragmas apply to every connection of the pool.
		dsn := "file:" + strings.ReplaceAll(path, "%", "%25") + "?" + sqlitePragmas
		return dbTarget{driver: "sqlite", dsn: dsn, dialect: sqlstore.SQLite}, nil
	default:
		// Name the scheme only when it is one (a user name is not).
		scheme, _, ok := strings.Cut(raw, "://")
		if !ok || scheme == "" || strings.ContainsFunc(scheme, func(r rune) bool {
			return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '+' || r == '-' || r == '.')
		}) {
			scheme = "(none)"
		}
		return dbTarget{}, fmt.Errorf("unknown scheme %q: want postgres://…, postgresql://… or sqlite:<path>", scheme)
	}
}

// openStore opens DATABASE_URL with its driver, sizes the pool, runs the store's
// migrations and returns the store with its database (close the database when done).
func openStore(ctx context.Context, databaseURL string) (*sqlstore.Store, *sql.DB, error) {
	t, err := parseDatabaseURL(databaseURL)
	if err != nil {
		return nil, nil, err
	}
	db, err := sql.Open(t.driver, t.dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the %s database: %w", t.dialect, err)
	}
	switch {
	case t.memory:
		db.SetMaxOpenConns(1) // each ":memory:" connection is a database of its own
	case t.dialect == sqlstore.SQLite:
		db.SetMaxOpenConns(sqliteMaxConns)
		db.SetMaxIdleConns(sqliteMaxConns)
	default:
		db.SetMaxOpenConns(postgresMaxConns)
		db.SetMaxIdleConns(postgresMaxConns)
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	store, err := sqlstore.New(db, sqlstore.Config{Dialect: t.dialect})
	if err == nil {
		mctx, cancel := context.WithTimeout(ctx, migrateTimeout)
		err = store.Migrate(mctx)
		cancel()
	}
	if err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("preparing the %s database: %w", t.dialect, err)
	}
	return store, db, nil
}
