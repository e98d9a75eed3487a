package dedupetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/unioneyes/authkit/webhook"
)

// Factory returns a store for one subtest and a function that moves the
// store's clock forward by d. If advance is nil, Run waits in real time
// instead, using leases and TTLs of a fraction of a second where expiry is
// tested (and of minutes elsewhere), which suits stores whose clock is a
// server's (Redis PX). The store may be
// shared between subtests: Run uses ids no other subtest or run uses.
type Factory func(t *testing.T) (d webhook.Dedupe, advance func(d time.Duration))

// Run checks that the stores newDedupe returns keep the [webhook.Dedupe]
// contract, each check in its own subtest:
//
//   - a first Claim acquires; a second, while the lease lives, is in
//     progress; ids are independent;
//   - after Done a Claim reports done, also when Done came without a
//     Claim, and Done outlives the claim's lease;
//   - Release by the claim's owner lets the next Claim acquire; releasing
//     an unknown id is not an error;
//   - Release by another owner leaves the claim in place, in particular
//     when the releasing delivery's lease expired and another delivery
//     claimed the id meanwhile (the fencing token at work);
//   - a claim whose lease expired can be acquired again; a done mark whose
//     TTL expired too;
//   - of 50 goroutines claiming one id at once, exactly one acquires and
//     the others see it in progress.
func Run(t *testing.T, newDedupe Factory) {
	t.Helper()
	run := &runner{newDedupe: newDedupe, prefix: randomPrefix(t)}
	t.Run("ClaimAcquiresOnce", run.claimAcquiresOnce)
	t.Run("IDsAreIndependent", run.idsAreIndependent)
	t.Run("DoneMakesDuplicate", run.doneMakesDuplicate)
	t.Run("DoneWithoutClaim", run.doneWithoutClaim)
	t.Run("ReleaseAllowsReclaim", run.releaseAllowsReclaim)
	t.Run("ReleaseUnknownID", run.releaseUnknownID)
	t.Run("ReleaseByOtherOwnerKeepsClaim", run.releaseByOtherOwnerKeepsClaim)
	t.Run("StaleReleaseKeepsNewClaim", run.staleReleaseKeepsNewClaim)
	t.Run("LeaseExpires", run.leaseExpires)
	t.Run("DoneOutlivesLease", run.doneOutlivesLease)
	t.Run("DoneExpires", run.doneExpires)
	t.Run("ConcurrentClaim", run.concurrentClaim)
}

type runner struct {
	newDedupe Factory
	prefix    string
}

// times are the durations a subtest uses and how it lets time pass. lease
// and ttl are long enough that nothing expires during a subtest; the
// expiring ones are used only where expiry is the point.
type times struct {
	lease, ttl                 time.Duration
	expiringLease, expiringTTL time.Duration
	wait                       func(time.Duration)
}

// store returns a fresh store, its durations and an id unique to the
// subtest.
func (r *runner) store(t *testing.T) (webhook.Dedupe, times, func(string) string) {
	t.Helper()
	d, advance := r.newDedupe(t)
	if d == nil {
		t.Fatal("dedupetest: the factory returned a nil store")
	}
	tm := times{
		lease: 2 * time.Minute, ttl: 72 * time.Hour,
		expiringLease: 2 * time.Minute, expiringTTL: 72 * time.Hour,
		wait: advance,
	}
	if advance == nil {
		// Real time: keep what a real store holds short-lived, and the
		// expiring durations far apart from the long ones.
		tm = times{
			lease: time.Minute, ttl: 10 * time.Minute,
			expiringLease: 150 * time.Millisecond, expiringTTL: 300 * time.Millisecond,
			wait: time.Sleep,
		}
	}
	name := t.Name()
	return d, tm, func(s string) string { return r.prefix + "/" + name + "/" + s }
}

func claim(t *testing.T, d webhook.Dedupe, id, owner string, lease time.Duration, want webhook.ClaimResult) {
	t.Helper()
	got, err := d.Claim(context.Background(), id, owner, lease)
	if err != nil {
		t.Fatalf("Claim(%q, owner %q): unexpected error: %v", id, owner, err)
	}
	if got != want {
		t.Fatalf("Claim(%q, owner %q) = %v, want %v", id, owner, got, want)
	}
}

func done(t *testing.T, d webhook.Dedupe, id string, ttl time.Duration) {
	t.Helper()
	if err := d.Done(context.Background(), id, ttl); err != nil {
		t.Fatalf("Done(%q): unexpected error: %v", id, err)
	}
}

func release(t *testing.T, d webhook.Dedupe, id, owner string) {
	t.Helper()
	if err := d.Release(context.Background(), id, owner); err != nil {
		t.Fatalf("Release(%q, owner %q): unexpected error: %v", id, owner, err)
	}
}

func (r *runner) claimAcquiresOnce(t *testing.T) {
	d, tm, id := r.store(t)
	claim(t, d, id("a"), "A", tm.lease, webhook.ClaimAcquired)
	claim(t, d, id("a"), "B", tm.lease, webhook.ClaimInProgress)
	claim(t, d, id("a"), "A", tm.lease, webhook.ClaimInProgress)
}

