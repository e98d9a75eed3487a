package machine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
)

// bapiVerdict is Clerk's answer about one token: a principal (read-only snapshot), or a
// refusal (clerkauth.ErrMachineTokenInvalid, clerkauth.ErrMachineTokenRevoked,
// clerkauth.ErrMachineTokenExpired).
type bapiVerdict struct {
	p   *clerkauth.Principal
	err error
}

// result is the answer v gives at now: a copy of the principal, or the refusal.
func (v bapiVerdict) result(now time.Time) (*clerkauth.Principal, error) {
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
	p       *clerkauth.Principal // read-only
	checked time.Time            // when Clerk accepted it

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

// expiredAt returns clerkauth.ErrMachineTokenExpired when a token expiring at exp (zero:
// never) has expired at now, or nil.
func expiredAt(exp, now time.Time) error {
	if !exp.IsZero() && !now.Before(exp) {
		return fmt.Errorf("%w: expired at %s", clerkauth.ErrMachineTokenExpired, exp.UTC().Format(time.RFC3339))
	}
	return nil
}

// answered returns Clerk's answer for key given since the known entry seen (nil: any
// answer): an acceptance younger than MaxCacheTTL, or a refusal still remembered.
func (b *BackendAPI) answered(key [sha256.Size]byte, seen *bapiKnown) (bapiVerdict, bool) {
	now := b.now()
	if k, ok := b.known.GetIfPresent(key); ok && k != seen && now.Sub(k.checked) < b.maxTTL {
		return bapiVerdict{p: k.p}, true
	}
	if r, ok := b.refused.GetIfPresent(key); ok && now.Before(r.until) {
		return bapiVerdict{err: r.err}, true
	}
	return bapiVerdict{}, false
}

// callAndRemember asks Clerk about token and caches the answer: an acceptance (re)enters
// the known set, a refusal leaves it at once and is remembered for NegativeCacheTTL.
// Errors wrap clerkauth.ErrBackendAPI and are not cached.
func (b *BackendAPI) callAndRemember(ctx context.Context, key [sha256.Size]byte, ep *bapiEndpoint, token string) (any, error) {
	v, err := b.call(ctx, ep, token)
	if err != nil {
		return nil, err
	}
	now := b.now()
	if v.p != nil {
		b.known.Set(key, &bapiKnown{p: v.p, checked: now})
		b.refused.Invalidate(key)
	} else {
		b.refused.Set(key, bapiRefusal{err: v.err, until: now.Add(b.negTTL)})
		b.known.Invalidate(key)
	}
	b.retried.forget(fingerprint(key))
	return v, nil
}
