-- authkit sqlstore, PostgreSQL, version 1: users, organizations,
-- memberships and session revocations. {prefix} is the table prefix.
-- Times are integer milliseconds since the Unix epoch (Clerk's unit); NULL
-- is "unknown" (the zero time.Time). Ids sort byte-wise (COLLATE "C"), as
-- Go compares strings. Metadata and permissions are json, kept as sent.

CREATE TABLE {prefix}users (
    id              TEXT COLLATE "C" PRIMARY KEY,
    email           TEXT NOT NULL DEFAULT '',
    first_name      TEXT NOT NULL DEFAULT '',
    last_name       TEXT NOT NULL DEFAULT '',
    username        TEXT NOT NULL DEFAULT '',
    image_url       TEXT NOT NULL DEFAULT '',
    public_metadata JSON,
    created_at      BIGINT,
    updated_at      BIGINT,
    deleted_at      BIGINT
);

CREATE TABLE {prefix}organizations (
    id              TEXT COLLATE "C" PRIMARY KEY,
    name            TEXT NOT NULL DEFAULT '',
    slug            TEXT NOT NULL DEFAULT '',
    image_url       TEXT NOT NULL DEFAULT '',
    public_metadata JSON,
    created_at      BIGINT,
    updated_at      BIGINT,
    deleted_at      BIGINT
);

CREATE TABLE {prefix}memberships (
    org_id      TEXT COLLATE "C" NOT NULL,
    user_id     TEXT COLLATE "C" NOT NULL,
    id          TEXT NOT NULL DEFAULT '',
    role        TEXT NOT NULL DEFAULT '',
    permissions JSON,
    created_at  BIGINT,
    updated_at  BIGINT,
    deleted_at  BIGINT,
    PRIMARY KEY (org_id, user_id)
);

CREATE INDEX {prefix}memberships_user_idx ON {prefix}memberships (user_id, org_id);

CREATE TABLE {prefix}revocations (
    session_id TEXT COLLATE "C" PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

CREATE INDEX {prefix}revocations_expires_idx ON {prefix}revocations (expires_at);
