package memstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// Config configures [New]. The zero value is ready to use.
type Config struct {
	// Now is the clock revocations expire against. Nil means [time.Now].
	Now func() time.Time
}

// Store keeps users, organizations, memberships and session revocations in
// memory. It implements [store.Users], [store.Orgs] and [store.Revocations];
// it is safe for concurrent use, and every write applies the version and
// tombstone rules under one lock, so two writers of one record never
// interleave.
//
// Records are copied on the way in and on the way out: a caller that
// changes a record it passed in, or one it got back (its metadata bytes or
// permissions slice), does not change what the store holds.
//
// Every upsert keeps the record as its Clean method returns it
// ([store.User.Clean]), as [github.com/unioneyes/authkit/clerkauth/sqlstore]
// does, so that a program sees the same records on either: in every string
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
	users   map[string]store.User
	orgs    map[string]store.Organization
	members map[string]map[string]store.Membership // org id → user id → membership
	byUser  map[string]map[string]struct{}         // user id → org ids with a membership record

	revMu     sync.Mutex
	revoked   map[string]time.Time // session id → revoked until
	nextSweep time.Time
}

// New returns an empty Store. No field of Config can be invalid, so it
// cannot fail.
func New(cfg Config) *Store {
	s := &Store{
		now:     cfg.Now,
		users:   make(map[string]store.User),
		orgs:    make(map[string]store.Organization),
		members: make(map[string]map[string]store.Membership),
		byUser:  make(map[string]map[string]struct{}),
		revoked: make(map[string]time.Time),
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

var (
	_ store.Users       = (*Store)(nil)
	_ store.Orgs        = (*Store)(nil)
	_ store.Revocations = (*Store)(nil)
)

// refused returns err, a refusal wrapping store.ErrInvalid, prefixed with the
// package name and the operation (op).
func refused(op string, err error) error { return fmt.Errorf("memstore: %s: %w", op, err) }

// deletion checks the arguments of a deletion (or revocation) of id: an id
// store.CleanID accepts and a time that is not zero. It returns at without
// its monotonic clock reading, so that comparisons use the wall clock only,
// as a database would.
func deletion(op, kind, id string, at time.Time) (time.Time, error) {
	if err := store.CleanID(kind, id); err != nil {
		return at, refused(op, err)
	}
	if at.IsZero() {
		return at, refused(op, fmt.Errorf("%w: zero time", store.ErrInvalid))
	}
	return at.Round(0), nil
}

// GetUser implements [store.Users]: a copy of the user, deactivated
// or not, or [store.ErrNotFound].
func (s *Store) GetUser(ctx context.Context, id string) (*store.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: get user: %w", err)
	}
	s.mu.RLock()
	u, ok := s.users[id]
	s.mu.RUnlock()
	if !ok {
		return nil, store.ErrNotFound
	}
	u.PublicMetadata = bytes.Clone(u.PublicMetadata)
	return &u, nil
}

// UpsertUser implements [store.Users]: it keeps u as [store.User.Clean]
// returns it, and fails as Clean does (an error wrapping
// [store.ErrInvalid]), or for a nil user; u.DeletedAt is ignored.
func (s *Store) UpsertUser(ctx context.Context, u *store.User) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memstore: upsert user: %w", err)
	}
	if u == nil {
		return false, refused("upsert user", fmt.Errorf("%w: nil user", store.ErrInvalid))
	}
	n, err := u.Clean()
	if err != nil {
		return false, refused("upsert user", err)
	}
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

// DeactivateUser implements [store.Users]. It fails with an error wrapping
// [store.ErrInvalid] for an id [store.CleanID] refuses or a zero time.
func (s *Store) DeactivateUser(ctx context.Context, id string, at time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memstore: deactivate user: %w", err)
	}
	at, err := deletion("deactivate user", "user", id, at)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if ok && !at.After(u.DeletedAt) {
		return false, nil
	}
	if !ok {
		u = store.User{ID: id}
	}
	u.DeletedAt = at
	s.users[id] = u
	return true, nil
}

// GetOrganization implements [store.Orgs].
func (s *Store) GetOrganization(ctx context.Context, id string) (*store.Organization, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: get organization: %w", err)
	}
	s.mu.RLock()
	o, ok := s.orgs[id]
	s.mu.RUnlock()
	if !ok {
		return nil, store.ErrNotFound
	}
	o.PublicMetadata = bytes.Clone(o.PublicMetadata)
	return &o, nil
}

