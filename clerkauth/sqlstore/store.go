package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// Dialect is the SQL dialect of the database.
type Dialect int

// The supported dialects. The zero Dialect is invalid: [New] requires one
// of these.
const (
	// Postgres is PostgreSQL, 9.5 or later (INSERT … ON CONFLICT); tested
	// on 15 with the pgx driver, github.com/jackc/pgx/v5/stdlib.
	Postgres Dialect = iota + 1
	// SQLite is SQLite, 3.35 or later; tested with the pure-Go driver
	// modernc.org/sqlite.
	SQLite
)

// String returns "postgres" or "sqlite".
func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case SQLite:
		return "sqlite"
	default:
		return fmt.Sprintf("Dialect(%d)", int(d))
	}
}

// DefaultTablePrefix is the prefix of the table names when
// [Config.TablePrefix] is empty.
const DefaultTablePrefix = "authkit_"

// Config configures [New]. Zero fields take the documented defaults.
type Config struct {
	// Dialect is the database's dialect. Required.
	Dialect Dialect

	// TablePrefix starts the name of every table and index the store
	// uses, so that several stores (or other applications) can share a
	// database or schema. Empty means [DefaultTablePrefix]. It must be
	// lower-case ASCII letters, digits and underscores, start with a letter
	// or underscore and be at most 40 bytes, so that every name is a plain
	// SQL identifier within PostgreSQL's 63-byte limit. To use a PostgreSQL
	// schema, put it first in the connection's search_path.
	TablePrefix string

	// Now is the clock revocations expire against. Nil means [time.Now].
	Now func() time.Time
}

// maxPrefixLen keeps "<prefix>memberships_user_idx" within PostgreSQL's
// 63-byte identifiers.
const maxPrefixLen = 40

// Store is a [store.Users], [store.Orgs] and [store.Revocations] on a
// database/sql database. It is safe for concurrent use; every write is one
// SQL statement that enforces the version and tombstone rules itself.
//
// Every upsert writes the record as its Clean method returns it
// ([store.User.Clean]), the same way on every dialect, so that PostgreSQL
// (whose text refuses NUL bytes and invalid UTF-8, with SQLSTATE 22021)
// and SQLite store, and return, the same thing: in every text field (a
// membership's id, role and permissions included) each NUL byte and each
// invalid UTF-8 sequence becomes U+FFFD; public metadata is made valid
// UTF-8 in the same way, its JSON escapes (\u0000 among them) kept as they
// are. Valid text is written unchanged. Ids are not cleaned, which could
// make two ids one: a write with an id [store.CleanID] refuses fails with
// an error wrapping [store.ErrInvalid], and a read of such an id finds
// nothing (no record can have it).
//
// ListMembers and ListUserMemberships leave out the memberships of a
// deleted organization or a deactivated user, in the same SQL statement
// (see [Store.ListMembers]).
type Store struct {
	db      *sql.DB
	dialect Dialect
	prefix  string
	now     func() time.Time
	q       queries
	// migrations are the embedded migrations for the dialect and prefix.
	migrations []migration
	// nextCleanup is when, in Unix milliseconds, Revoke next deletes
	// expired revocations.
	nextCleanup atomic.Int64
}

var (
	_ store.Users       = (*Store)(nil)
	_ store.Orgs        = (*Store)(nil)
	_ store.Revocations = (*Store)(nil)
)

// New returns a Store on db. It does not touch the database: call
// [Store.Migrate] before use. It fails with [ErrInvalidConfig] for a nil
// db, an unknown dialect or an invalid table prefix.
func New(db *sql.DB, cfg Config) (*Store, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: nil *sql.DB", ErrInvalidConfig)
	}
	if cfg.Dialect != Postgres && cfg.Dialect != SQLite {
		return nil, fmt.Errorf("%w: unknown dialect %v", ErrInvalidConfig, cfg.Dialect)
	}
	prefix := cfg.TablePrefix
	if prefix == "" {
		prefix = DefaultTablePrefix
	}
	if err := validPrefix(prefix); err != nil {
		return nil, err
	}
	s := &Store{db: db, dialect: cfg.Dialect, prefix: prefix, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	s.q = buildQueries(cfg.Dialect, prefix)
	ms, err := loadMigrations(cfg.Dialect, prefix)
	if err != nil {
		return nil, err
	}
	s.migrations = ms
	return s, nil
}

// validPrefix checks a table prefix: [a-z_][a-z0-9_]*, at most
// maxPrefixLen bytes.
func validPrefix(p string) error {
	if len(p) > maxPrefixLen {
		return fmt.Errorf("%w: TablePrefix is longer than %d bytes", ErrInvalidConfig, maxPrefixLen)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'a' && c <= 'z', c == '_':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return fmt.Errorf("%w: TablePrefix %q: want lower-case letters, digits and underscores, not starting with a digit", ErrInvalidConfig, p)
		}
	}
	return nil
}

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.dialect }

// TablePrefix returns the prefix of the store's table names.
func (s *Store) TablePrefix() string { return s.prefix }

// Ping checks that the database answers and has every migration this
// package needs, for health checks. It fails with [ErrNotMigrated] when
// [Store.Migrate] has not run (or an older version of the package
// migrated), and with the database's error when it cannot be reached.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlstore: ping: %w", err)
	}
	var version int
	if err := s.db.QueryRowContext(ctx, s.q.maxVersion).Scan(&version); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("sqlstore: ping: %w", err)
		}
		return fmt.Errorf("%w: reading the version table: %w", ErrNotMigrated, err)
	}
	if latest := latestVersion(s.migrations); version < latest {
		return fmt.Errorf("%w: database at version %d, this package needs %d", ErrNotMigrated, version, latest)
	}
	return nil
}
