package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// GetUser implements [store.Users]: the user, deactivated or not, or
// [store.ErrNotFound].
func (s *Store) GetUser(ctx context.Context, id string) (*store.User, error) {
	if store.CleanID("user", id) != nil {
		return nil, notStorable(ctx, "get user", store.ErrNotFound)
	}
	var (
		u                     store.User
		meta                  sql.NullString
		created, upd, deleted sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx, s.q.getUser, id).Scan(
		&u.ID, &u.Email, &u.FirstName, &u.LastName, &u.Username, &u.ImageURL, &meta, &created, &upd, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: get user %s: %w", store.QuoteID(id), err)
	}
	u.PublicMetadata = fromJSON(meta)
	u.CreatedAt, u.UpdatedAt, u.DeletedAt = fromMillis(created), fromMillis(upd), fromMillis(deleted)
	return &u, nil
}

// UpsertUser implements [store.Users] in one INSERT … ON CONFLICT DO
// UPDATE … WHERE statement; applied is whether it changed a row. It writes
// u as [store.User.Clean] returns it (NUL and invalid UTF-8 in text become
// U+FFFD), and fails as Clean does (an error wrapping [store.ErrInvalid]),
// or for a nil user; u.DeletedAt is ignored. Versions compare at
// millisecond precision.
func (s *Store) UpsertUser(ctx context.Context, u *store.User) (bool, error) {
	if u == nil {
		return false, refused("upsert user", fmt.Errorf("%w: nil user", store.ErrInvalid))
	}
	c, err := u.Clean()
	if err != nil {
		return false, refused("upsert user", err)
	}
	return s.write(ctx, "upsert user "+store.QuoteID(c.ID), s.q.upsertUser,
		c.ID, c.Email, c.FirstName, c.LastName, c.Username, c.ImageURL, jsonArg(c.PublicMetadata),
		millis(c.CreatedAt), millis(c.UpdatedAt))
}

// DeactivateUser implements [store.Users] in one statement. It fails with
// an error wrapping [store.ErrInvalid] for an id [store.CleanID] refuses or
// a zero time.
func (s *Store) DeactivateUser(ctx context.Context, id string, at time.Time) (bool, error) {
	if err := deletion("deactivate user", at, "user", id); err != nil {
		return false, err
	}
	return s.write(ctx, "deactivate user "+store.QuoteID(id), s.q.deactivateUser, id, millis(at))
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

// notStorable is what a read of an id no record can have (one
// store.CleanID refuses) returns without asking the database: the
// context's error if it has ended, as every method fails then, or notFound
// (ErrNotFound, or nil for a list or a revocation check).
func notStorable(ctx context.Context, what string, notFound error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	return notFound
}

// refused returns err, a refusal wrapping store.ErrInvalid, prefixed with
// the package name and the operation (op).
func refused(op string, err error) error { return fmt.Errorf("sqlstore: %s: %w", op, err) }

// deletion checks the arguments of a deletion (or a revocation): ids, in
// (kind, id) pairs, that store.CleanID accepts, and a time that is not
// zero.
func deletion(op string, at time.Time, kindIDs ...string) error {
	for i := 0; i+1 < len(kindIDs); i += 2 {
		if err := store.CleanID(kindIDs[i], kindIDs[i+1]); err != nil {
			return refused(op, err)
		}
	}
	if at.IsZero() {
		return refused(op, fmt.Errorf("%w: zero time", store.ErrInvalid))
	}
	return nil
}
