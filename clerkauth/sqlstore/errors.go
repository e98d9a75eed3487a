package sqlstore

import "errors"

var (
	// ErrInvalidConfig is returned by [New] for a nil database, an unknown
	// dialect or an invalid table prefix.
	ErrInvalidConfig = errors.New("sqlstore: invalid config")

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
