package clerkauth

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ErrNotFound is what a store returns for a record it does not have. Any other error is
// a failure of the store itself (the database is down, the context ended), never "not
// found": callers answer the two differently (create the user; answer 503).
var ErrNotFound = errors.New("clerkauth: not found")

// User is the local copy of a Clerk user, kept by webhooks (and created on the first
// authenticated request when a UserStore is configured).
type User struct {
	// ID is the Clerk user id ("user_…").
	ID string
	// Email is the primary email address.
	Email string
	// FirstName, LastName, Username and ImageURL are the profile.
	FirstName, LastName, Username, ImageURL string
	// PublicMetadata is the user's public metadata as JSON (nil when unknown).
	PublicMetadata json.RawMessage
	// CreatedAt is Clerk's created_at (zero when unknown).
	CreatedAt time.Time
	// UpdatedAt is Clerk's updated_at: the version of the profile. An upsert applies only
	// when it is newer than the stored one; a user provisioned from a token has none
	// (zero), so the first webhook always wins over it.
	UpdatedAt time.Time
	// DeletedAt is set when the user was deactivated (user.deleted): the event's time. It
	// is final: Clerk never reuses a user id, and no later write clears it.
	DeletedAt time.Time
}

// Active reports whether the user has not been deactivated.
func (u *User) Active() bool { return u.DeletedAt.IsZero() }

// Organization is the local copy of a Clerk organization.
type Organization struct {
	// ID is the Clerk organization id ("org_…").
	ID string
	// Name, Slug and ImageURL describe it.
	Name, Slug, ImageURL string
	// PublicMetadata is its public metadata as JSON (nil when unknown).
	PublicMetadata json.RawMessage
	// CreatedAt and UpdatedAt are Clerk's; UpdatedAt versions the record as for User.
	CreatedAt, UpdatedAt time.Time
	// DeletedAt is set by organization.deleted; final, as for User.
	DeletedAt time.Time
}

// Active reports whether the organization has not been deleted.
func (o *Organization) Active() bool { return o.DeletedAt.IsZero() }

// Membership is a user's membership of an organization, identified by the pair
// (OrgID, UserID). It may exist before its organization's record does (webhooks arrive in
// any order).
type Membership struct {
	// ID is Clerk's membership id ("orgmem_…"), informative.
	ID string
	// OrgID and UserID identify the membership.
	OrgID, UserID string
	// Role is the role in "org:" form ("org:admin").
	Role string
	// Permissions are the role's permissions ("org:<feature>:<permission>").
	Permissions []string
	// CreatedAt and UpdatedAt are Clerk's; UpdatedAt versions the record.
	CreatedAt, UpdatedAt time.Time
	// DeletedAt is the time of the latest organizationMembership.deleted. Unlike a user's
	// it is not final: a user removed and invited again has a newer membership.
	DeletedAt time.Time
}

// Active reports whether the membership exists: it was never deleted, or written again
// after its latest deletion (UpdatedAt after DeletedAt; at the same instant the deletion
// wins).
func (m *Membership) Active() bool { return m.DeletedAt.IsZero() || m.UpdatedAt.After(m.DeletedAt) }

// UserStore keeps users. Implementations are safe for concurrent use and enforce the
// version rules atomically (no read-then-write race between two writers of one user):
//
//   - GetUser returns ErrNotFound for an unknown id; a deactivated user is returned
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
// Text, in this interface and in [OrgStore]: Clerk sends what its users typed, and a
// JSON "\u0000" decodes to a NUL byte, which some databases refuse in text (PostgreSQL,
// with invalid UTF-8 too). A store must accept a record whatever its text fields and
// metadata hold, never failing a write for it (the webhook would fail and be retried for
// a day, the event never applied): it keeps the text as given, or normalises it,
// replacing each NUL byte and each invalid UTF-8 sequence by U+FFFD (metadata: each
// invalid sequence; its JSON escapes stay as they are). What it returns is valid UTF-8.
// Ids are different: a store may refuse, with an error of its own, an id that is not
// valid UTF-8 or holds a NUL (no Clerk id does), and then reports no record under it
// (ErrNotFound, an empty list, not revoked).
type UserStore interface {
	GetUser(ctx context.Context, id string) (*User, error)
	UpsertUser(ctx context.Context, u *User) (applied bool, err error)
	DeactivateUser(ctx context.Context, id string, at time.Time) (applied bool, err error)
}

// OrgStore keeps organizations and memberships, with the same rules as UserStore:
// versioned upserts (newer UpdatedAt wins, reported by applied), soft deletes keeping the
// later DeletedAt (a tombstone for an unknown id), ErrNotFound only for a record that does
// not exist.
//
//   - ListMembers returns the active memberships of an organization (whether or not the
//     organization's record exists), ordered by UserID; an empty list is not an error.
//   - ListUserMemberships returns the active memberships of a user, ordered by OrgID.
//   - Both lists leave out the memberships of an organization the store holds as
//     deleted and of a user it holds as deactivated (when the OrgStore is also the
//     UserStore, holding the users), whatever the memberships' own state and whichever
//     was written first: Clerk may not send a membership's deletion when its user or
//     organization goes, and may deliver a membership's creation after their deletion.
//     As those deletions are final, such a membership is never listed again. A missing
//     user or organization record hides nothing.
//   - GetMembership returns the membership's record as it is, listed or not; its
//     Active reports the membership's own state only.
//   - DeleteMembership keeps the membership's record with DeletedAt; a later upsert with
//     a newer UpdatedAt makes it active again. DeleteOrganization does not change the
//     organization's membership records.
type OrgStore interface {
	GetOrganization(ctx context.Context, id string) (*Organization, error)
	UpsertOrganization(ctx context.Context, o *Organization) (applied bool, err error)
	DeleteOrganization(ctx context.Context, id string, at time.Time) (applied bool, err error)

	GetMembership(ctx context.Context, orgID, userID string) (*Membership, error)
	UpsertMembership(ctx context.Context, m *Membership) (applied bool, err error)
	DeleteMembership(ctx context.Context, orgID, userID string, at time.Time) (applied bool, err error)
	ListMembers(ctx context.Context, orgID string) ([]Membership, error)
	ListUserMemberships(ctx context.Context, userID string) ([]Membership, error)
}

// RevocationStore remembers sessions Clerk ended or revoked (session.revoked,
// session.ended, session.removed webhooks) until their last token has expired, so a
// still-valid token of a revoked session is refused. Shared by every replica when backed
// by Redis.
type RevocationStore interface {
	// Revoke records sessionID as revoked until the given time (after which no token of
	// the session can verify anyway).
	Revoke(ctx context.Context, sessionID string, until time.Time) error
	// Revoked reports whether sessionID is revoked. A failure is an error, never false.
	Revoked(ctx context.Context, sessionID string) (bool, error)
}
