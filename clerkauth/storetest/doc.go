// Package storetest checks that an implementation of
// [clerkauth.UserStore], [clerkauth.OrgStore] or
// [clerkauth.RevocationStore] keeps its contract, as testing/slogtest does
// for slog handlers. A store package calls [Run] from one of its tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) (clerkauth.UserStore, clerkauth.OrgStore) {
//			db := openTestDatabase(t) // a fresh database, closed by t.Cleanup
//			s, err := mystore.New(db)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s, s // nil for a store the package does not implement
//		})
//	}
//
//	func TestRevocations(t *testing.T) {
//		storetest.RunRevocations(t, func(t *testing.T) clerkauth.RevocationStore {
//			return mystore.NewRevocations(openTestDatabase(t))
//		})
//	}
//
// Each check runs in a subtest named after it, with stores of its own (the
// factory is called once per check) and ids no other check uses, so a
// factory may also hand every check the same store. [Check] and
// [CheckRevocations] run the same checks and return what they find as
// [Failure] errors instead of failing the test: that is how a test shows a
// store is broken, and how this package's own tests prove each check
// fails on a store with the flaw it targets.
//
// # What is checked
//
// For users, organizations and memberships:
//
//   - not found versus found: an unknown id is an error wrapping
//     [clerkauth.ErrNotFound] with a nil record; a deactivated user, a
//     deleted organization or membership is returned, with DeletedAt set;
//   - round trips: every field; public metadata compared as JSON values
//     (so a store may keep jsonb), nil staying nil and JSON null coming
//     back null or empty; permissions in their order; times at millisecond
//     precision at least (within a millisecond, either way: Clerk's times
//     are milliseconds), the zero time staying zero;
//   - the version guard: a newer UpdatedAt applies (applied true), an equal
//     or older one is ignored (applied false, nothing changed), a record
//     without a version (provisioned from a token) loses to the first
//     versioned one;
//   - tombstones: deleting an unknown id creates a record with only the id
//     and DeletedAt; deleting again keeps the later time; an upsert never
//     sets nor clears DeletedAt, though a newer version still updates the
//     data of a deleted record;
//   - memberships: one may exist before its organization; deleted, it is
//     inactive; written again with an UpdatedAt after the deletion it is
//     active, with one before (or at) the deletion it is not; ListMembers
//     and ListUserMemberships hold active memberships only, ordered
//     byte-wise by UserID and OrgID (ids that differ in case catch a
//     locale collation), and an empty list is not an error;
//   - memberships of a deleted organization, and of a deactivated user,
//     are left out of both lists, even when written after the deletion,
//     a deletion known only as a tombstone included, while GetMembership
//     still returns them as they are; the user part runs when the OrgStore
//     is also a UserStore (it deactivates users through the OrgStore
//     value) and is skipped otherwise;
//   - text: a user, an organization and a membership whose text fields
//     hold NUL bytes and invalid UTF-8, and whose metadata holds invalid
//     UTF-8 and a \u0000 escape, are stored without error and come back
//     as valid UTF-8, each field as sent or with U+FFFD for its NUL bytes
//     and invalid sequences (the store may keep NUL, or replace it);
//   - isolation: changing a record after passing it in, or after getting it
//     back (metadata bytes, permissions), does not change the store;
//   - concurrency: 50 goroutines upserting one user with distinct versions
//     end with the newest, whose upsert reports applied; the same for
//     deactivations, and for membership upserts racing deletions;
//   - order independence: every order (duplicates included) of a realistic
//     history of a user, an organization and two memberships ends in the
//     expected state;
//   - a cancelled context makes every method fail with an error that is not
//     ErrNotFound, and writes nothing.
//
// For revocations: unknown sessions are not revoked, a session revoked
// until an hour from now is, one revoked until an hour ago is not,
// concurrent revocations all hold, and a cancelled context fails both
// methods. These compare with [time.Now], never sleeping: the store's
// clock must be close to the test's.
//
// Versions in the checks are whole seconds apart, so a store that keeps
// milliseconds orders them exactly.
package storetest
