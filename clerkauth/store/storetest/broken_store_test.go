package storetest_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// flawedStore is a straightforward in-memory store that keeps the contract,
// except for the one flaw it is given: the kit must notice each.
type flawedStore struct {
	flaw string

	mu      sync.Mutex
	users   map[string]*store.User
	orgs    map[string]*store.Organization
	members map[[2]string]*store.Membership
	revoked map[string]time.Time
	// inflight counts the racy upserts between their read and their write.
	inflight int
}

func newFlawedStore(flaw string) *flawedStore {
	return &flawedStore{
		flaw:    flaw,
		users:   map[string]*store.User{},
		orgs:    map[string]*store.Organization{},
		members: map[[2]string]*store.Membership{},
		revoked: map[string]time.Time{},
	}
}

func (s *flawedStore) is(flaw string) bool { return s.flaw == flaw }

// errText is the error of the "text-refused" flaw, PostgreSQL's.
var errText = errors.New(`invalid byte sequence for encoding "UTF8": 0x00 (SQLSTATE 22021)`)

// text is how the store keeps a string: made valid UTF-8, with NUL bytes
// kept (which the contract allows as well as replacing them), or flawed.
func (s *flawedStore) text(v string) string {
	switch {
	case s.is("text-verbatim"):
		return v
	case s.is("text-dropped") && !utf8.ValidString(v):
		return ""
	}
	return strings.ToValidUTF8(v, "\uFFFD")
}

// textErr is the "text-refused" flaw: an error for any NUL or invalid
// UTF-8 in vs or in the metadata m.
func (s *flawedStore) textErr(m []byte, vs ...string) error {
	if !s.is("text-refused") {
		return nil
	}
	if !utf8.Valid(m) {
		return errText
	}
	for _, v := range vs {
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return errText
		}
	}
	return nil
}

// json is how the store keeps metadata: made valid UTF-8 when it is not.
func (s *flawedStore) json(m []byte) []byte {
	if utf8.Valid(m) || s.is("text-verbatim") {
		return m
	}
	return bytes.ToValidUTF8(m, []byte("\uFFFD"))
}

// refuse is the refusal of a write the contract wants (err: nil, or one wrapping
// store.ErrInvalid), or a flawed one: "accepts-invalid" writes what it should refuse,
// "refusal-not-errinvalid" refuses with an error of its own.
func (s *flawedStore) refuse(err error) error {
	switch {
	case err == nil, s.is("accepts-invalid"):
		return nil
	case s.is("refusal-not-errinvalid"):
		return errors.New("flawed: refused")
	}
	return err
}

// refuseRecord is refuse for an upsert of r (nil, or a record Clean refuses).
func refuseRecord[T any](s *flawedStore, r *T, clean func(T) (T, error)) error {
	if r == nil {
		return s.refuse(fmt.Errorf("%w: nil record", store.ErrInvalid))
	}
	_, err := clean(*r)
	return s.refuse(err)
}

// refuseDeletion is refuse for a deletion of ids at t.
func (s *flawedStore) refuseDeletion(t time.Time, ids ...string) error {
	for _, id := range ids {
		if err := store.CleanID("record", id); err != nil {
			return s.refuse(err)
		}
	}
	if t.IsZero() {
		return s.refuse(fmt.Errorf("%w: zero time", store.ErrInvalid))
	}
	return nil
}

func (s *flawedStore) ctxErr(ctx context.Context) error {
	if s.is("ignores-context") {
		return nil
	}
	return ctx.Err()
}

// newer is the version rule, or a flawed one.
func (s *flawedStore) newer(a, b time.Time) bool {
	switch {
	case s.is("upsert-ignores-version"):
		return true
	case s.is("upsert-applies-equal"):
		return !a.Before(b)
	}
	return a.After(b)
}

func (s *flawedStore) keepTime(t time.Time) time.Time {
	switch {
	case s.is("seconds-precision"):
		return t.Truncate(time.Second)
	case s.is("zero-time-as-epoch") && t.IsZero():
		return time.Unix(0, 0)
	}
	return t
}

