package store

import (
	"context"
	"time"
)

// Users keeps users. Implementations are safe for concurrent use and enforce the version
// rules atomically (no read-then-write race between two writers of one user):
//
//   - GetUser returns [ErrNotFound] for an unknown id; a deactivated user is returned
//     (with DeletedAt set), not hidden.
//   - UpsertUser writes the profile if the id is unknown or u.UpdatedAt is after the
//     stored UpdatedAt, and reports whether it wrote. An older or equal version is
//     ignored (applied false, no error). It never changes DeletedAt.
//   - DeactivateUser sets DeletedAt to at, or keeps the later of the stored and the new
//     time; an unknown id gets a tombstone (a record with only ID and DeletedAt), so an
//     upsert arriving later does not bring the user back. It reports whether DeletedAt
//     changed.
//
// With these rules any order and any duplication of the same writes ends in the same
// state. A context that has ended makes every method fail.
//
// Text and ids follow the rules of the package documentation ("Text and ids"): a user
// whose text or metadata holds NUL bytes or invalid UTF-8 is stored, never refused; a nil
// user, one [User.Clean] refuses, an id [CleanID] refuses and a zero deactivation time are
// refused with [ErrInvalid], and GetUser reports no user under such an id.
type Users interface {
	GetUser(ctx context.Context, id string) (*User, error)
	UpsertUser(ctx context.Context, u *User) (applied bool, err error)
	DeactivateUser(ctx context.Context, id string, at time.Time) (applied bool, err error)
}
