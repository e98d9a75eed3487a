package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/internal/idquote"
)

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

func scanMembership(r rowScanner) (clerkauth.Membership, error) {
	var (
		m                     clerkauth.Membership
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

// GetMembership implements [clerkauth.OrgStore]: the membership's record,
// active or not, listed or not (its organization deleted, its user
// deactivated), or [clerkauth.ErrNotFound].
func (s *Store) GetMembership(ctx context.Context, orgID, userID string) (*clerkauth.Membership, error) {
	if !validID(orgID) || !validID(userID) {
		return nil, notStorable(ctx, "get membership", clerkauth.ErrNotFound)
	}
	m, err := scanMembership(s.db.QueryRowContext(ctx, s.q.getMembership, orgID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clerkauth.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: get membership %s/%s: %w", idquote.Quote(orgID), idquote.Quote(userID), err)
	}
	return &m, nil
}

// UpsertMembership implements [clerkauth.OrgStore] in one statement, as
// [Store.UpsertUser] does. It fails with [ErrInvalid] for a nil membership
// or an OrgID or UserID that is empty or not valid UTF-8 without NUL.
func (s *Store) UpsertMembership(ctx context.Context, m *clerkauth.Membership) (bool, error) {
	if m == nil {
		return false, fmt.Errorf("%w: nil membership", ErrInvalid)
	}
	if err := checkID("organization", m.OrgID); err != nil {
		return false, err
	}
	if err := checkID("user", m.UserID); err != nil {
		return false, err
	}
	perms, err := permissionsArg(m.Permissions)
	if err != nil {
		return false, err
	}
	return s.write(ctx, "upsert membership "+idquote.Quote(m.OrgID)+"/"+idquote.Quote(m.UserID), s.q.upsertMembership,
		m.OrgID, m.UserID, text(m.ID), text(m.Role), perms, millis(m.CreatedAt), millis(m.UpdatedAt))
}

// DeleteMembership implements [clerkauth.OrgStore] in one statement. It
// fails with [ErrInvalid] for an id that is empty or not valid UTF-8
// without NUL, or a zero time.
func (s *Store) DeleteMembership(ctx context.Context, orgID, userID string, at time.Time) (bool, error) {
	if err := validDeletion("organization", orgID, at); err != nil {
		return false, err
	}
	if err := validDeletion("user", userID, at); err != nil {
		return false, err
	}
	return s.write(ctx, "delete membership "+idquote.Quote(orgID)+"/"+idquote.Quote(userID), s.q.deleteMembership, orgID, userID, millis(at))
}

// ListMembers implements [clerkauth.OrgStore]: the active memberships of
// orgID, ordered byte-wise by UserID, without those of a user the store
// holds as deactivated, and none when it holds orgID as deleted. One
// statement checks both, with NOT EXISTS on the users and organizations
// tables; [Store.GetMembership] still returns each record.
func (s *Store) ListMembers(ctx context.Context, orgID string) ([]clerkauth.Membership, error) {
	return s.list(ctx, "list members of "+idquote.Quote(orgID), s.q.listMembers, orgID)
}

// ListUserMemberships implements [clerkauth.OrgStore]: the active
// memberships of userID, ordered byte-wise by OrgID, without those of a
// deleted organization, and none when userID is deactivated (as for
// [Store.ListMembers]).
func (s *Store) ListUserMemberships(ctx context.Context, userID string) ([]clerkauth.Membership, error) {
	return s.list(ctx, "list memberships of "+idquote.Quote(userID), s.q.listUserMemberships, userID)
}

func (s *Store) list(ctx context.Context, what, query, id string) ([]clerkauth.Membership, error) {
	if !validID(id) {
		return nil, notStorable(ctx, what, nil)
	}
	rows, err := s.db.QueryContext(ctx, query, id)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	defer rows.Close()
	var out []clerkauth.Membership
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
