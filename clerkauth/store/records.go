package store

import (
	"encoding/json"
	"time"
)

// User is the local copy of a Clerk user, kept by webhooks (and created on the first
// authenticated request when the verifier has a [Users] store).
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
func (u User) Active() bool { return u.DeletedAt.IsZero() }

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
func (o Organization) Active() bool { return o.DeletedAt.IsZero() }

// Membership is a user's membership of an organization, identified by the pair
// (OrgID, UserID). It may exist before its organization's record does (webhooks arrive in
// any order).
type Membership struct {
	// ID is Clerk's membership id ("orgmem_…"), informative: text, not an id the store
	// looks records up by.
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
func (m Membership) Active() bool { return m.DeletedAt.IsZero() || m.UpdatedAt.After(m.DeletedAt) }
