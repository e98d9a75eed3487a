package machine

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/unioneyes/authkit/clerkauth"
)

// bapiTier is the standing of a call to the Backend API. The budget keeps a reserve for
// each tier that the tiers below it cannot spend, so that a flood of made-up tokens
// (all tierNew) never takes the calls that keep known credentials working.
type bapiTier uint8

const (
	// tierNew is a token this verifier has no answer for, presented for the first time
	// (or the first time in a while).
	tierNew bapiTier = iota
	// tierRetried is a token this verifier has no answer for, refused earlier because
	// the budget was spent, and presented again: what a client retrying after a 503
	// does, and what a flood of distinct made-up tokens does not.
	tierRetried
	// tierKnown is the revalidation of a credential Clerk accepted before.
	tierKnown
)

// String names the tier in logs.
func (t bapiTier) String() string {
	switch t {
	case tierNew:
		return "new"
	case tierRetried:
		return "retried"
	default:
		return "known"
	}
}

// bapiBudget admits calls to the Backend API: a token bucket (MaxCallsPerSecond, holding
// MaxCallBurst calls) and a count of calls in flight (MaxConcurrentCalls), shared by the
// three tiers with reserves. A call of tierNew must leave half the bucket (rounded
// down) and half the slots (rounded down) to the others; one of tierRetried a quarter
// of each; one of tierKnown may take everything. Whoever is below a tier's reserve is
// served first: while made-up tokens keep the bucket at its half, every call the refill
// brings below it goes to a revalidation or a retried token. At least one slot is open
// to every tier, so one slot means no reserve of slots.
type bapiBudget struct {
	mu       sync.Mutex
	calls    *rate.Limiter // fed the injected clock
	depth    int           // the bucket's size, MaxCallBurst
	slots    int           // MaxConcurrentCalls
	inFlight int
}

func newBAPIBudget(perSecond float64, burst, slots int) *bapiBudget {
	return &bapiBudget{calls: rate.NewLimiter(rate.Limit(perSecond), burst), depth: burst, slots: slots}
}

// reserve returns what a call of tier t must leave to the tiers above it: calls in the
// bucket, and free slots.
func (b *bapiBudget) reserve(t bapiTier) (calls, slots int) {
	switch t {
	case tierNew:
		return b.depth / 2, b.slots / 2
	case tierRetried:
		return b.depth / 4, b.slots / 4
	default:
		return 0, 0
	}
}

// take admits one call of tier t at now, or names the limit that refuses it
// ("max_concurrent_calls" or "max_calls_per_second"). An admitted call holds a slot
// until done. A refusal spends nothing.
func (b *bapiBudget) take(now time.Time, t bapiTier) (reason string, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	calls, slots := b.reserve(t)
	if b.inFlight >= max(b.slots-slots, 1) {
		return "max_concurrent_calls", false
	}
	if b.calls.TokensAt(now) < float64(calls+1) || !b.calls.AllowN(now, 1) {
		return "max_calls_per_second", false
	}
	b.inFlight++
	return "", true
}

// done ends a call admitted by take.
func (b *bapiBudget) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inFlight--
}

// bapiRetriedSize is how many tokens refused for lack of budget bapiRetried remembers:
// at a flood of 1,000 made-up tokens a second, the last 16 s of them, so a client
// retrying within that time is recognised.
const bapiRetriedSize = 1 << 14

// bapiRetried remembers the last bapiRetriedSize tokens refused for lack of budget, by
// a 64-bit fingerprint of their SHA-256 (never the token), oldest forgotten first. A
// token found there is presented again: tierRetried.
type bapiRetried struct {
	mu   sync.Mutex
	next uint64            // sequence number of the next mention, from 1
	seen map[uint64]uint64 // fingerprint → sequence number of its latest mention
	ring []bapiMention     // the latest mentions; allocated at the first refusal
}

// bapiMention is one entry of bapiRetried's ring.
type bapiMention struct{ fp, seq uint64 }

// fingerprint is the part of a token's SHA-256 that bapiRetried keeps.
func fingerprint(key [sha256.Size]byte) uint64 { return binary.LittleEndian.Uint64(key[:8]) }

// add remembers fp as refused now, forgetting the oldest mention when full.
func (r *bapiRetried) add(fp uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ring == nil {
		r.ring = make([]bapiMention, bapiRetriedSize)
		r.seen = make(map[uint64]uint64)
		r.next = 1
	}
	slot := &r.ring[r.next%bapiRetriedSize]
	if slot.seq != 0 && r.seen[slot.fp] == slot.seq {
		delete(r.seen, slot.fp) // its latest mention is the one overwritten
	}
	*slot = bapiMention{fp: fp, seq: r.next}
	r.seen[fp] = r.next
	r.next++
}

// has reports whether fp is remembered.
func (r *bapiRetried) has(fp uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.seen[fp]
	return ok
}

// forget drops fp (Clerk has answered for it). Its ring entry is skipped when reused.
func (r *bapiRetried) forget(fp uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.seen, fp)
}

// acquire admits one call of tier to the Backend API at now, or refuses it at once with
// an error wrapping clerkauth.ErrBackendAPI and ErrBackendAPIThrottled (a 429's pause is
// running) or ErrBackendAPIRateLimited (the tier's share of the calls in flight or of the
// calls-per-second budget is spent). An admitted call holds a slot until release. A
// refusal spends nothing: a pause is checked first.
func (b *BackendAPI) acquire(ep *bapiEndpoint, tier bapiTier, now time.Time) error {
	if until, paused := b.pause.active(now); paused {
		b.notCalled(ep, tier, "clerk_retry_after", slog.Time("until", until))
		return fmt.Errorf("%w: %w: no call until %s (Clerk's Retry-After)", clerkauth.ErrBackendAPI, ErrBackendAPIThrottled,
			until.UTC().Format(time.RFC3339))
	}
	if reason, ok := b.budget.take(now, tier); !ok {
		b.notCalled(ep, tier, reason)
		return fmt.Errorf("%w: %w: %s (%s tier)", clerkauth.ErrBackendAPI, ErrBackendAPIRateLimited, reason, tier)
	}
	return nil
}

// release ends a call admitted by acquire.
func (b *BackendAPI) release() { b.budget.done() }

// notCalled logs a call not made because of a limit, at most once per bapiWarnLogEvery
// (a flood of made-up tokens must not flood the logs too).
func (b *BackendAPI) notCalled(ep *bapiEndpoint, tier bapiTier, reason string, attrs ...slog.Attr) {
	ok, suppressed := b.limitLog.allow(b.now(), bapiWarnLogEvery)
	if !ok {
		return
	}
	attrs = append(attrs, slog.String("reason", reason), slog.String("kind", string(ep.kind)),
		slog.String("tier", tier.String()), slog.Int("suppressed", suppressed))
	b.log.LogAttrs(context.Background(), slog.LevelWarn,
		"machine: Clerk Backend API call not made: limit reached", attrs...)
}
