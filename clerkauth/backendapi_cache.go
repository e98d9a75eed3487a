package clerkauth

import (
	"bytes"
	"slices"
	"sync"
	"time"
)

// bapiVerdict is Clerk's answer about one token: a principal (read-only snapshot), or a
// refusal (ErrMachineTokenInvalid, ErrMachineTokenRevoked, ErrMachineTokenExpired).
type bapiVerdict struct {
	p   *Principal
	err error
}

// result is the answer v gives at now: a copy of the principal, or the refusal.
func (v bapiVerdict) result(now time.Time) (*Principal, error) {
	if v.p == nil {
		return nil, v.err
	}
	if err := expiredAt(v.p.ExpiresAt, now); err != nil {
		return nil, err
	}
	p := *v.p
	p.Scopes = slices.Clone(v.p.Scopes)
	p.Claims = bytes.Clone(v.p.Claims)
	return &p, nil
}

// bapiKnown is a credential Clerk accepted (the "known good" set, keyed by the token's
// SHA-256): its principal, when Clerk last accepted it, and the state of its
// revalidation. A successful revalidation replaces the entry; a refusal removes it.
type bapiKnown struct {
	p       *Principal // read-only
	checked time.Time  // when Clerk accepted it

	mu         sync.Mutex
	failed     bool      // a revalidation since checked could not be made
	retryAt    time.Time // no revalidation starts before then
	refreshing bool      // a revalidation in the background is under way
}

// claim reports whether a background revalidation may start at now (none under way,
// and the pause after a failed one has passed), and marks it under way if so.
func (k *bapiKnown) claim(now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.refreshing || now.Before(k.retryAt) {
		return false
	}
	k.refreshing = true
	return true
}

// finish ends a background revalidation claimed with claim. When it could not be made
// (ok false), the entry is marked failed and the next attempt waits until retryAt.
func (k *bapiKnown) finish(ok bool, retryAt time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refreshing = false
	if !ok {
		k.failed, k.retryAt = true, retryAt
	}
}

// fail marks the entry failed (a revalidation could not be made) and spaces the next
// attempt until retryAt.
func (k *bapiKnown) fail(retryAt time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.failed, k.retryAt = true, retryAt
}

// hasFailed reports whether a revalidation since Clerk's acceptance could not be made.
func (k *bapiKnown) hasFailed() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.failed
}

// bapiRefusal is a refusal Clerk gave, remembered until until.
type bapiRefusal struct {
	err   error
	until time.Time
}
