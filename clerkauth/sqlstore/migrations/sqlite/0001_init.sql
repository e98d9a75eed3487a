-- authkit sqlstore, SQLite, version 1: users, organizations, memberships
-- and session revocations. {prefix} is the table prefix. Times are integer
-- milliseconds since the Unix epoch (Clerk's unit); NULL is "unknown" (the
-- zero time.Time). Ids sort byte-wise (SQLite's BINARY collation), as Go
-- compares strings. Metadata and permissions are JSON text, kept as sent.

CREATE TABLE {prefix}users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL DEFAULT '',
    first_name      TEXT NOT NULL DEFAULT '',
    last_name       TEXT NOT NULL DEFAULT '',
    username        TEXT NOT NULL DEFAULT '',
    image_url       TEXT NOT NULL DEFAULT '',
    public_metadata TEXT,
    created_at      INTEGER,
    updated_at      INTEGER,
    deleted_at      INTEGER
);

CREATE TABLE {prefix}organizations (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL DEFAULT '',
    slug            TEXT NOT NULL DEFAULT '',
    image_url       TEXT NOT NULL DEFAULT '',
    public_metadata TEXT,
    created_at      INTEGER,
    updated_at      INTEGER,
    deleted_at      INTEGER
);

CREATE TABLE {prefix}memberships (
    org_id      TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    id          TEXT NOT NULL DEFAULT '',
    role        TEXT NOT NULL DEFAULT '',
    permissions TEXT,
    created_at  INTEGER,
    updated_at  INTEGER,
    deleted_at  INTEGER,
    PRIMARY KEY (org_id, user_id)
);

CREATE INDEX {prefix}memberships_user_idx ON {prefix}memberships (user_id, org_id);

CREATE TABLE {prefix}revocations (
    session_id TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);

CREATE INDEX {prefix}revocations_expires_idx ON {prefix}revocations (expires_at);