func (s *flawedStore) GetUser(ctx context.Context, id string) (*store.User, error) {
	if err := s.ctxErr(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	switch {
	case !ok && s.is("not-found-nil-nil"):
		return nil, nil
	case !ok && s.is("not-found-plain-error"):
		return nil, errors.New("no such user")
	case !ok, s.is("get-hides-deactivated") && !u.Active():
		return nil, store.ErrNotFound
	case s.is("shares-metadata"):
		c := *u
		return &c, nil
	}
	c := *u
	c.PublicMetadata = bytes.Clone(u.PublicMetadata)
	return &c, nil
}

func (s *flawedStore) UpsertUser(ctx context.Context, u *store.User) (bool, error) {
	if err := s.ctxErr(ctx); err != nil {
		return false, err
	}
	if err := refuseRecord(s, u, store.User.Clean); err != nil {
		return false, err
	}
	if err := s.textErr(u.PublicMetadata, u.Email, u.FirstName, u.LastName, u.Username, u.ImageURL); err != nil {
		return false, err
	}
	s.mu.Lock()
	old, ok := s.users[u.ID]
	if ok && !s.newer(u.UpdatedAt, old.UpdatedAt) {
		s.mu.Unlock()
		return false, nil
	}
	if s.is("racy-upsert") {
		// Read, then write later: older versions wait longer, so they
		// overwrite newer ones that were read at the same time.
		// Only when other upserts are in flight, to keep the other checks
		// fast.
		s.inflight++
		s.mu.Unlock()
		time.Sleep(2 * time.Millisecond) // let concurrent callers read too
		s.mu.Lock()
		crowded := s.inflight > 1
		s.mu.Unlock()
		if v := u.UpdatedAt.Sub(time.UnixMilli(1_716_883_200_000)).Seconds(); crowded && v >= 0 && v < 100 {
			time.Sleep(time.Duration(100-v) * time.Millisecond)
		}
		s.mu.Lock()
		s.inflight--
	}
	defer s.mu.Unlock()
	n := *u
	n.CreatedAt, n.UpdatedAt = s.keepTime(n.CreatedAt), s.keepTime(n.UpdatedAt)
	n.Email, n.FirstName, n.LastName, n.Username, n.ImageURL = s.text(u.Email), s.text(u.FirstName), s.text(u.LastName), s.text(u.Username), s.text(u.ImageURL)
	n.PublicMetadata = bytes.Clone(s.json(u.PublicMetadata))
	if s.is("drops-metadata") {
		n.PublicMetadata = nil
	}
	if s.is("shares-metadata") {
		n.PublicMetadata = u.PublicMetadata
	}
	n.DeletedAt = time.Time{}
	if ok && !s.is("upsert-clears-deletedat") {
		n.DeletedAt = old.DeletedAt
	}
	s.users[u.ID] = &n
	return true, nil
}

func (s *flawedStore) DeactivateUser(ctx context.Context, id string, at time.Time) (bool, error) {
	if err := s.ctxErr(ctx); err != nil {
		return false, err
	}
	if err := s.refuseDeletion(at, id); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		if s.is("deactivate-unknown-noop") {
			return false, nil
		}
		u = &store.User{ID: id, CreatedAt: s.keepTime(time.Time{}), UpdatedAt: s.keepTime(time.Time{})}
		s.users[id] = u
	}
	if !at.After(u.DeletedAt) && !s.is("deactivate-overwrites") {
		return false, nil
	}
	u.DeletedAt = at
	return true, nil
}

