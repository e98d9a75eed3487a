package jwks

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// maxWithdrawn bounds how many withdrawn kids a Remote remembers.
const maxWithdrawn = 32

// minRearm is the least wait before the deferred fetch looks at the configured clock
// again when that clock is behind the timer's (an injected clock that does not move).
const minRearm = time.Second

// flight is one fetch of the key set. Fetches never overlap: whoever needs one while a
// flight is in progress (a lookup, the refresh loop, the deferred fetch) waits for it.
type flight struct {
	seq     uint64        // flights are numbered from 1 in the order they start
	done    chan struct{} // closed when the fetch has ended
	err     error         // the fetch's error; read only after done is closed
	wasOwed bool          // it cleared Remote.owed when it started
}

// fetchLocked returns the flight in progress, or starts one; nil once the Remote is
// closed. The caller holds r.mu.
func (r *Remote) fetchLocked(reason string) *flight {
	if r.closed {
		return nil
	}
	if r.flight != nil {
		return r.flight
	}
	r.flights++
	f := &flight{seq: r.flights, done: make(chan struct{}), wasOwed: r.owed}
	// This fetch starts after every lookup that was told to retry: it answers them.
	r.owed = false
	r.flight = f
	r.running.Add(1)
	go r.run(f, reason)
	return f
}

// fetchNow joins the flight in progress, or starts one, and waits for it to end.
func (r *Remote) fetchNow(reason string) error {
	r.mu.Lock()
	f := r.fetchLocked(reason)
	r.mu.Unlock()
	if f == nil {
		return ErrClosed
	}
	<-f.done
	return f.err
}

// run performs f's fetch and ends the flight.
func (r *Remote) run(f *flight, reason string) {
	defer r.running.Done()
	err := r.fetch(reason)
	r.mu.Lock()
	f.err = err
	r.flight = nil
	if err != nil && f.wasOwed {
		r.owed = true // the lookups it was to answer are still waiting for keys
	}
	r.scheduleOwedLocked(0)
	r.mu.Unlock()
	close(f.done)
}

// unknownKID answers a lookup whose kid is not in the loaded set. It waits for the flight
// in progress, or starts one when the unknown-kid interval allows, and answers:
//   - the key, when the fetch brought it;
//   - ErrUnknownKey, when a fetch that started after this lookup arrived has no such kid,
//     or when no fetch may start and the kid was withdrawn (see noteWithdrawnLocked);
//   - KeyPendingError (ErrKeysUnavailable) when no fetch may start yet: the token may be
//     signed with a key published after the last fetch began. The deferred fetch then
//     runs as soon as the interval allows, without waiting for another request.
func (r *Remote) unknownKID(ctx context.Context, token *jwt.Token, kid string) (any, error) {
	r.mu.Lock()
	arrived := r.flights // a flight with a greater seq started after this lookup arrived
	for {
		f := r.flight
		if f == nil {
			now := r.now()
			if r.closed || r.budgetWaitLocked(now) > 0 {
				err := r.refuseLocked(kid, now)
				r.mu.Unlock()
				return nil, err
			}
			r.lastUnknown = now
			f = r.fetchLocked("unknown kid")
		}
		r.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: kid %q is not in the key set; stopped waiting for the refresh: %w", ErrKeysUnavailable, kid, ctx.Err())
		}
		if key, err, found := r.lookup(ctx, token); found {
			return key, err
		}
		if f.err != nil {
			return nil, fmt.Errorf("%w: kid %q is not in the key set and the refresh failed: %w", ErrKeysUnavailable, kid, f.err)
		}
		if f.seq > arrived {
			return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
		}
		// That fetch started before this lookup arrived and may predate the token's key.
		// Any later flight starts after it ended, so after this lookup arrived: the next
		// round either refuses without waiting or waits for a fetch that settles it.
		r.mu.Lock()
	}
}

// refuseLocked answers a lookup for an unknown kid when no fetch may start now, and owes
// it a fetch unless the kid is known to be withdrawn. The caller holds r.mu.
func (r *Remote) refuseLocked(kid string, now time.Time) error {
	if slices.Contains(r.withdrawn, kid) {
		return fmt.Errorf("%w: kid %q was withdrawn from the key set", ErrUnknownKey, kid)
	}
	if r.closed {
		return fmt.Errorf("%w: kid %q is not in the key set and the key set is closed", ErrKeysUnavailable, kid)
	}
	r.owed = true
	r.scheduleOwedLocked(0)
	if r.lastFailed.Load() {
		return fmt.Errorf("%w: kid %q is not in the key set and the last refresh failed", ErrKeysUnavailable, kid)
	}
	return &KeyPendingError{KID: kid, RetryAfter: r.budgetWaitLocked(now)}
}

// budgetWaitLocked is how long until a fetch for an unknown kid may start: zero when it
// may start now. A configured clock set back before the last such fetch counts the
// interval from its new now. The caller holds r.mu.
func (r *Remote) budgetWaitLocked(now time.Time) time.Duration {
	if r.lastUnknown.IsZero() {
		return 0
	}
	if now.Before(r.lastUnknown) {
		r.lastUnknown = now
	}
	return max(r.lastUnknown.Add(r.unknownKIDInterval).Sub(now), 0)
}

// scheduleOwedLocked arms the deferred fetch, to start when the unknown-kid interval
// allows (and not before least), if lookups are owed one and nothing else will serve
// them: no deferred fetch armed, no flight in progress (its end calls this again). The
// caller holds r.mu.
func (r *Remote) scheduleOwedLocked(least time.Duration) {
	if !r.owed || r.closed || r.deferred != nil || r.flight != nil {
		return
	}
	r.deferred = time.AfterFunc(max(r.budgetWaitLocked(r.now()), least), r.deferredFetch)
}

// deferredFetch starts the fetch owed to lookups that got KeyPendingError.
func (r *Remote) deferredFetch() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deferred = nil
	if !r.owed || r.closed || r.flight != nil {
		return
	}
	now := r.now()
	if r.budgetWaitLocked(now) > 0 {
		r.scheduleOwedLocked(minRearm)
		return
	}
	r.lastUnknown = now
	r.fetchLocked("unknown kid, deferred")
}

// noteWithdrawnLocked remembers the kids of old that idx no longer has, and forgets those
// idx has again. A withdrawn kid is answered ErrUnknownKey without waiting for a fetch:
// a later set than the one that had it proves it is no longer published. The caller
// holds r.mu.
func (r *Remote) noteWithdrawnLocked(old, idx *keyIndex) {
	r.withdrawn = slices.DeleteFunc(r.withdrawn, func(kid string) bool {
		_, ok := idx.byKID[kid]
		return ok
	})
	for kid := range old.byKID {
		if _, ok := idx.byKID[kid]; !ok && !slices.Contains(r.withdrawn, kid) {
			r.withdrawn = append(r.withdrawn, kid)
		}
	}
	if n := len(r.withdrawn) - maxWithdrawn; n > 0 {
		r.withdrawn = slices.Clone(r.withdrawn[n:])
	}
}
