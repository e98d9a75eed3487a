// Package storetest checks that an implementation of [store.Users], [store.Orgs],
// [store.Revocations] or [store.Dedupe] keeps its contract, as testing/slogtest does for
// slog handlers: the one conformance kit of the module, which every store of authkit
// passes. A store package calls [Run], [RunRevocations] or [RunDedupe] from its tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) (store.Users, store.Orgs) {
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
//		storetest.RunRevocations(t, func(t *testing.T) store.Revocations {
//			return mystore.NewRevocations(openTestDatabase(t))
//		})
//	}
//
//	func TestDedupe(t *testing.T) {
//		client := newTestClient(t) // skips when no server is configured
//		storetest.RunDedupe(t, func(t *testing.T) (store.Dedupe, func(time.Duration)) {
//			return mystore.NewDedupe(client), nil // nil: the server's clock, wait in real time
//		})
//	}
//
// A dedupe store with an injectable clock returns a function that advances it, and
// RunDedupe then never sleeps.
//
// Each check runs in a subtest named after it, with stores of its own (the factory is
// called once per check) and ids no other check uses, so a factory may also hand every
// check the same store, or one left over from an earlier run. [Check],
// [CheckRevocations] and [CheckDedupe] run the same checks and return what they find as
// [Failure] errors instead of failing the test: that is how a test shows a store is
// broken, and how this package's own tests prove each check fails on a store with the
// flaw it targets.
//
// # What is checked
//
// For users, organizations and memberships:
//
//   - not found versus found: an unknown id is an error wrapping
//     [store.ErrNotFound] with a nil record; a deactivated user, a
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
//     still returns them as they are; the user part runs when the Orgs
//     store is also a Users store (it deactivates users through the Orgs
//     value) and is skipped otherwise;
//   - text: a user, an organization and a membership whose text fields
//     hold NUL bytes and invalid UTF-8, and whose metadata holds invalid
//     UTF-8 and a \u0000 escape, are stored without error and come back
//     as valid UTF-8, each field as sent or with U+FFFD for its NUL bytes
//     and invalid sequences (the store may keep NUL, or replace it);
//   - refusals: a nil record, an id [store.CleanID] refuses (empty, with a NUL, not
//     valid UTF-8), metadata that is not JSON and a zero deletion time are refused
//     with an error wrapping [store.ErrInvalid], nothing is applied or written, and no
//     record is found or listed under a refused id;
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
// concurrent revocations all hold, a cancelled context fails both
// methods, and an id CleanID refuses or a zero time is refused with
// ErrInvalid (such an id is never revoked). These compare with
// [time.Now], never sleeping: the store's clock must be close to the
// test's.
//
// For dedupe: a first Claim acquires and a second, while the lease lives,
// is in progress, ids being independent; after Done a Claim reports done,
// also when Done came without a Claim, and Done outlives the claim's
// lease; Release by the claim's owner lets the next Claim acquire, and
// releasing an unknown id is not an error; Release by another owner leaves
// the claim in place, in particular when the releasing delivery's lease
// expired and another delivery claimed the id meanwhile (the owner is a
// fencing token); a claim whose lease expired can be acquired again, and
// so can a done mark whose TTL expired; of 50 goroutines claiming one id
// at once exactly one acquires and the others see it in progress; an
// empty owner and a lease or TTL that is not positive are refused with
// ErrInvalid and change nothing.
//
// Versions in the checks are whole seconds apart, so a store that keeps
// milliseconds orders them exactly.
package storetest
