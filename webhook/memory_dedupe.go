package webhook

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// defaultMemoryDedupeEntries is the default capacity of a [MemoryDedupe].
const defaultMemoryDedupeEntries = 100_000

// MemoryDedupeConfig configures [NewMemoryDedupe]. Zero fields take the
// documented defaults.
type MemoryDedupeConfig struct {
	// MaxEntries bounds the number of ids held (claims and done marks).
	// Zero means 100 000. When full, the oldest done
	// mark is evicted: deduplication degrades to at-least-once delivery
	// instead of failing. Live claims are never evicted; a Claim that
	// finds every slot held by one fails with [ErrDedupeFull].
	MaxEntries int

	// Now is the store's clock. Nil means [time.Now].
	Now func() time.Time
}

// MemoryDedupe is an in-process [store.Dedupe], the [Handler]'s default:
// right for a single replica and for tests. Several replicas behind one endpoint need a shared store
// (Redis, SQL), since Svix may deliver a message to any of them.
//
// Expired entries are dropped lazily as the store is used; it starts no
// goroutine and needs no Close. It is safe for concurrent use.
type MemoryDedupe struct {
	mu      sync.Mutex
	now     func() time.Time
	max     int
	entries map[string]*memEntry
	claims  list.List // of *memEntry, claimed, in claim order
	done    list.List // of *memEntry, done, in mark order
}

type memEntry struct {
	id      string
	owner   string // of a claim
	done    bool
	expires time.Time
	elem    *list.Element
}

// NewMemoryDedupe returns an empty MemoryDedupe. It fails with a
// [ConfigError] for a negative MaxEntries.
func NewMemoryDedupe(cfg MemoryDedupeConfig) (*MemoryDedupe, error) {
	if cfg.MaxEntries < 0 {
		return nil, configError("MemoryDedupeConfig.MaxEntries", "must not be negative")
	}
	d := &MemoryDedupe{now: cfg.Now, max: cfg.MaxEntries, entries: make(map[string]*memEntry)}
	if d.now == nil {
		d.now = time.Now
	}
	if d.max == 0 {
		d.max = defaultMemoryDedupeEntries
	}
	return d, nil
}

// Claim implements [store.Dedupe]. An empty owner or a lease that is not
// positive fails with an error wrapping [store.ErrInvalid].
func (d *MemoryDedupe) Claim(_ context.Context, id, owner string, lease time.Duration) (store.ClaimResult, error) {
	if lease <= 0 {
		return 0, dedupeRefused("claim", "lease must be positive")
	}
	if owner == "" {
		return 0, dedupeRefused("claim", "owner must not be empty")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if e, ok := d.entries[id]; ok {
		if now.Before(e.expires) {
			if e.done {
				return store.ClaimDone, nil
			}
			return store.ClaimInProgress, nil
		}
		d.remove(e)
	}
	if !d.makeRoom(now) {
		return 0, ErrDedupeFull
	}
	e := &memEntry{id: id, owner: owner, expires: now.Add(lease)}
	e.elem = d.claims.PushBack(e)
	d.entries[id] = e
	return store.ClaimAcquired, nil
}

// Done implements [store.Dedupe]. A ttl that is not positive fails with an
// error wrapping [store.ErrInvalid].
func (d *MemoryDedupe) Done(_ context.Context, id string, ttl time.Duration) error {
	if ttl <= 0 {
		return dedupeRefused("done", "TTL must be positive")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	e, ok := d.entries[id]
	if ok {
		d.remove(e)
	} else if !d.makeRoom(now) {
		return ErrDedupeFull
	}
	e = &memEntry{id: id, done: true, expires: now.Add(ttl)}
	e.elem = d.done.PushBack(e)
	d.entries[id] = e
	return nil
}

// Release implements [store.Dedupe]. It removes the claim on id only if
// owner holds it, and leaves a done mark in place. An empty owner fails
// with an error wrapping [store.ErrInvalid].
func (d *MemoryDedupe) Release(_ context.Context, id, owner string) error {
	if owner == "" {
		return dedupeRefused("release", "owner must not be empty")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.entries[id]; ok && !e.done && e.owner == owner {
		d.remove(e)
	}
	return nil
}

// len returns the number of ids held, expired ones not yet dropped
// included.
func (d *MemoryDedupe) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.entries)
}

func (d *MemoryDedupe) remove(e *memEntry) {
	if e.done {
		d.done.Remove(e.elem)
	} else {
		d.claims.Remove(e.elem)
	}
	delete(d.entries, e.id)
}

// makeRoom drops expired entries from the front of both lists (each is in
// insertion order, hence roughly in expiry order) and, if the store is
// still full, evicts the oldest done mark. It reports whether one more
// entry fits.
func (d *MemoryDedupe) makeRoom(now time.Time) bool {
	for _, l := range [2]*list.List{&d.claims, &d.done} {
		for f := l.Front(); f != nil; f = l.Front() {
			e := f.Value.(*memEntry)
			if now.Before(e.expires) {
				break
			}
			d.remove(e)
		}
	}
	if len(d.entries) < d.max {
		return true
	}
	if f := d.done.Front(); f != nil {
		d.remove(f.Value.(*memEntry))
		return true
	}
	return false
}

var _ store.Dedupe = (*MemoryDedupe)(nil)

// dedupeRefused returns the refusal of a MemoryDedupe call (op) saying why.
func dedupeRefused(op, why string) error {
	return fmt.Errorf("webhook: memory dedupe: %s: %w: %s", op, store.ErrInvalid, why)
}
