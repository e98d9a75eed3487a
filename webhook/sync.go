package webhook

import (
	"context"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/orgctx"
)

// defaultRevocationTTL is how long [Handler.Sync] keeps a session revoked
// when [SyncConfig.RevocationTTL] is zero.
const defaultRevocationTTL = 24 * time.Hour

// The kinds of record [SyncConfig.OnChange] reports.
const (
	// ChangeUser: the user's record changed (profile or deactivation); id
	// is the user id.
	ChangeUser = "user"
	// ChangeOrganization: the organization's record changed; id is the
	// organization id.
	ChangeOrganization = "organization"
	// ChangeMembership: a membership changed (created, updated or
	// deleted); id is the member's user id, since what is cached about
	// memberships is cached per user.
	ChangeMembership = "membership"
	// ChangeSession: the session was revoked; id is the session id.
	ChangeSession = "session"
)

// SyncConfig configures [Handler.Sync]. Zero fields take the documented
// defaults; Sync copies the struct.
type SyncConfig struct {
	// Users receives user.created and user.updated (UpsertUser) and
	// user.deleted (DeactivateUser). Nil: those events are not
	// registered.
	Users store.Users

	// Orgs receives organization.created, .updated and .deleted and
	// organizationMembership.created, .updated and .deleted. Nil: those
	// events are not registered.
	Orgs store.Orgs

	// Revocations receives session.revoked, session.ended and
	// session.removed (Revoke). Nil: those events are not registered.
	Revocations store.Revocations

	// RevocationTTL is how long after the event a session stays revoked.
	// Zero means 24 h, far longer than a session token lives (Clerk's last
	// one minute); it must exceed the lifetime of the session's tokens.
	RevocationTTL time.Duration

	// OnChange, when set, is called after each write that changed a
	// store (a write a newer version made redundant, or a duplicate, does
	// not call it), with one of the Change kinds and the record's id. An
	// in-process cache in front of the stores subscribes here to drop what
	// it holds about the record. It runs in the webhook request; a panic
	// makes the delivery fail (500) and be retried, the write being
	// idempotent.
	OnChange func(ctx context.Context, kind, id string)

	// Now is the clock used for a deletion or revocation event that
	// carries no timestamp. Nil means [time.Now].
	Now func() time.Time
}

// Sync registers, on h, functions that apply Clerk's events to the
// stores of cfg, so that the local copy of users, organizations,
// memberships and revoked sessions follows Clerk's:
//
//	user.created, user.updated          → Users.UpsertUser (primary email, names,
//	                                      username, image, public metadata, Clerk's times)
//	user.deleted                        → Users.DeactivateUser(id, event time)
//	organization.created, .updated      → Orgs.UpsertOrganization
//	organization.deleted                → Orgs.DeleteOrganization(id, event time)
//	organizationMembership.created,
//	  .updated                          → Orgs.UpsertMembership (org from
//	                                      data.organization.id, user from
//	                                      data.public_user_data.user_id, role in
//	                                      "org:" form, permissions, times)
//	organizationMembership.deleted      → Orgs.DeleteMembership(org, user, event time)
//	session.revoked, .ended, .removed   → Revocations.Revoke(id, event time + RevocationTTL)
//
// The stores' version rules make every function idempotent and, for
// distinct versions, independent of delivery order: older versions are
// ignored, deletions are tombstones. Two different updates with the same
// updated_at are the exception: the store keeps the first it receives
// (see "Keeping stores in sync" in the package documentation). A store
// error is returned (wrapping [ErrStoreFailed]), so the Handler answers
// 500 and Svix retries. A payload that can never be applied (no id, no
// member user id, an essential field of the wrong JSON type; see the
// accessors such as [Event.Session]) wraps [ErrMalformedPayload] and is
// acknowledged; functions registered after Sync's for the same type still
// run.
//
// A deletion's time is the event's timestamp ([Event.Timestamp]; Clerk's
// deleted objects carry no updated_at). For a membership it is at least
// the deleted membership's updated_at, so that a timestamp rounded to
// seconds cannot leave the deleted version active; a membership deletion
// with neither is malformed. A user, organization or session event without
// a timestamp uses Now: deleting late is safe there.
//
// Legacy role keys are normalised: "admin" becomes "org:admin",
// "basic_member" "org:member", and any other key without the "org:" prefix
// gets it.
//
// Sync fails with a [ConfigError] when no store is given, a store field
// holds a typed nil (a nil pointer behind the interface), or RevocationTTL
// is negative. Calling it twice registers the functions twice (harmless,
// as they are idempotent, but wasteful).
func (h *Handler) Sync(cfg SyncConfig) error {
	if cfg.Users == nil && cfg.Orgs == nil && cfg.Revocations == nil {
		return configError("SyncConfig", "needs at least one of Users, Orgs and Revocations")
	}
	for _, f := range [...]struct {
		name  string
		value any
	}{{"Users", cfg.Users}, {"Orgs", cfg.Orgs}, {"Revocations", cfg.Revocations}} {
		if f.value != nil && isNil(f.value) {
			return configError("SyncConfig."+f.name, fmt.Sprintf("is a nil %T", f.value))
		}
	}
	if cfg.RevocationTTL < 0 {
		return configError("SyncConfig.RevocationTTL", "must not be negative")
	}
	if cfg.RevocationTTL == 0 {
		cfg.RevocationTTL = defaultRevocationTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &syncer{cfg: cfg}
	if cfg.Users != nil {
		h.OnUserCreated(s.upsertUser)
		h.OnUserUpdated(s.upsertUser)
		h.OnUserDeleted(s.deactivateUser)
	}
	if cfg.Orgs != nil {
		h.OnOrganizationCreated(s.upsertOrg)
		h.OnOrganizationUpdated(s.upsertOrg)
		h.OnOrganizationDeleted(s.deleteOrg)
		h.OnMembershipCreated(s.upsertMembership)
		h.OnMembershipUpdated(s.upsertMembership)
		h.OnMembershipDeleted(s.deleteMembership)
	}
	if cfg.Revocations != nil {
		revoke := typed(s.revoke, Event.Session)
		for _, t := range [...]string{EventSessionRevoked, EventSessionEnded, EventSessionRemoved} {
			h.On(t, revoke)
		}
	}
	return nil
}

type syncer struct{ cfg SyncConfig }

// done reports a write: a store error wraps ErrStoreFailed; an applied
// write calls OnChange.
func (s *syncer) done(ctx context.Context, e Event, kind, id string, applied bool, err error) error {
	if err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrStoreFailed, e.Type, store.QuoteID(id), err)
	}
	if applied && s.cfg.OnChange != nil {
		s.cfg.OnChange(ctx, kind, id)
	}
	return nil
}

