// Package sqlstore keeps Clerk users, organizations, memberships and
// session revocations in PostgreSQL or SQLite through database/sql. Its
// [Store] implements [store.Users], [store.Orgs] and [store.Revocations]
// and passes the conformance kit
// [github.com/unioneyes/authkit/clerkauth/store/storetest.Run] on both
// databases.
//
// The package imports no driver: the program does, and hands New its
// *sql.DB. The tests use github.com/jackc/pgx/v5/stdlib and the pure-Go
// modernc.org/sqlite.
//
// # A complete flow
//
//	import (
//		_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
//	)
//
//	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
//	if err != nil {
//		log.Fatal(err)
//	}
//	store, err := sqlstore.New(db, sqlstore.Config{Dialect: sqlstore.Postgres})
//	if err != nil {
//		log.Fatal(err) // nil db, no dialect, bad table prefix
//	}
//	if err := store.Migrate(ctx); err != nil { // at start-up, on every replica
//		log.Fatal(err)
//	}
//
//	hooks, err := webhook.NewHandler(webhook.HandlerConfig{Verifier: verifier, Dedupe: redisStore})
//	if err != nil {
//		log.Fatal(err)
//	}
//	// verifier: a clerkauth.Verifier with Config.Users = store; its Users() is the
//	// cache the sync must write through, so a user.deleted takes effect at once.
//	if err := hooks.Sync(webhook.SyncConfig{Users: verifier.Users(), Orgs: store, Revocations: store}); err != nil {
//		log.Fatal(err)
//	}
//	mux.Handle("/webhooks/clerk", hooks)
//	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
//		if err := store.Ping(r.Context()); err != nil { // unreachable or not migrated
//			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
//		}
//	})
//
// With SQLite, open the file with a busy timeout (and WAL, so that readers
// do not wait for writers), and use the [SQLite] dialect:
//
//	db, err := sql.Open("sqlite", "file:authkit.db?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
//
// modernc.org/sqlite's ":memory:" is a database per connection: use it
// only with db.SetMaxOpenConns(1) ([Store.Migrate] fails with
// [ErrMemoryDatabase] otherwise).
//
// Every method passes its context to database/sql, and pgx honours it when
// connecting too: the verifier's bound on the reads a request waits for
// ([github.com/unioneyes/authkit/clerkauth.StoreReadTimeout], with a
// breaker that stops asking a failing database) needs no driver option.
// Other callers (the webhook sync, health checks) bound their own contexts;
// with pgx, connect_timeout in DATABASE_URL bounds a connection attempt
// whatever the context.
//
// # Schema and migrations
//
// Five tables, named with [Config.TablePrefix] ("authkit_" by default):
// users, organizations, memberships (primary key (org_id, user_id), and an
// index on (user_id, org_id)), revocations (session_id, expires_at, with
// an index on expires_at) and schema_migrations, the version table. Times
// are integer milliseconds since the Unix epoch, Clerk's unit, in both
// dialects, NULL standing for the zero time. Public metadata and
// permissions are JSON as Clerk sent it (PostgreSQL json, not jsonb, which
// would refuse "\u0000"; SQLite text). On PostgreSQL the id columns use
// COLLATE "C", so that lists are ordered byte-wise as the contract (and Go)
// orders strings, whatever the database's locale.
//
// The migrations are embedded, numbered and recorded in the version table.
// [Store.Migrate] applies the missing ones in one transaction, after
// taking pg_advisory_xact_lock on PostgreSQL or with BEGIN IMMEDIATE on
// SQLite, so replicas starting together can all call it.
//
// # One statement per write
//
// The version and tombstone rules are enforced by the database, in the
// single statement of each write; there is no read-then-write, so
// concurrent writers of one record (two replicas handling two webhooks)
// cannot undo each other:
//
//	INSERT INTO authkit_users AS t (id, …, updated_at) VALUES (…)
//	ON CONFLICT (id) DO UPDATE SET … -- never deleted_at
//	WHERE excluded.updated_at > t.updated_at
//	   OR (t.updated_at IS NULL AND excluded.updated_at IS NOT NULL)
//
//	INSERT INTO authkit_users AS t (id, deleted_at) VALUES (…) -- a tombstone if unknown
//	ON CONFLICT (id) DO UPDATE SET deleted_at = excluded.deleted_at
//	WHERE t.deleted_at IS NULL OR excluded.deleted_at > t.deleted_at
//
// The number of rows the statement changed is the "applied" result: an
// update the WHERE clause refuses changes none. Both dialects run the same
// statements, placeholders aside (? for SQLite, $n for PostgreSQL).
// Versions compare at millisecond precision.
//
// Revocations keep the later expiry in the same way; expired rows are
// ignored by [Store.Revoked], deleted by a [Store.Revoke] at most once a
// minute, or by [Store.DeleteExpiredRevocations].
//
// The membership lists leave out, in the same statement, the memberships
// of a deleted organization or a deactivated user (Clerk may not send
// their own deletions, or send a creation late); a missing organization or
// user record hides nothing:
//
//	SELECT … FROM authkit_memberships m
//	WHERE m.org_id = ? AND (m.deleted_at IS NULL OR m.updated_at > m.deleted_at)
//	  AND NOT EXISTS (SELECT 1 FROM authkit_organizations o WHERE o.id = m.org_id AND o.deleted_at IS NOT NULL)
//	  AND NOT EXISTS (SELECT 1 FROM authkit_users u WHERE u.id = m.user_id AND u.deleted_at IS NOT NULL)
//	ORDER BY m.user_id
//
// # Text
//
// PostgreSQL's text refuses NUL bytes and invalid UTF-8 (SQLSTATE 22021);
// SQLite keeps them. Clerk sends what users typed, and a JSON "\u0000"
// decodes to a NUL, so the store writes each record as its Clean method
// returns it ([store.User.Clean]), on both dialects alike: each NUL and
// each invalid UTF-8 sequence in a text field becomes U+FFFD, and metadata
// is made valid UTF-8 (its JSON escapes, \u0000 included, are kept: the
// json type accepts them). A user named "a\u0000b" is stored, and
// returned, as "a\uFFFDb" on both databases, instead of failing the
// webhook (which Clerk would retry for a day). Ids are never rewritten:
// one [store.CleanID] refuses (empty, not valid UTF-8, holding a NUL) is
// refused with an error wrapping [store.ErrInvalid].
package sqlstore
