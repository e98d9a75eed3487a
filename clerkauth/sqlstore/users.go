package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
)

// GetUser implements [clerkauth.UserStore]: the user, deactivated or not,
// or [clerkauth.ErrNotFound].
func (s *Store) GetUser(ctx context.Context, id string) (*clerkauth.User, error) {
	var (
		u                     clerkauth.User
		meta                  sql.NullString
		created, upd, deleted sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx, s.q.getUser, id).Scan(
		&u.ID, &u.Email, &u.FirstName, &u.LastName, &u.Username, &u.ImageURL, &meta, &created, &upd, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clerkauth.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: get user %s: %w", id, err)
	}
	u.PublicMetadata = fromJSON(meta)
	u.CreatedAt, u.UpdatedAt, u.DeletedAt = fromMillis(created), fromMillis(upd), fromMillis(deleted)
	return &u, nil
}

// UpsertUser implements [clerkauth.UserStore] in one INSERT … ON CONFLICT
// DO UPDATE … WHERE statement; applied is whether it changed a row. It
// fails with [ErrInvalid] for a nil user, an empty id or invalid metadata
// JSON; u.DeletedAt is ignored. Versions compare at millisecond precision.
func (s *Store) UpsertUser(ctx context.Context, u *clerkauth.User) (bool, error) {
	if u == nil || u.ID == "" {
		return false, fmt.Errorf("%w: user without id", ErrInvalid)
	}
	meta, err := jsonArg(u.PublicMetadata)
	if err != nil {
		return false, err
	}
	return s.write(ctx, "upsert user "+u.ID, s.q.upsertUser,
		u.ID, u.Email, u.FirstName, u.LastName, u.Username, u.ImageURL, meta, millis(u.CreatedAt), millis(u.UpdatedAt))
}

// DeactivateUser implements [clerkauth.UserStore] in one statement. It
// fails with [ErrInvalid] for an empty id or a zero time.
func (s *Store) DeactivateUser(ctx context.Context, id string, at time.Time) (bool, error) {
	if err := validDeletion("user", id, at); err != nil {
		return false, err
	}
	return s.write(ctx, "deactivate user "+id, s.q.deactivateUser, id, millis(at))
}

// write runs one guarded statement and reports whether it changed a row.
func (s *Store) write(ctx context.Context, what, query string, args ...any) (bool, error) {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlstore: %s: rows affected: %w", what, err)
	}
	return n > 0, nil
}

func validDeletion(kind, id string, at time.Time) error {
	if id == "" {
		return fmt.Errorf("%w: empty %s id", ErrInvalid, kind)
	}
	if at.IsZero() {
		return fmt.Errorf("%w: zero deletion time", ErrInvalid)
	}
	return nil
}