// eventTime is the event's timestamp, or now when it has none.
func (s *syncer) eventTime(e Event) time.Time {
	if e.Timestamp.IsZero() {
		return s.cfg.Now()
	}
	return e.Timestamp
}

func (s *syncer) upsertUser(ctx context.Context, e Event, u *User) error {
	applied, err := s.cfg.Users.UpsertUser(ctx, &store.User{
		ID:             u.ID,
		Email:          u.PrimaryEmail(),
		FirstName:      u.FirstName,
		LastName:       u.LastName,
		Username:       u.Username,
		ImageURL:       u.ImageURL,
		PublicMetadata: u.PublicMetadata,
		CreatedAt:      u.CreatedAt,
		UpdatedAt:      u.UpdatedAt,
	})
	return s.done(ctx, e, ChangeUser, u.ID, applied, err)
}

func (s *syncer) deactivateUser(ctx context.Context, e Event, d *DeletedObject) error {
	applied, err := s.cfg.Users.DeactivateUser(ctx, d.ID, s.eventTime(e))
	return s.done(ctx, e, ChangeUser, d.ID, applied, err)
}

func (s *syncer) upsertOrg(ctx context.Context, e Event, o *Organization) error {
	applied, err := s.cfg.Orgs.UpsertOrganization(ctx, &store.Organization{
		ID:             o.ID,
		Name:           o.Name,
		Slug:           o.Slug,
		ImageURL:       o.ImageURL,
		PublicMetadata: o.PublicMetadata,
		CreatedAt:      o.CreatedAt,
		UpdatedAt:      o.UpdatedAt,
	})
	return s.done(ctx, e, ChangeOrganization, o.ID, applied, err)
}

func (s *syncer) deleteOrg(ctx context.Context, e Event, d *DeletedObject) error {
	applied, err := s.cfg.Orgs.DeleteOrganization(ctx, d.ID, s.eventTime(e))
	return s.done(ctx, e, ChangeOrganization, d.ID, applied, err)
}

// memberIDs returns the membership's organization and user ids, which
// identify it in the store.
func memberIDs(e Event, m *Membership) (orgID, userID string, err error) {
	orgID, userID = m.Organization.ID, m.PublicUserData.UserID
	if orgID == "" || userID == "" {
		return "", "", fmt.Errorf("%w: %s %s: no organization.id or public_user_data.user_id", ErrMalformedPayload, e.Type, store.QuoteID(m.ID))
	}
	return orgID, userID, nil
}

func (s *syncer) upsertMembership(ctx context.Context, e Event, m *Membership) error {
	orgID, userID, err := memberIDs(e, m)
	if err != nil {
		return err
	}
	applied, err := s.cfg.Orgs.UpsertMembership(ctx, &store.Membership{
		ID:          m.ID,
		OrgID:       orgID,
		UserID:      userID,
		Role:        normalizeRole(m.Role),
		Permissions: m.Permissions,
		CreatedAt:   m.CreatedAt,
		UpdatedAt:   m.UpdatedAt,
	})
	return s.done(ctx, e, ChangeMembership, userID, applied, err)
}

func (s *syncer) deleteMembership(ctx context.Context, e Event, m *Membership) error {
	orgID, userID, err := memberIDs(e, m)
	if err != nil {
		return err
	}
	at := e.Timestamp
	if m.UpdatedAt.After(at) {
		at = m.UpdatedAt
	}
	if at.IsZero() {
		return fmt.Errorf("%w: %s %s: neither a timestamp nor updated_at", ErrMalformedPayload, e.Type, store.QuoteID(m.ID))
	}
	applied, err := s.cfg.Orgs.DeleteMembership(ctx, orgID, userID, at)
	return s.done(ctx, e, ChangeMembership, userID, applied, err)
}

func (s *syncer) revoke(ctx context.Context, e Event, sess *Session) error {
	err := s.cfg.Revocations.Revoke(ctx, sess.ID, s.eventTime(e).Add(s.cfg.RevocationTTL))
	return s.done(ctx, e, ChangeSession, sess.ID, true, err)
}

// normalizeRole returns a membership role key in "org:" form, as
// orgctx.NormalizeRole does ("admin" becomes "org:admin", "" stays ""),
// and Clerk's legacy "basic_member" becomes "org:member". That legacy
// name is a webhook matter: tokens carry role keys, so orgctx leaves it.
func normalizeRole(role string) string {
	if role == "basic_member" {
		role = "member"
	}
	return orgctx.NormalizeRole(role)
}