func (r *runner) idsAreIndependent(t *testing.T) {
	d, tm, id := r.store(t)
	claim(t, d, id("a"), "A", tm.lease, webhook.ClaimAcquired)
	claim(t, d, id("b"), "B", tm.lease, webhook.ClaimAcquired)
	done(t, d, id("a"), tm.ttl)
	claim(t, d, id("b"), "C", tm.lease, webhook.ClaimInProgress)
	release(t, d, id("b"), "B")
	claim(t, d, id("a"), "D", tm.lease, webhook.ClaimDone)
}

func (r *runner) doneMakesDuplicate(t *testing.T) {
	d, tm, id := r.store(t)
	claim(t, d, id("a"), "A", tm.lease, webhook.ClaimAcquired)
	done(t, d, id("a"), tm.ttl)
	claim(t, d, id("a"), "B", tm.lease, webhook.ClaimDone)
	claim(t, d, id("a"), "A", tm.lease, webhook.ClaimDone)
}

func (r *runner) doneWithoutClaim(t *testing.T) {
	d, tm, id := r.store(t)
	done(t, d, id("a"), tm.ttl)
	claim(t, d, id("a"), "A", tm.lease, webhook.ClaimDone)
}

func (r *runner) releaseAllowsReclaim(t *testing.T) {
	d, tm, id := r.store(t)
	claim(t, d, id("a"), "A", tm.lease, webhook.ClaimAcquired)
	release(t, d, id("a"), "A")
	claim(t, d, id("a"), "B", tm.lease, webhook.ClaimAcquired)
	claim(t, d, id("a"), "C", tm.lease, webhook.ClaimInProgress)
}

func (r *runner) releaseUnknownID(t *testing.T) {
	d, tm, id := r.store(t)
	release(t, d, id("never-claimed"), "A")
	claim(t, d, id("never-claimed"), "A", tm.lease, webhook.ClaimAcquired)
}

// releaseByOtherOwnerKeepsClaim: a Release names the owner it releases
// for; another owner's claim stays.
func (r *runner) releaseByOtherOwnerKeepsClaim(t *testing.T) {
	d, tm, id := r.store(t)
	claim(t, d, id("a"), "A", tm.lease, webhook.ClaimAcquired)
	release(t, d, id("a"), "B")
	claim(t, d, id("a"), "C", tm.lease, webhook.ClaimInProgress)
	release(t, d, id("a"), "A")
	claim(t, d, id("a"), "D", tm.lease, webhook.ClaimAcquired)
}

// staleReleaseKeepsNewClaim: A's lease expires while A still runs, B
// claims the id, A fails and releases; B's claim must stay, so C is told
// the id is in progress (else C and B would process the message at once).
func (r *runner) staleReleaseKeepsNewClaim(t *testing.T) {
	d, tm, id := r.store(t)
	claim(t, d, id("a"), "A", tm.expiringLease, webhook.ClaimAcquired)
	tm.wait(tm.expiringLease + tm.expiringLease/2)
	claim(t, d, id("a"), "B", tm.lease, webhook.ClaimAcquired)
	release(t, d, id("a"), "A")
	claim(t, d, id("a"), "C", tm.lease, webhook.ClaimInProgress)
	release(t, d, id("a"), "B")
	claim(t, d, id("a"), "C", tm.lease, webhook.ClaimAcquired)
}

func (r *runner) leaseExpires(t *testing.T) {
	d, tm, id := r.store(t)
	claim(t, d, id("a"), "A", tm.expiringLease, webhook.ClaimAcquired)
	tm.wait(tm.expiringLease + tm.expiringLease/2)
	claim(t, d, id("a"), "B", tm.lease, webhook.ClaimAcquired)
}

func (r *runner) doneOutlivesLease(t *testing.T) {
	d, tm, id := r.store(t)
	claim(t, d, id("a"), "A", tm.expiringLease, webhook.ClaimAcquired)
	done(t, d, id("a"), tm.ttl)
	tm.wait(tm.expiringLease + tm.expiringLease/2)
	claim(t, d, id("a"), "B", tm.lease, webhook.ClaimDone)
}

func (r *runner) doneExpires(t *testing.T) {
	d, tm, id := r.store(t)
	claim(t, d, id("a"), "A", tm.lease, webhook.ClaimAcquired)
	done(t, d, id("a"), tm.expiringTTL)
	tm.wait(tm.expiringTTL + tm.expiringTTL/2)
	claim(t, d, id("a"), "B", tm.lease, webhook.ClaimAcquired)
}

func (r *runner) concurrentClaim(t *testing.T) {
	d, _, id := r.store(t)
	const n = 50
	// A long lease, whatever the clock: nothing may expire during the race.
	const lease = time.Hour
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		results = make([]webhook.ClaimResult, n)
		errs    = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			results[i], errs[i] = d.Claim(context.Background(), id("race"), "owner-"+strconv.Itoa(i), lease)
		})
	}
	close(start)
	wg.Wait()
	acquired := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Claim #%d: unexpected error: %v", i, errs[i])
		}
		switch results[i] {
		case webhook.ClaimAcquired:
			acquired++
		case webhook.ClaimInProgress:
		default:
			t.Errorf("Claim #%d = %v, want acquired or in progress", i, results[i])
		}
	}
	if acquired != 1 {
		t.Fatalf("%d of %d concurrent Claims acquired the id, want exactly 1", acquired, n)
	}
}

func randomPrefix(t *testing.T) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("dedupetest: random id prefix: %v", err)
	}
	return "dedupetest-" + hex.EncodeToString(b[:])
}