// UpsertOrganization implements [store.Orgs]: it keeps o as
// [store.Organization.Clean] returns it, and fails as Clean does, or for a
// nil organization; o.DeletedAt is ignored.
func (s *Store) UpsertOrganization(ctx context.Context, o *store.Organization) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memstore: upsert organization: %w", err)
	}
	if o == nil {
		return false, refused("upsert organization", fmt.Errorf("%w: nil organization", store.ErrInvalid))
	}
	n, err := o.Clean()
	if err != nil {
		return false, refused("upsert organization", err)
	}
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

// DeleteOrganization implements [store.Orgs]. It fails with an error
// wrapping [store.ErrInvalid] for an id [store.CleanID] refuses or a zero
// time. The organization's memberships are kept as they are, but the lists
// no longer hold them (see [Store.ListMembers]).
func (s *Store) DeleteOrganization(ctx context.Context, id string, at time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memstore: delete organization: %w", err)
	}
	at, err := deletion("delete organization", "organization", id, at)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgs[id]
	if ok && !at.After(o.DeletedAt) {
		return false, nil
	}
	if !ok {
		o = store.Organization{ID: id}
	}
	o.DeletedAt = at
	s.orgs[id] = o
	return true, nil
}

func cloneMembership(m store.Membership) store.Membership {
	m.Permissions = slices.Clone(m.Permissions)
	return m
}

// GetMembership implements [store.Orgs]: the membership's record,
// active or not, listed or not (its organization deleted, its user
// deactivated), or [store.ErrNotFound].
func (s *Store) GetMembership(ctx context.Context, orgID, userID string) (*store.Membership, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: get membership: %w", err)
	}
	s.mu.RLock()
	m, ok := s.members[orgID][userID]
	s.mu.RUnlock()
	if !ok {
		return nil, store.ErrNotFound
	}
	m = cloneMembership(m)
	return &m, nil
}

// UpsertMembership implements [store.Orgs]: it keeps m as
// [store.Membership.Clean] returns it, and fails as Clean does, or for a
// nil membership; m.DeletedAt is ignored.
func (s *Store) UpsertMembership(ctx context.Context, m *store.Membership) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memstore: upsert membership: %w", err)
	}
	if m == nil {
		return false, refused("upsert membership", fmt.Errorf("%w: nil membership", store.ErrInvalid))
	}
	n, err := m.Clean()
	if err != nil {
		return false, refused("upsert membership", err)
	}
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

// DeleteMembership implements [store.Orgs]. It fails with an error
// wrapping [store.ErrInvalid] for an id [store.CleanID] refuses or a zero
// time.
func (s *Store) DeleteMembership(ctx context.Context, orgID, userID string, at time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("memstore: delete membership: %w", err)
	}
	if err := store.CleanID("organization", orgID); err != nil {
		return false, refused("delete membership", err)
	}
	at, err := deletion("delete membership", "user", userID, at)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.members[orgID][userID]
	if ok && !at.After(m.DeletedAt) {
		return false, nil
	}
	if !ok {
		m = store.Membership{OrgID: orgID, UserID: userID}
	}
	m.DeletedAt = at
	s.putMembership(m)
	return true, nil
}

// putMembership stores m and indexes it by user; s.mu is held.
func (s *Store) putMembership(m store.Membership) {
	byOrg := s.members[m.OrgID]
	if byOrg == nil {
		byOrg = make(map[string]store.Membership)
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
func (s *Store) listed(m store.Membership) bool {
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

// ListMembers implements [store.Orgs]: copies of the active
// memberships of orgID, ordered by UserID. Those of a user the store holds
// as deactivated are left out, and all of them when it holds orgID as
// deleted; [Store.GetMembership] still returns each record.
func (s *Store) ListMembers(ctx context.Context, orgID string) ([]store.Membership, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: list members: %w", err)
	}
	s.mu.RLock()
	var out []store.Membership
	for _, m := range s.members[orgID] {
		if s.listed(m) {
			out = append(out, cloneMembership(m))
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b store.Membership) int { return strings.Compare(a.UserID, b.UserID) })
	return out, nil
}

// ListUserMemberships implements [store.Orgs]: copies of the
// active memberships of userID, ordered by OrgID, without those of a
// deleted organization, and none when the store holds userID as
// deactivated (as for [Store.ListMembers]).
func (s *Store) ListUserMemberships(ctx context.Context, userID string) ([]store.Membership, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: list user memberships: %w", err)
	}
	s.mu.RLock()
	var out []store.Membership
	for orgID := range s.byUser[userID] {
		if m := s.members[orgID][userID]; s.listed(m) {
			out = append(out, cloneMembership(m))
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b store.Membership) int { return strings.Compare(a.OrgID, b.OrgID) })
	return out, nil
}
