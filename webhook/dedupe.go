package webhook

import (
	"context"
	"time"
)

// ClaimResult is the outcome of [Dedupe.Claim].
type ClaimResult int

// Claim outcomes. The zero value is not a valid result; the [Handler]
// treats it as a store failure.
const (
	// ClaimAcquired: no live claim or done mark existed for the id; the
	// caller now holds a processing lease and must end it with Done or
	// Release.
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

// Dedupe records which message ids are being processed and which were
// processed, so that a message Svix delivers more than once (it delivers at
// least once, and retries reuse the id) runs the handlers once.
//
// An id is in one of three states: absent, claimed (a processing lease
// that expires on its own, so a crashed process does not block the id) and
// done (kept for a TTL that outlives Svix's retry schedule). Every method
// must be safe for concurrent use, and Claim must be atomic: of any number
// of concurrent Claims of one absent id, exactly one returns
// [ClaimAcquired].
//
// The contract maps onto Redis: Claim is SET key claimed NX PX lease, then
// on failure GET to tell ClaimInProgress from ClaimDone (retry the SET if
// the key vanished in between); Done is SET key done PX ttl; Release is DEL
// (or a compare-and-delete of the claimed value). The package dedupetest
// checks an implementation against this contract.
type Dedupe interface {
	// Claim atomically claims id for lease unless a live claim or a done
	// mark exists. An expired claim or mark counts as absent.
	Claim(ctx context.Context, id string, lease time.Duration) (ClaimResult, error)

	// Done marks id processed for ttl, replacing the claim (or creating
	// the mark if the claim expired meanwhile).
	Done(ctx context.Context, id string, ttl time.Duration) error

	// Release removes the claim on id so that the next delivery can claim
	// it. Releasing an absent id is not an error. The Handler only
	// releases a claim it holds and has not marked done, so
	// implementations may delete unconditionally; [MemoryDedupe] leaves a
	// done mark in place.
	Release(ctx context.Context, id string) error
}
