package sqlstore

import (
	"strconv"
	"strings"
)

// queries are the statements of one store, built once by New for its
// dialect and table prefix.
type queries struct {
	getUser, upsertUser, deactivateUser                  string
	getOrg, upsertOrg, deleteOrg                         string
	getMembership, upsertMembership, deleteMembership    string
	listMembers, listUserMemberships                     string
	revoke, revoked, deleteExpired                       string
	maxVersion, createVersionTable, versions, addVersion string
	versionTable                                         string // the version table's name
}

// The version guard of every upsert, in the DO UPDATE's WHERE clause: the
// row changes only if the new updated_at is after the stored one, NULL (the
// zero time) being before any other and never after anything.
const newerGuard = `excluded.updated_at > t.updated_at OR (t.updated_at IS NULL AND excluded.updated_at IS NOT NULL)`

// The guard of every deletion: the later deleted_at wins.
const laterDeletion = `t.deleted_at IS NULL OR excluded.deleted_at > t.deleted_at`

// activeMembership is Membership.Active in SQL, on the memberships table
// aliased m: never deleted, or updated after the latest deletion (a NULL
// updated_at is never after).
const activeMembership = `(m.deleted_at IS NULL OR m.updated_at > m.deleted_at)`

const membershipColumns = `org_id, user_id, id, role, permissions, created_at, updated_at, deleted_at`

// qualifiedMembershipColumns are membershipColumns of the table aliased m.
const qualifiedMembershipColumns = `m.org_id, m.user_id, m.id, m.role, m.permissions, m.created_at, m.updated_at, m.deleted_at`

// listedMembership is the condition of the lists on the memberships table
// aliased m: the membership is active, and neither its organization nor
// its user has a deleted record (a missing record is no deletion). Each
// NOT EXISTS is a primary key lookup.
func listedMembership(orgs, users string) string {
	return activeMembership + `
  AND NOT EXISTS (SELECT 1 FROM ` + orgs + ` o WHERE o.id = m.org_id AND o.deleted_at IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM ` + users + ` u WHERE u.id = m.user_id AND u.deleted_at IS NOT NULL)`
}

func buildQueries(d Dialect, p string) queries {
	users, orgs, members, revocations, versions := p+"users", p+"organizations", p+"memberships", p+"revocations", p+"schema_migrations"
	q := queries{
		getUser: `SELECT id, email, first_name, last_name, username, image_url, public_metadata, created_at, updated_at, deleted_at
FROM ` + users + ` WHERE id = ?`,
		// One statement: insert, or update only when newer. deleted_at is
		// neither set nor cleared.
		upsertUser: `INSERT INTO ` + users + ` AS t (id, email, first_name, last_name, username, image_url, public_metadata, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET email = excluded.email, first_name = excluded.first_name, last_name = excluded.last_name,
  username = excluded.username, image_url = excluded.image_url, public_metadata = excluded.public_metadata,
  created_at = excluded.created_at, updated_at = excluded.updated_at
WHERE ` + newerGuard,
		// One statement: a tombstone for an unknown id, or the later
		// deleted_at.
		deactivateUser: `INSERT INTO ` + users + ` AS t (id, deleted_at) VALUES (?, ?)
ON CONFLICT (id) DO UPDATE SET deleted_at = excluded.deleted_at
WHERE ` + laterDeletion,

		getOrg: `SELECT id, name, slug, image_url, public_metadata, created_at, updated_at, deleted_at
FROM ` + orgs + ` WHERE id = ?`,
		upsertOrg: `INSERT INTO ` + orgs + ` AS t (id, name, slug, image_url, public_metadata, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, slug = excluded.slug, image_url = excluded.image_url,
  public_metadata = excluded.public_metadata, created_at = excluded.created_at, updated_at = excluded.updated_at
WHERE ` + newerGuard,
		deleteOrg: `INSERT INTO ` + orgs + ` AS t (id, deleted_at) VALUES (?, ?)
ON CONFLICT (id) DO UPDATE SET deleted_at = excluded.deleted_at
WHERE ` + laterDeletion,

		getMembership: `SELECT ` + membershipColumns + ` FROM ` + members + ` WHERE org_id = ? AND user_id = ?`,
		upsertMembership: `INSERT INTO ` + members + ` AS t (org_id, user_id, id, role, permissions, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (org_id, user_id) DO UPDATE SET id = excluded.id, role = excluded.role, permissions = excluded.permissions,
  created_at = excluded.created_at, updated_at = excluded.updated_at
WHERE ` + newerGuard,
		deleteMembership: `INSERT INTO ` + members + ` AS t (org_id, user_id, deleted_at) VALUES (?, ?, ?)
ON CONFLICT (org_id, user_id) DO UPDATE SET deleted_at = excluded.deleted_at
WHERE ` + laterDeletion,
		listMembers: `SELECT ` + qualifiedMembershipColumns + ` FROM ` + members + ` m
WHERE m.org_id = ? AND ` + listedMembership(orgs, users) + `
ORDER BY m.user_id`,
		listUserMemberships: `SELECT ` + qualifiedMembershipColumns + ` FROM ` + members + ` m
WHERE m.user_id = ? AND ` + listedMembership(orgs, users) + `
ORDER BY m.org_id`,

		// The later expiry wins.
		revoke: `INSERT INTO ` + revocations + ` AS t (session_id, expires_at) VALUES (?, ?)
ON CONFLICT (session_id) DO UPDATE SET expires_at = excluded.expires_at
WHERE excluded.expires_at > t.expires_at`,
		revoked:       `SELECT 1 FROM ` + revocations + ` WHERE session_id = ? AND expires_at > ?`,
		deleteExpired: `DELETE FROM ` + revocations + ` WHERE expires_at <= ?`,

		maxVersion:         `SELECT COALESCE(MAX(version), 0) FROM ` + versions,
		createVersionTable: `CREATE TABLE IF NOT EXISTS ` + versions + ` (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`,
		versions:           `SELECT version FROM ` + versions,
		addVersion:         `INSERT INTO ` + versions + ` (version, applied_at) VALUES (?, ?)`,
		versionTable:       versions,
	}
	if d == Postgres {
		for _, s := range []*string{
			&q.getUser, &q.upsertUser, &q.deactivateUser, &q.getOrg, &q.upsertOrg, &q.deleteOrg,
			&q.getMembership, &q.upsertMembership, &q.deleteMembership, &q.listMembers, &q.listUserMemberships,
			&q.revoke, &q.revoked, &q.deleteExpired, &q.addVersion,
		} {
			*s = numberPlaceholders(*s)
		}
	}
	return q
}

// numberPlaceholders turns the ? placeholders of a statement (which has no
// ? anywhere else) into PostgreSQL's $1, $2, ….
func numberPlaceholders(s string) string {
	var b strings.Builder
	n := 0
	for _, part := range strings.SplitAfter(s, "?") {
		if strings.HasSuffix(part, "?") {
			n++
			b.WriteString(part[:len(part)-1])
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteString(part)
	}
	return b.String()
}
