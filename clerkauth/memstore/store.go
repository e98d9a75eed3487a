package memstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/internal/storecheck"
)

// ErrInvalid is returned for a write the store refuses before looking at
// its data: a nil record, an id that is empty, not valid UTF-8 or holds a
// NUL byte, a zero deletion or expiry time, or public metadata that is not
// valid JSON.
var ErrInvalid = errors.New("memstore: invalid argument")

// Config configures [New]. The zero value is ready to use.
type Config struct {
	// Now is the clock revocations expire against. Nil means [time.Now].
	Now func() time.Time
}

// Store keeps users, organizations, memberships and session revocations in
// memory. It implements [clerkauth.UserStore], [clerkauth.OrgStore] and
// [clerkauth.RevocationStore]; it is safe for concurrent use, and every
// write applies the version and tombstone rules under one lock, so two
// writers of one record never interleave.
//
// Records are copied on the way in and on the way out: a caller that
// changes a record it passed in, or one it got back (its metadata bytes or
// permissions slice), does not change what the store holds.
//
// Text is kept as [github.com/unioneyes/authkit/clerkauth/sqlstore] keeps
// it, so that a program sees the same records on either: in every string
// field (role and permissions included) each NUL byte and each invalid
// UTF-8 sequence becomes U+FFFD, and public metadata is made valid UTF-8
// (invalid sequences become U+FFFD; JSON escapes such as \u0000 are kept).
// Valid text is kept as given.
//
// Times are kept as given, to the nanosecond (without the monotonic clock
// reading); versions compare with [time.Time.After].
type Store struct {
	now func() time.Time

	mu      sync.RWMutex
	users   map[string]clerkauth.User
	orgs    map[string]clerkauth.Organization
	members map[string]map[string]clerkauth.Membership // org id → user id → membership
	byUser  map[string]map[string]struct{}             // user id → org ids with a membership record

	revMu     sync.Mutex
	revoked   map[string]time.Time // session id → revoked until
	nextSweep time.Time
}

// New returns an empty Store. No field of Config can be invalid, so it
// cannot fail.
func New(cfg Config) *Store {
	s := &Store{
		now:     cfg.Now,
		users:   make(map[string]clerkauth.User),
		orgs:    make(map[string]clerkauth.Organization),
		members: make(map[string]map[string]clerkauth.Membership),
		byUser:  make(map[string]map[string]struct{}),
		revoked: make(map[string]time.Time),
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

var (
	_ clerkauth.UserStore       = (*Store)(nil)
	_ clerkauth.OrgStore        = (*Store)(nil)
	_ clerkauth.RevocationStore = (*Store)(nil)
)

// stamp strips the monotonic clock reading, so that comparisons use the
// wall clock only, as a database would.
func stamp(t time.Time) time.Time { return t.Round(0) }

func validJSON(m json.RawMessage) error { return storecheck.Metadata(ErrInvalid, m) }

func validDeletion(kind, id string, at time.Time) error {
	return storecheck.Deletion(ErrInvalid, kind, id, at)
}

// GetUser implements [clerkauth.UserStore]: a copy of the user, deactivated
// or not, or [clerkauth.ErrNotFound].
func (s *Store) GetUser(ctx context.Context, id string) (*clerkauth.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: get user: %w", err)
	}
	s.mu.RLock()
	u, ok := s.users[id]
	s.mu.RUnlock()
	if !ok {
		return nil, clerkauth.ErrNotFound
	}
	u.PublicMetadata = bytes.Clone(u.PublicMetadata)
	return &u, nil
}

// UpsertUser implements [clerkauth.UserStore]. It fails with [ErrInvalid]
// for a nil user, an invalid id or invalid metadata JSON; u.DeletedAt is
// ignored. Text is kept as the [Store] documentation says.
func (s *Store) UpsertUser(ctx context.Context, u *clerkauth.User) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memstore: upsert user: %w", err)
	}
	if u == nil {
		return false, fmt.Errorf("%w: nil user", ErrInvalid)
	}
	if err := checkID("user", u.ID); err != nil {
		return false, err
	}
	if err := validJSON(u.PublicMetadata); err != nil {
		return false, err
	}
	n := *u
	n.Email, n.FirstName, n.LastName = text(u.Email), text(u.FirstName), text(u.LastName)
	n.Username, n.ImageURL = text(u.Username), text(u.ImageURL)
	n.PublicMetadata = jsonCopy(u.PublicMetadata)
	n.CreatedAt, n.UpdatedAt = stamp(n.CreatedAt), stamp(n.UpdatedAt)
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.users[n.ID]
	if ok && !n.UpdatedAt.After(old.UpdatedAt) {
		return false, nil
	}
	n.DeletedAt = old.DeletedAt // zero for a new user
	s.users[n.ID] = n
	return true, nil
}

