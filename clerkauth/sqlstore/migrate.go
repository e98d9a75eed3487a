package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// The migrations, one directory per dialect, named NNNN_description.sql.
// Each is a list of statements ending with ";" at the end of a line; the
// string {prefix} stands for the table prefix.
//
//go:embed migrations/*/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	stmts   []string
}

// loadMigrations returns the migrations of a dialect, for a table prefix,
// in version order.
func loadMigrations(d Dialect, prefix string) ([]migration, error) {
	dir := path.Join("migrations", d.String())
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: reading embedded migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("sqlstore: embedded migration %s is not named NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("sqlstore: reading embedded migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: v, name: e.Name(), stmts: splitStatements(strings.ReplaceAll(string(b), "{prefix}", prefix))})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("sqlstore: two embedded migrations have version %d", out[i].version)
		}
	}
	return out, nil
}

// latestVersion is the version of the newest migration.
func latestVersion(ms []migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// splitStatements splits a migration into statements: each ends with ";"
// at the end of a line. Lines starting with "--" are comments.
func splitStatements(src string) []string {
	var (
		out []string
		cur strings.Builder
	)
	for line := range strings.Lines(src) {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		cur.WriteString(line)
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// Migrate creates or updates the store's tables: it applies, in one
// transaction, the embedded migrations the database's version table
// ("<prefix>schema_migrations") does not list, and records them there. It
// is idempotent, and safe when several processes migrate at once:
//
//   - on PostgreSQL the transaction first takes an advisory lock derived
//     from the table prefix (pg_advisory_xact_lock), so migrators run one
//     after the other and the later ones find nothing to do; DDL is
//     transactional, so a failed migration leaves nothing behind;
//   - on SQLite the transaction is BEGIN IMMEDIATE, which takes the
//     database's write lock before reading the version table. Concurrent
//     migrators wait for it only as long as the connection's busy timeout
//     allows: set one (modernc.org/sqlite: "?_pragma=busy_timeout(5000)").
//
// A database migrated by a newer version of this package (a version this
// one does not know) is left as it is. On SQLite, Migrate also fails with
// [ErrMemoryDatabase] for an in-memory database that each pooled
// connection would see empty.
func (s *Store) Migrate(ctx context.Context) error {
	if s.dialect == SQLite {
		if err := s.migrateSQLite(ctx); err != nil {
			return err
		}
		return s.checkMemoryDatabase(ctx)
	}
	return s.migratePostgres(ctx)
}

// execer is what a migration runs on: a *sql.Tx or a *sql.Conn.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) migratePostgres(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, advisoryKey(s.prefix)); err != nil {
		return fmt.Errorf("sqlstore: migrate: taking the advisory lock: %w", err)
	}
	if err := s.applyMigrations(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: migrate: commit: %w", err)
	}
	return nil
}

// advisoryKey is the PostgreSQL advisory lock key of a table prefix.
func advisoryKey(prefix string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("github.com/unioneyes/authkit/clerkauth/sqlstore:" + prefix))
	return int64(h.Sum64())
}

func (s *Store) migrateSQLite(ctx context.Context) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer conn.Close()
	// database/sql's BeginTx would start a deferred transaction, which
	// takes the write lock only at its first write, after reading the
	// version table: two migrators could both read "not applied".
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("sqlstore: migrate: BEGIN IMMEDIATE: %w", err)
	}
	defer func() {
		if err == nil {
			if _, err = conn.ExecContext(ctx, "COMMIT"); err == nil {
				return
			}
			err = fmt.Errorf("sqlstore: migrate: commit: %w", err)
		}
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
			// Never hand a connection stuck in a transaction back to the
			// pool.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return s.applyMigrations(ctx, conn)
}

// applyMigrations runs, on a connection in a transaction, the migrations
// the version table does not list.
func (s *Store) applyMigrations(ctx context.Context, ex execer) error {
	if _, err := ex.ExecContext(ctx, s.q.createVersionTable); err != nil {
		return fmt.Errorf("sqlstore: migrate: creating the version table: %w", err)
	}
	applied, err := appliedVersions(ctx, ex, s.q.versions)
	if err != nil {
		return err
	}
	for _, m := range s.migrations {
		if applied[m.version] {
			continue
		}
		for i, stmt := range m.stmts {
			if _, err := ex.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("sqlstore: migrate: %s, statement %d: %w", m.name, i+1, err)
			}
		}
		if _, err := ex.ExecContext(ctx, s.q.addVersion, m.version, s.now().UnixMilli()); err != nil {
			return fmt.Errorf("sqlstore: migrate: recording version %d: %w", m.version, err)
		}
	}
	return nil
}

func appliedVersions(ctx context.Context, ex execer, query string) (map[int]bool, error) {
	rows, err := ex.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrate: reading the version table: %w", err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("sqlstore: migrate: reading the version table: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: migrate: reading the version table: %w", err)
	}
	return applied, nil
}

// checkMemoryDatabase fails with ErrMemoryDatabase when the main SQLite
// database is in memory and two connections of the pool do not both see
// the migrated tables (each ":memory:" connection has a database of its
// own). A pool limited to one connection, or a shared-cache memory
// database, passes.
func (s *Store) checkMemoryDatabase(ctx context.Context) error {
	if s.db.Stats().MaxOpenConnections == 1 {
		return nil
	}
	a, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer a.Close()
	var file string
	if err := a.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		return fmt.Errorf("sqlstore: migrate: reading the database list: %w", err)
	}
	if file != "" {
		return nil
	}
	b, err := s.db.Conn(ctx) // another connection, as a is held
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer b.Close()
	for _, c := range []*sql.Conn{a, b} {
		var n int
		err := c.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, s.q.versionTable).Scan(&n)
		if err != nil {
			return fmt.Errorf("sqlstore: migrate: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("%w: call db.SetMaxOpenConns(1) or use a file", ErrMemoryDatabase)
		}
	}
	return nil
}
