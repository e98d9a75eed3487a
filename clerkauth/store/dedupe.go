package store

import (
	"context"
	"time"
)

// ClaimResult is the outcome of [Dedupe.Claim].
type ClaimResult int

// Claim outcomes. The zero value is not a valid result; the webhook handler
// treats it as a store failure.
const (
	// ClaimAcquired: no live claim or done mark existed for the id; the
	// caller (the owner it named) now holds a processing lease and must
	// end it with Done or Release.
	ClaimAcquired ClaimResult = iota + 1
	// ClaimInProgress: another delivery holds a live lease on the id.
	ClaimInProgress
	// ClaimDone: the id was marked done and its mark has not expired.
	ClaimDone
)

// String returns the outcome's name.
func (r ClaimResult) String() string {
	switch r {
	case ClaimAcquired:
		return "acquired"
	case ClaimInProgress:
		return "in progress"
	case ClaimDone:
		return "done"
	default:
		return "invalid"
	}
}

// Dedupe records which webhook message ids are being processed and which were
// processed, so that a message Svix delivers more than once (it delivers at
// least once, and retries reuse the id) runs the webhook handler's functions once.
//
// An id is in one of three states: absent, claimed by an owner (a
// processing lease that expires on its own, so a crashed process does not
// block the id) and done (kept for a TTL that outlives Svix's retry
// schedule). Every method must be safe for concurrent use, and Claim must
// be atomic: of any number of concurrent Claims of one absent id, exactly
// one returns [ClaimAcquired].
//
// The owner is a fencing token: the webhook handler draws a random one per
// delivery. A lease can expire while its delivery still runs (a slow
// database); another delivery then claims the id under its own owner, and
// when the first one fails, its Release must not delete the second one's
// live claim, or a third delivery would run the functions concurrently
// with the second. So Release deletes only a claim still held by the
// owner that asks. Done stays unconditional: the work it records was done,
// whoever holds the claim.
//
// The contract maps onto Redis: Claim is SET key "claimed:<owner>" NX PX
// lease, then on failure GET to tell ClaimInProgress from ClaimDone (in
// one script, or retrying the SET if the key vanished in between); Done is
// SET key done PX ttl; Release is a compare-and-delete of
// "claimed:<owner>" (a script). A call with an empty owner, or a lease or ttl
// that is not positive, fails with an error wrapping [ErrInvalid] and changes
// nothing. [github.com/unioneyes/authkit/clerkauth/store/storetest.RunDedupe]
// checks an implementation against this contract.
type Dedupe interface {
	// Claim atomically claims id for owner, for lease, unless a live claim
	// (of any owner) or a done mark exists. An expired claim or mark
	// counts as absent. owner is a non-empty token unique to the caller.
	Claim(ctx context.Context, id, owner string, lease time.Duration) (ClaimResult, error)

	// Done marks id processed for ttl, replacing the claim whoever holds
	// it (or creating the mark if the claim expired meanwhile).
	Done(ctx context.Context, id string, ttl time.Duration) error

	// Release removes the claim on id if owner still holds it, so that the
	// next delivery can claim the id. It leaves in place a claim of
	// another owner (the caller's lease expired and another delivery took
	// the id over) and a done mark. Releasing an absent id, or one held
	// by another owner, is not an error.
	Release(ctx context.Context, id, owner string) error
}
