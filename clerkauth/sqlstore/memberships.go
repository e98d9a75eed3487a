package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

func scanMembership(r rowScanner) (store.Membership, error) {
	var (
		m                     store.Membership
		perms                 sql.NullString
		created, upd, deleted sql.NullInt64
	)
	if err := r.Scan(&m.OrgID, &m.UserID, &m.ID, &m.Role, &perms, &created, &upd, &deleted); err != nil {
		return m, err
	}
	p, err := fromPermissions(perms)
	if err != nil {
		return m, err
	}
	m.Permissions = p
	m.CreatedAt, m.UpdatedAt, m.DeletedAt = fromMillis(created), fromMillis(upd), fromMillis(deleted)
	return m, nil
}

// GetMembership implements [store.Orgs]: the membership's record, active
// or not, listed or not (its organization deleted, its user deactivated),
// or [store.ErrNotFound].
func (s *Store) GetMembership(ctx context.Context, orgID, userID string) (*store.Membership, error) {
	if store.CleanID("organization", orgID) != nil || store.CleanID("user", userID) != nil {
		return nil, notStorable(ctx, "get membership", store.ErrNotFound)
	}
	m, err := scanMembership(s.db.QueryRowContext(ctx, s.q.getMembership, orgID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: get membership %s/%s: %w", store.QuoteID(orgID), store.QuoteID(userID), err)
	}
	return &m, nil
}

// UpsertMembership implements [store.Orgs] in one statement, as
// [Store.UpsertUser] does: it writes m as [store.Membership.Clean] returns
// it, and fails as Clean does, or for a nil membership.
func (s *Store) UpsertMembership(ctx context.Context, m *store.Membership) (bool, error) {
	if m == nil {
		return false, refused("upsert membership", fmt.Errorf("%w: nil membership", store.ErrInvalid))
	}
	c, err := m.Clean()
	if err != nil {
		return false, refused("upsert membership", err)
	}
	perms, err := permissionsArg(c.Permissions)
	if err != nil {
		return false, err
	}
	return s.write(ctx, "upsert membership "+store.QuoteID(c.OrgID)+"/"+store.QuoteID(c.UserID), s.q.upsertMembership,
		c.OrgID, c.UserID, c.ID, c.Role, perms, millis(c.CreatedAt), millis(c.UpdatedAt))
}

// DeleteMembership implements [store.Orgs] in one statement. It fails with
// an error wrapping [store.ErrInvalid] for an id [store.CleanID] refuses or
// a zero time.
func (s *Store) DeleteMembership(ctx context.Context, orgID, userID string, at time.Time) (bool, error) {
	if err := deletion("delete membership", at, "organization", orgID, "user", userID); err != nil {
		return false, err
	}
	return s.write(ctx, "delete membership "+store.QuoteID(orgID)+"/"+store.QuoteID(userID), s.q.deleteMembership, orgID, userID, millis(at))
}

// ListMembers implements [store.Orgs]: the active memberships of
// orgID, ordered byte-wise by UserID, without those of a user the store
// holds as deactivated, and none when it holds orgID as deleted. One
// statement checks both, with NOT EXISTS on the users and organizations
// tables; [Store.GetMembership] still returns each record.
func (s *Store) ListMembers(ctx context.Context, orgID string) ([]store.Membership, error) {
	return s.list(ctx, "list members of "+store.QuoteID(orgID), s.q.listMembers, "organization", orgID)
}

// ListUserMemberships implements [store.Orgs]: the active
// memberships of userID, ordered byte-wise by OrgID, without those of a
// deleted organization, and none when userID is deactivated (as for
// [Store.ListMembers]).
func (s *Store) ListUserMemberships(ctx context.Context, userID string) ([]store.Membership, error) {
	return s.list(ctx, "list memberships of "+store.QuoteID(userID), s.q.listUserMemberships, "user", userID)
}

func (s *Store) list(ctx context.Context, what, query, kind, id string) ([]store.Membership, error) {
	if store.CleanID(kind, id) != nil {
		return nil, notStorable(ctx, what, nil)
	}
	rows, err := s.db.QueryContext(ctx, query, id)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	defer rows.Close()
	var out []store.Membership
	for rows.Next() {
		m, err := scanMembership(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: %s: %w", what, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	return out, nil
}
