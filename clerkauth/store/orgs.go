package store

import (
	"context"
	"time"
)

// Orgs keeps organizations and memberships, with the same rules as [Users]: versioned
// upserts (newer UpdatedAt wins, reported by applied), soft deletes keeping the later
// DeletedAt (a tombstone for an unknown id), [ErrNotFound] only for a record that does
// not exist, refusals wrapping [ErrInvalid] ([Organization.Clean], [Membership.Clean],
// [CleanID], a zero deletion time).
//
//   - ListMembers returns the active memberships of an organization (whether or not the
//     organization's record exists), ordered by UserID; an empty list is not an error.
//   - ListUserMemberships returns the active memberships of a user, ordered by OrgID.
//   - Both lists leave out the memberships of an organization the store holds as
//     deleted and of a user it holds as deactivated (when the Orgs store is also the
//     Users store, holding the users), whatever the memberships' own state and whichever
//     was written first: Clerk may not send a membership's deletion when its user or
//     organization goes, and may deliver a membership's creation after their deletion.
//     As those deletions are final, such a membership is never listed again. A missing
//     user or organization record hides nothing.
//   - GetMembership returns the membership's record as it is, listed or not; its
//     Active reports the membership's own state only.
//   - DeleteMembership keeps the membership's record with DeletedAt; a later upsert with
//     a newer UpdatedAt makes it active again. DeleteOrganization does not change the
//     organization's membership records.
//   - A read of an id CleanID refuses finds nothing: ErrNotFound, an empty list.
type Orgs interface {
	GetOrganization(ctx context.Context, id string) (*Organization, error)
	UpsertOrganization(ctx context.Context, o *Organization) (applied bool, err error)
	DeleteOrganization(ctx context.Context, id string, at time.Time) (applied bool, err error)

	GetMembership(ctx context.Context, orgID, userID string) (*Membership, error)
	UpsertMembership(ctx context.Context, m *Membership) (applied bool, err error)
	DeleteMembership(ctx context.Context, orgID, userID string, at time.Time) (applied bool, err error)
	ListMembers(ctx context.Context, orgID string) ([]Membership, error)
	ListUserMemberships(ctx context.Context, userID string) ([]Membership, error)
}