// DeactivateUser implements [clerkauth.UserStore]. It fails with
// [ErrInvalid] for an invalid id or a zero time.
func (s *Store) DeactivateUser(ctx context.Context, id string, at time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memstore: deactivate user: %w", err)
	}
	if err := validDeletion("user", id, at); err != nil {
		return false, err
	}
	at = stamp(at)
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if ok && !at.After(u.DeletedAt) {
		return false, nil
	}
	if !ok {
		u = clerkauth.User{ID: id}
	}
	u.DeletedAt = at
	s.users[id] = u
	return true, nil
}

// GetOrganization implements [clerkauth.OrgStore].
func (s *Store) GetOrganization(ctx context.Context, id string) (*clerkauth.Organization, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: get organization: %w", err)
	}
	s.mu.RLock()
	o, ok := s.orgs[id]
	s.mu.RUnlock()
	if !ok {
		return nil, clerkauth.ErrNotFound
	}
	o.PublicMetadata = bytes.Clone(o.PublicMetadata)
	return &o, nil
}

// UpsertOrganization implements [clerkauth.OrgStore]. It fails with
// [ErrInvalid] for a nil organization, an invalid id or invalid metadata
// JSON; o.DeletedAt is ignored. Text is kept as for UpsertUser.
func (s *Store) UpsertOrganization(ctx context.Context, o *clerkauth.Organization) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memstore: upsert organization: %w", err)
	}
	if o == nil {
		return false, fmt.Errorf("%w: nil organization", ErrInvalid)
	}
	if err := checkID("organization", o.ID); err != nil {
		return false, err
	}
	if err := validJSON(o.PublicMetadata); err != nil {
		return false, err
	}
	n := *o
	n.Name, n.Slug, n.ImageURL = text(o.Name), text(o.Slug), text(o.ImageURL)
	n.PublicMetadata = jsonCopy(o.PublicMetadata)
	n.CreatedAt, n.UpdatedAt = stamp(n.CreatedAt), stamp(n.UpdatedAt)
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.orgs[n.ID]
	if ok && !n.UpdatedAt.After(old.UpdatedAt) {
		return false, nil
	}
	n.DeletedAt = old.DeletedAt
	s.orgs[n.ID] = n
	return true, nil
}

// DeleteOrganization implements [clerkauth.OrgStore]. It fails with
// [ErrInvalid] for an invalid id or a zero time. The organization's
// memberships are kept as they are, but the lists no longer hold them
// (see [Store.ListMembers]).
func (s *Store) DeleteOrganization(ctx context.Context, id string, at time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memstore: delete organization: %w", err)
	}
	if err := validDeletion("organization", id, at); err != nil {
		return false, err
	}
	at = stamp(at)
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgs[id]
	if ok && !at.After(o.DeletedAt) {
		return false, nil
	}
	if !ok {
		o = clerkauth.Organization{ID: id}
	}
	o.DeletedAt = at
	s.orgs[id] = o
	return true, nil
}

func cloneMembership(m clerkauth.Membership) clerkauth.Membership {
	m.Permissions = slices.Clone(m.Permissions)
	return m
}

// GetMembership implements [clerkauth.OrgStore]: the membership's record,
// active or not, listed or not (its organization deleted, its user
// deactivated), or [clerkauth.ErrNotFound].
func (s *Store) GetMembership(ctx context.Context, orgID, userID string) (*clerkauth.Membership, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: get membership: %w", err)
	}
	s.mu.RLock()
	m, ok := s.members[orgID][userID]
	s.mu.RUnlock()
	if !ok {
		return nil, clerkauth.ErrNotFound
	}
	m = cloneMembership(m)
	return &m, nil
}

