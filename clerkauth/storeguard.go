package clerkauth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// Bounds of the store reads a request waits for (the revocation check, a user the cache
// does not hold).
const (
	// StoreReadTimeout bounds one such read. A store that answers at all answers in
	// milliseconds (Redis in well under one, PostgreSQL in a few); one that has not
	// answered in a second is down or overloaded (a dropped connection, an unreachable
	// host), and the requests of the first second of an outage, before the store's
	// breaker opens, wait no longer than this.
	StoreReadTimeout = time.Second
	// StoreBreakerOpen is how long a store's breaker stays open after a failed read:
	// meanwhile its reads fail at once (ErrStoreUnavailable, 503 with Retry-After) without
	// asking the store; then one read goes through as a probe, whose success closes the
	// breaker again.
	StoreBreakerOpen = 2 * time.Second
)

// The states of a breaker.
const (
	breakerClosed = iota
	breakerOpen
	breakerProbing
)

// breaker is the circuit breaker in front of one store's request-path reads. Closed, every
// read goes to the store; a failed read opens it, and so does a store that hangs: reads
// pending and none of them returned for StoreReadTimeout (a store client that does not
// honour contexts keeps those requests waiting, but not the ones after). Open, reads fail at
// once until StoreBreakerOpen has passed; then the next read goes through as a probe
// while the others keep failing at once. The probe's success closes the breaker, its
// failure opens it again. A read that ended because its caller went away, or that began
// before the latest change of state, changes nothing. It follows its clock, the
// verifier's or the cache's Now. It is safe for concurrent use.
type breaker struct {
	now func() time.Time

	mu      sync.Mutex
	state   int
	gen     uint64    // bumped at every change of state
	until   time.Time // open: when a probe may go; probing: when the probe counts as lost
	pending int       // reads under way
	// returned counts the reads that returned; allow notes, in since, when it first saw
	// the count it holds in seen with reads pending: no read returned since then.
	returned, seen uint64
	since          time.Time
}

// breakerTicket is what allow hands a read that may go to the store, for done.
type breakerTicket struct{ gen uint64 }

// allow reports whether a read may go to the store now; if not, wait is how long until
// the breaker lets a probe through.
func (b *breaker) allow() (t breakerTicket, wait time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	switch b.state {
	case breakerClosed:
		if b.pending == 0 || b.returned != b.seen {
			b.seen, b.since = b.returned, now
		} else if now.Sub(b.since) >= StoreReadTimeout {
			b.open(now) // reads pending, none returned for StoreReadTimeout: the store hangs
			return t, StoreBreakerOpen, false
		}
	case breakerOpen, breakerProbing:
		if now.Before(b.until) {
			if b.state == breakerProbing {
				return t, time.Second, false // a probe is under way: ask again in a moment
			}
			return t, b.until.Sub(now), false
		}
		// Time for a probe (or the last probe was lost: it never returned).
		b.state, b.until = breakerProbing, now.Add(StoreReadTimeout+time.Second)
		b.gen++
	}
	b.pending++
	return breakerTicket{gen: b.gen}, 0, true
}

// open opens the breaker until StoreBreakerOpen after now.
func (b *breaker) open(now time.Time) {
	b.state, b.until = breakerOpen, now.Add(StoreBreakerOpen)
	b.gen++
}

// The outcomes of a read, for done.
const (
	readAnswered  = iota // the store answered (ErrNotFound included)
	readFailed           // the store failed or did not answer in time
	readAbandoned        // the caller went away: nothing learned about the store
)

// done reports the outcome of a read allow let through.
func (b *breaker) done(t breakerTicket, outcome int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending--
	b.returned++
	if t.gen != b.gen {
		return // a read from before the latest change of state
	}
	switch {
	case outcome == readFailed:
		b.open(b.now())
	case outcome == readAnswered && b.state == breakerProbing:
		b.state = breakerClosed
		b.gen++
	case outcome == readAbandoned && b.state == breakerProbing:
		b.state, b.until = breakerOpen, b.now() // the next read probes
		b.gen++
	}
}

// guardedRead runs read, one request-path read of the store b guards, with its context
// ending after StoreReadTimeout. While b is open it fails at once, not asking the store,
// with an *unavailableError (ErrStoreUnavailable); so does a failed read, once it has
// opened b. ErrNotFound and the errors of a caller that went away (ctx ended) are
// returned as they are.
func guardedRead[T any](ctx context.Context, b *breaker, what string, read func(context.Context) (T, error)) (v T, err error) {
	t, wait, ok := b.allow()
	if !ok {
		return v, &unavailableError{what: what, retryAfter: wait}
	}
	outcome := readFailed // also if read panics
	defer func() { b.done(t, outcome) }()
	rctx, cancel := context.WithTimeout(ctx, StoreReadTimeout)
	defer cancel()
	v, err = read(rctx)
	switch {
	case err == nil, errors.Is(err, store.ErrNotFound):
		outcome = readAnswered
		return v, err
	case ctx.Err() != nil:
		outcome = readAbandoned
		return v, err
	}
	return v, &unavailableError{what: what, err: err, retryAfter: StoreBreakerOpen}
}

// unavailableError is ErrStoreUnavailable with the time after which the store's breaker
// lets a read through again: a failed read (err, the store's error), or a read the
// breaker refused (err nil).
type unavailableError struct {
	what       string // "revocations", "users"
	err        error
	retryAfter time.Duration
}

func (e *unavailableError) Error() string {
	if e.err == nil {
		return ErrStoreUnavailable.Error() + ": " + e.what + ": failing, not asked for " + e.retryAfter.String()
	}
	return ErrStoreUnavailable.Error() + ": " + e.what + ": " + e.err.Error()
}

func (e *unavailableError) Unwrap() []error {
	if e.err == nil {
		return []error{ErrStoreUnavailable}
	}
	return []error{ErrStoreUnavailable, e.err}
}

// RetryAfter is how long until the store is asked again.
func (e *unavailableError) RetryAfter() time.Duration { return e.retryAfter }

// retryAfter is the Retry-After of a 503 for err: the time err says the store is not
// asked, at least 1 s; else 5 s.
func retryAfter(err error) time.Duration {
	var ra interface{ RetryAfter() time.Duration }
	if !errors.As(err, &ra) {
		return 5 * time.Second
	}
	return max(time.Second, ra.RetryAfter())
}

// storeUnavailable wraps err, a store's failure, in ErrStoreUnavailable, unless it is one
// already.
func storeUnavailable(what string, err error) error {
	if errors.Is(err, ErrStoreUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %s: %w", ErrStoreUnavailable, what, err)
}
