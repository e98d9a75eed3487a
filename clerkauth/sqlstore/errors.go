package sqlstore

import "errors"

var (
	// ErrInvalidConfig is returned by [New] for a nil database, an unknown
	// dialect or an invalid table prefix.
	ErrInvalidConfig = errors.New("sqlstore: invalid config")

	// ErrInvalid is returned for a write the store refuses before sending
	// it: a nil record, an id that is empty, not valid UTF-8 or holds a
	// NUL byte, a zero deletion or expiry time, or metadata that is not
	// valid JSON.
	ErrInvalid = errors.New("sqlstore: invalid argument")

	// ErrNotMigrated is returned by [Store.Ping] when the database lacks
	// migrations this version of the package needs: call [Store.Migrate].
	ErrNotMigrated = errors.New("sqlstore: database schema not migrated")

	// ErrMemoryDatabase is returned by [Store.Migrate] when the SQLite
	// database is in memory and private to each connection (modernc's
	// ":memory:"), while the pool may open several connections: each would
	// see an empty database of its own. Call db.SetMaxOpenConns(1), or use a
	// file.
	ErrMemoryDatabase = errors.New("sqlstore: in-memory SQLite database differs per connection")
)
