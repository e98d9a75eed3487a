package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/internal/storecheck"
	"github.com/unioneyes/authkit/internal/idquote"
)

// GetUser implements [clerkauth.UserStore]: the user, deactivated or not,
// or [clerkauth.ErrNotFound].
func (s *Store) GetUser(ctx context.Context, id string) (*clerkauth.User, error) {
	if !validID(id) {
		return nil, notStorable(ctx, "get user", clerkauth.ErrNotFound)
	}
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
		return nil, fmt.Errorf("sqlstore: get user %s: %w", idquote.Quote(id), err)
	}
	u.PublicMetadata = fromJSON(meta)
	u.CreatedAt, u.UpdatedAt, u.DeletedAt = fromMillis(created), fromMillis(upd), fromMillis(deleted)
	return &u, nil
}

// UpsertUser implements [clerkauth.UserStore] in one INSERT … ON CONFLICT
// DO UPDATE … WHERE statement; applied is whether it changed a row. It
// fails with [ErrInvalid] for a nil user, an id that is empty or not valid
// UTF-8 without NUL, or invalid metadata JSON; u.DeletedAt is ignored.
// Versions compare at millisecond precision. Text is stored as the
// [Store] documentation says: NUL and invalid UTF-8 become U+FFFD.
func (s *Store) UpsertUser(ctx context.Context, u *clerkauth.User) (bool, error) {
	if u == nil {
		return false, fmt.Errorf("%w: nil user", ErrInvalid)
	}
	if err := checkID("user", u.ID); err != nil {
		return false, err
	}
	meta, err := jsonArg(u.PublicMetadata)
	if err != nil {
		return false, err
	}
	return s.write(ctx, "upsert user "+idquote.Quote(u.ID), s.q.upsertUser,
		u.ID, text(u.Email), text(u.FirstName), text(u.LastName), text(u.Username), text(u.ImageURL), meta,
		millis(u.CreatedAt), millis(u.UpdatedAt))
}

// DeactivateUser implements [clerkauth.UserStore] in one statement. It
// fails with [ErrInvalid] for an id that is empty or not valid UTF-8
// without NUL, or a zero time.
func (s *Store) DeactivateUser(ctx context.Context, id string, at time.Time) (bool, error) {
	if err := validDeletion("user", id, at); err != nil {
		return false, err
	}
	return s.write(ctx, "deactivate user "+idquote.Quote(id), s.q.deactivateUser, id, millis(at))
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

// notStorable is what a read of an id no record can have (see validID)
// returns without asking the database: the context's error if it has
// ended, as every method fails then, or notFound (ErrNotFound, or nil for
// a list or a revocation check).
func notStorable(ctx context.Context, what string, notFound error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	return notFound
}

func validDeletion(kind, id string, at time.Time) error {
	return storecheck.Deletion(ErrInvalid, kind, id, at)
}