// UpsertMembership implements [clerkauth.OrgStore]. It fails with
// [ErrInvalid] for a nil membership or an invalid OrgID or UserID;
// m.DeletedAt is ignored. Text is kept as for UpsertUser.
func (s *Store) UpsertMembership(ctx context.Context, m *clerkauth.Membership) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memstore: upsert membership: %w", err)
	}
	if m == nil {
		return false, fmt.Errorf("%w: nil membership", ErrInvalid)
	}
	if err := checkID("organization", m.OrgID); err != nil {
		return false, err
	}
	if err := checkID("user", m.UserID); err != nil {
		return false, err
	}
	n := *m
	n.ID, n.Role, n.Permissions = text(m.ID), text(m.Role), textCopy(m.Permissions)
	n.CreatedAt, n.UpdatedAt = stamp(n.CreatedAt), stamp(n.UpdatedAt)
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.members[n.OrgID][n.UserID]
	if ok && !n.UpdatedAt.After(old.UpdatedAt) {
		return false, nil
	}
	n.DeletedAt = old.DeletedAt
	s.putMembership(n)
	return true, nil
}

// DeleteMembership implements [clerkauth.OrgStore]. It fails with
// [ErrInvalid] for an invalid id or a zero time.
func (s *Store) DeleteMembership(ctx context.Context, orgID, userID string, at time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memstore: delete membership: %w", err)
	}
	if err := validDeletion("organization", orgID, at); err != nil {
		return false, err
	}
	if err := validDeletion("user", userID, at); err != nil {
		return false, err
	}
	at = stamp(at)
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.members[orgID][userID]
	if ok && !at.After(m.DeletedAt) {
		return false, nil
	}
	if !ok {
		m = clerkauth.Membership{OrgID: orgID, UserID: userID}
	}
	m.DeletedAt = at
	s.putMembership(m)
	return true, nil
}

// putMembership stores m and indexes it by user; s.mu is held.
func (s *Store) putMembership(m clerkauth.Membership) {
	byOrg := s.members[m.OrgID]
	if byOrg == nil {
		byOrg = make(map[string]clerkauth.Membership)
		s.members[m.OrgID] = byOrg
	}
	byOrg[m.UserID] = m
	orgs := s.byUser[m.UserID]
	if orgs == nil {
		orgs = make(map[string]struct{})
		s.byUser[m.UserID] = orgs
	}
	orgs[m.OrgID] = struct{}{}
}

// listed reports whether the lists hold m: it is active, and the store
// does not hold a deleted record of its organization or a deactivated one
// of its user. s.mu is held.
func (s *Store) listed(m clerkauth.Membership) bool {
	if !m.Active() {
		return false
	}
	if o, ok := s.orgs[m.OrgID]; ok && !o.Active() {
		return false
	}
	if u, ok := s.users[m.UserID]; ok && !u.Active() {
		return false
	}
	return true
}

// ListMembers implements [clerkauth.OrgStore]: copies of the active
// memberships of orgID, ordered by UserID. Those of a user the store holds
// as deactivated are left out, and all of them when it holds orgID as
// deleted; [Store.GetMembership] still returns each record.
func (s *Store) ListMembers(ctx context.Context, orgID string) ([]clerkauth.Membership, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: list members: %w", err)
	}
	s.mu.RLock()
	var out []clerkauth.Membership
	for _, m := range s.members[orgID] {
		if s.listed(m) {
			out = append(out, cloneMembership(m))
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b clerkauth.Membership) int { return strings.Compare(a.UserID, b.UserID) })
	return out, nil
}

// ListUserMemberships implements [clerkauth.OrgStore]: copies of the
// active memberships of userID, ordered by OrgID, without those of a
// deleted organization, and none when the store holds userID as
// deactivated (as for [Store.ListMembers]).
func (s *Store) ListUserMemberships(ctx context.Context, userID string) ([]clerkauth.Membership, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: list user memberships: %w", err)
	}
	s.mu.RLock()
	var out []clerkauth.Membership
	for orgID := range s.byUser[userID] {
		if m := s.members[orgID][userID]; s.listed(m) {
			out = append(out, cloneMembership(m))
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b clerkauth.Membership) int { return strings.Compare(a.OrgID, b.OrgID) })
	return out, nil
}
