package storetest

import (
	"context"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

var dedupeChecks = []check{
	{"DedupeClaimAcquiresOnce", needDedupe, checkDedupeClaimAcquiresOnce},
	{"DedupeIDsAreIndependent", needDedupe, checkDedupeIDsAreIndependent},
	{"DedupeDoneMakesDuplicate", needDedupe, checkDedupeDoneMakesDuplicate},
	{"DedupeDoneWithoutClaim", needDedupe, checkDedupeDoneWithoutClaim},
	{"DedupeReleaseAllowsReclaim", needDedupe, checkDedupeReleaseAllowsReclaim},
	{"DedupeReleaseUnknownID", needDedupe, checkDedupeReleaseUnknownID},
	{"DedupeReleaseByOtherOwnerKeepsClaim", needDedupe, checkDedupeReleaseByOtherOwnerKeepsClaim},
	{"DedupeStaleReleaseKeepsNewClaim", needDedupe, checkDedupeStaleReleaseKeepsNewClaim},
	{"DedupeLeaseExpires", needDedupe, checkDedupeLeaseExpires},
	{"DedupeDoneOutlivesLease", needDedupe, checkDedupeDoneOutlivesLease},
	{"DedupeDoneExpires", needDedupe, checkDedupeDoneExpires},
	{"DedupeConcurrentClaim", needDedupe, checkDedupeConcurrentClaim},
	{"DedupeRefused", needDedupe, checkDedupeRefused},
}

// dedupeTimes are the durations a dedupe check uses and how it lets time pass. lease
// and ttl are long enough that nothing expires during a check; the expiring ones are
// used only where expiry is the point.
type dedupeTimes struct {
	lease, ttl                 time.Duration
	expiringLease, expiringTTL time.Duration
	wait                       func(time.Duration)
}

// dedupeTimesFor returns the durations for a store whose clock advance moves, or, for a
// nil advance, for a store on real time: what it holds short-lived, and the expiring
// durations far apart from the long ones.
func dedupeTimesFor(advance func(time.Duration)) dedupeTimes {
	if advance == nil {
		return dedupeTimes{
			lease: time.Minute, ttl: 10 * time.Minute,
			expiringLease: 150 * time.Millisecond, expiringTTL: 300 * time.Millisecond,
			wait: time.Sleep,
		}
	}
	return dedupeTimes{
		lease: 2 * time.Minute, ttl: 72 * time.Hour,
		expiringLease: 2 * time.Minute, expiringTTL: 72 * time.Hour,
		wait: advance,
	}
}

func (c *checker) claim(id, owner string, lease time.Duration, want store.ClaimResult) {
	got, err := c.dedupe.Claim(c.ctx, id, owner, lease)
	if err != nil {
		c.fatalf("Claim(%s, owner %s): unexpected error: %v", id, owner, err)
	}
	if got != want {
		c.fatalf("Claim(%s, owner %s) = %v, want %v", id, owner, got, want)
	}
}

func (c *checker) done(id string, ttl time.Duration) {
	if err := c.dedupe.Done(c.ctx, id, ttl); err != nil {
		c.fatalf("Done(%s): unexpected error: %v", id, err)
	}
}

func (c *checker) release(id, owner string) {
	if err := c.dedupe.Release(c.ctx, id, owner); err != nil {
		c.fatalf("Release(%s, owner %s): unexpected error: %v", id, owner, err)
	}
}

func checkDedupeClaimAcquiresOnce(c *checker) {
	id, tm := c.id("msg_a"), c.times
	c.claim(id, "A", tm.lease, store.ClaimAcquired)
	c.claim(id, "B", tm.lease, store.ClaimInProgress)
	c.claim(id, "A", tm.lease, store.ClaimInProgress)
}

func checkDedupeIDsAreIndependent(c *checker) {
	a, b, tm := c.id("msg_a"), c.id("msg_b"), c.times
	c.claim(a, "A", tm.lease, store.ClaimAcquired)
	c.claim(b, "B", tm.lease, store.ClaimAcquired)
	c.done(a, tm.ttl)
	c.claim(b, "C", tm.lease, store.ClaimInProgress)
	c.release(b, "B")
	c.claim(a, "D", tm.lease, store.ClaimDone)
}

func checkDedupeDoneMakesDuplicate(c *checker) {
	id, tm := c.id("msg_a"), c.times
	c.claim(id, "A", tm.lease, store.ClaimAcquired)
	c.done(id, tm.ttl)
	c.claim(id, "B", tm.lease, store.ClaimDone)
	c.claim(id, "A", tm.lease, store.ClaimDone)
}

func checkDedupeDoneWithoutClaim(c *checker) {
	id, tm := c.id("msg_a"), c.times
	c.done(id, tm.ttl)
	c.claim(id, "A", tm.lease, store.ClaimDone)
}

func checkDedupeReleaseAllowsReclaim(c *checker) {
	id, tm := c.id("msg_a"), c.times
	c.claim(id, "A", tm.lease, store.ClaimAcquired)
	c.release(id, "A")
	c.claim(id, "B", tm.lease, store.ClaimAcquired)
	c.claim(id, "C", tm.lease, store.ClaimInProgress)
}

func checkDedupeReleaseUnknownID(c *checker) {
	id, tm := c.id("msg_never_claimed"), c.times
	c.release(id, "A")
	c.claim(id, "A", tm.lease, store.ClaimAcquired)
}

// A Release names the owner it releases for; another owner's claim stays.
func checkDedupeReleaseByOtherOwnerKeepsClaim(c *checker) {
	id, tm := c.id("msg_a"), c.times
	c.claim(id, "A", tm.lease, store.ClaimAcquired)
	c.release(id, "B")
	c.claim(id, "C", tm.lease, store.ClaimInProgress)
	c.release(id, "A")
	c.claim(id, "D", tm.lease, store.ClaimAcquired)
}

// A's lease expires while A still runs, B claims the id, A fails and releases; B's claim
// must stay, so C is told the id is in progress (else C and B would process the message
// at once).
func checkDedupeStaleReleaseKeepsNewClaim(c *checker) {
	id, tm := c.id("msg_a"), c.times
	c.claim(id, "A", tm.expiringLease, store.ClaimAcquired)
	tm.wait(tm.expiringLease + tm.expiringLease/2)
	c.claim(id, "B", tm.lease, store.ClaimAcquired)
	c.release(id, "A")
	c.claim(id, "C", tm.lease, store.ClaimInProgress)
	c.release(id, "B")
	c.claim(id, "C", tm.lease, store.ClaimAcquired)
}

func checkDedupeLeaseExpires(c *checker) {
	id, tm := c.id("msg_a"), c.times
	c.claim(id, "A", tm.expiringLease, store.ClaimAcquired)
	tm.wait(tm.expiringLease + tm.expiringLease/2)
	c.claim(id, "B", tm.lease, store.ClaimAcquired)
}

func checkDedupeDoneOutlivesLease(c *checker) {
	id, tm := c.id("msg_a"), c.times
	c.claim(id, "A", tm.expiringLease, store.ClaimAcquired)
	c.done(id, tm.ttl)
	tm.wait(tm.expiringLease + tm.expiringLease/2)
	c.claim(id, "B", tm.lease, store.ClaimDone)
}

func checkDedupeDoneExpires(c *checker) {
	id, tm := c.id("msg_a"), c.times
	c.claim(id, "A", tm.lease, store.ClaimAcquired)
	c.done(id, tm.expiringTTL)
	tm.wait(tm.expiringTTL + tm.expiringTTL/2)
	c.claim(id, "B", tm.lease, store.ClaimAcquired)
}

// Of 50 goroutines claiming one id at once, exactly one acquires and the others see it
// in progress.
func checkDedupeConcurrentClaim(c *checker) {
	id := c.id("msg_race")
	// A long lease, whatever the clock: nothing may expire during the race.
	const lease = time.Hour
	results := make([]store.ClaimResult, writers)
	errs := race(writers, func(i int) error {
		var err error
		results[i], err = c.dedupe.Claim(c.ctx, id, fmt.Sprintf("owner-%d", i), lease)
		return err
	})
	c.noErrors("concurrent Claim", errs)
	acquired := 0
	for i, r := range results {
		switch r {
		case store.ClaimAcquired:
			acquired++
		case store.ClaimInProgress:
		default:
			c.errorf("concurrent Claim #%d = %v, want acquired or in progress", i, r)
		}
	}
	if acquired != 1 {
		c.errorf("%d of %d concurrent Claims acquired the id, want exactly 1", acquired, writers)
	}
}

// An empty owner, and a lease or TTL that is not positive, are refused with ErrInvalid
// and change nothing.
func checkDedupeRefused(c *checker) {
	id, tm := c.id("msg_a"), c.times
	for _, cl := range []struct {
		name string
		fn   func(ctx context.Context) error
	}{
		{"Claim with an empty owner", func(ctx context.Context) error {
			_, err := c.dedupe.Claim(ctx, id, "", tm.lease)
			return err
		}},
		{"Claim with a zero lease", func(ctx context.Context) error {
			_, err := c.dedupe.Claim(ctx, id, "A", 0)
			return err
		}},
		{"Claim with a negative lease", func(ctx context.Context) error {
			_, err := c.dedupe.Claim(ctx, id, "A", -time.Minute)
			return err
		}},
		{"Done with a zero TTL", func(ctx context.Context) error { return c.dedupe.Done(ctx, id, 0) }},
		{"Done with a negative TTL", func(ctx context.Context) error { return c.dedupe.Done(ctx, id, -time.Hour) }},
		{"Release with an empty owner", func(ctx context.Context) error { return c.dedupe.Release(ctx, id, "") }},
	} {
		c.wantRefused(cl.name, cl.fn(c.ctx))
	}
	c.claim(id, "A", tm.lease, store.ClaimAcquired)
	c.wantRefused("Release with an empty owner of a claimed id", c.dedupe.Release(c.ctx, id, ""))
	c.claim(id, "B", tm.lease, store.ClaimInProgress)
}