func (s *flawedStore) GetOrganization(ctx context.Context, id string) (*store.Organization, error) {
	if err := s.ctxErr(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgs[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	c := *o
	c.PublicMetadata = bytes.Clone(o.PublicMetadata)
	return &c, nil
}

func (s *flawedStore) UpsertOrganization(ctx context.Context, o *store.Organization) (bool, error) {
	if err := s.ctxErr(ctx); err != nil {
		return false, err
	}
	if err := refuseRecord(s, o, store.Organization.Clean); err != nil {
		return false, err
	}
	if err := s.textErr(o.PublicMetadata, o.Name, o.Slug, o.ImageURL); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.orgs[o.ID]
	if ok && !s.newer(o.UpdatedAt, old.UpdatedAt) && !s.is("org-upsert-ignores-version") {
		return false, nil
	}
	n := *o
	n.Name, n.Slug, n.ImageURL = s.text(o.Name), s.text(o.Slug), s.text(o.ImageURL)
	n.PublicMetadata = bytes.Clone(s.json(o.PublicMetadata))
	n.DeletedAt = time.Time{}
	if ok {
		n.DeletedAt = old.DeletedAt
	}
	s.orgs[o.ID] = &n
	return true, nil
}

func (s *flawedStore) DeleteOrganization(ctx context.Context, id string, at time.Time) (bool, error) {
	if err := s.ctxErr(ctx); err != nil {
		return false, err
	}
	if err := s.refuseDeletion(at, id); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orgs[id]
	if !ok {
		o = &store.Organization{ID: id}
		s.orgs[id] = o
	}
	if !at.After(o.DeletedAt) && !s.is("org-delete-overwrites") {
		return false, nil
	}
	o.DeletedAt = at
	return true, nil
}

func (s *flawedStore) copyMembership(m *store.Membership) store.Membership {
	c := *m
	if !s.is("shares-permissions") {
		c.Permissions = slices.Clone(m.Permissions)
	}
	return c
}

func (s *flawedStore) GetMembership(ctx context.Context, orgID, userID string) (*store.Membership, error) {
	if err := s.ctxErr(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.members[[2]string{orgID, userID}]
	if !ok ||
		s.is("get-membership-hides-deleted-org") && s.orgDeleted(orgID) ||
		s.is("get-membership-hides-deactivated") && s.userDeactivated(userID) {
		return nil, store.ErrNotFound
	}
	c := s.copyMembership(m)
	return &c, nil
}

func (s *flawedStore) UpsertMembership(ctx context.Context, m *store.Membership) (bool, error) {
	if err := s.ctxErr(ctx); err != nil {
		return false, err
	}
	if err := refuseRecord(s, m, store.Membership.Clean); err != nil {
		return false, err
	}
	if err := s.textErr(nil, append([]string{m.ID, m.Role}, m.Permissions...)...); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{m.OrgID, m.UserID}
	old, ok := s.members[k]
	if ok && !s.newer(m.UpdatedAt, old.UpdatedAt) {
		return false, nil
	}
	n := s.copyMembership(m)
	n.ID, n.Role = s.text(m.ID), s.text(m.Role)
	for i := range n.Permissions {
		if t := s.text(n.Permissions[i]); t != n.Permissions[i] {
			n.Permissions[i] = t // only on a change: with shares-permissions, this is the caller's slice
		}
	}
	if s.is("permissions-sorted") {
		slices.Sort(n.Permissions)
	}
	n.DeletedAt = time.Time{}
	if ok && !s.is("membership-upsert-clears-deletedat") {
		n.DeletedAt = old.DeletedAt
	}
	s.members[k] = &n
	return true, nil
}

func (s *flawedStore) DeleteMembership(ctx context.Context, orgID, userID string, at time.Time) (bool, error) {
	if err := s.ctxErr(ctx); err != nil {
		return false, err
	}
	if err := s.refuseDeletion(at, orgID, userID); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{orgID, userID}
	if s.is("membership-hard-delete") {
		_, ok := s.members[k]
		delete(s.members, k)
		return ok, nil
	}
	m, ok := s.members[k]
	if !ok {
		m = &store.Membership{OrgID: orgID, UserID: userID}
		s.members[k] = m
	}
	if !at.After(m.DeletedAt) {
		return false, nil
	}
	m.DeletedAt = at
	return true, nil
}

// orgDeleted reports whether the organization's record exists and is
// deleted; s.mu is held.
func (s *flawedStore) orgDeleted(id string) bool {
	o, ok := s.orgs[id]
	return ok && !o.Active()
}

// userDeactivated reports whether the user's record exists and is
// deactivated; s.mu is held.
func (s *flawedStore) userDeactivated(id string) bool {
	u, ok := s.users[id]
	return ok && !u.Active()
}

// listed is whether the lists hold m: it is active, and neither its
// organization nor its user is deleted. s.mu is held.
func (s *flawedStore) listed(m *store.Membership) bool {
	if s.orgDeleted(m.OrgID) && !s.is("list-keeps-deleted-org") {
		return false
	}
	if s.userDeactivated(m.UserID) && !s.is("list-keeps-deactivated-user") {
		return false
	}
	return s.active(m)
}

func (s *flawedStore) active(m *store.Membership) bool {
	if s.is("list-includes-inactive") {
		return true
	}
	if s.is("deletion-loses-ties") {
		return m.DeletedAt.IsZero() || !m.UpdatedAt.Before(m.DeletedAt)
	}
	return m.Active()
}

func (s *flawedStore) list(ctx context.Context, match func(*store.Membership) bool, key func(store.Membership) string) ([]store.Membership, error) {
	if err := s.ctxErr(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Membership
	for _, m := range s.members {
		if match(m) && s.listed(m) {
			out = append(out, s.copyMembership(m))
		}
	}
	switch {
	case s.is("list-unsorted"):
		slices.SortFunc(out, func(a, b store.Membership) int { return -strings.Compare(key(a), key(b)) })
	case s.is("list-locale-order"):
		slices.SortFunc(out, func(a, b store.Membership) int {
			return cmp.Compare(strings.ToLower(key(a)), strings.ToLower(key(b)))
		})
	default:
		slices.SortFunc(out, func(a, b store.Membership) int { return strings.Compare(key(a), key(b)) })
	}
	return out, nil
}

func (s *flawedStore) ListMembers(ctx context.Context, orgID string) ([]store.Membership, error) {
	return s.list(ctx, func(m *store.Membership) bool { return m.OrgID == orgID },
		func(m store.Membership) string { return m.UserID })
}

func (s *flawedStore) ListUserMemberships(ctx context.Context, userID string) ([]store.Membership, error) {
	return s.list(ctx, func(m *store.Membership) bool { return m.UserID == userID },
		func(m store.Membership) string { return m.OrgID })
}

func (s *flawedStore) Revoke(ctx context.Context, id string, until time.Time) error {
	if err := s.ctxErr(ctx); err != nil {
		return err
	}
	if err := s.refuseDeletion(until, id); err != nil {
		return err
	}
	if s.is("revoke-noop") {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if until.After(s.revoked[id]) {
		s.revoked[id] = until
	}
	return nil
}

func (s *flawedStore) Revoked(ctx context.Context, id string) (bool, error) {
	if err := s.ctxErr(ctx); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	until, ok := s.revoked[id]
	if s.is("revoked-ignores-expiry") {
		return ok, nil
	}
	return ok && until.After(time.Now()), nil
}
