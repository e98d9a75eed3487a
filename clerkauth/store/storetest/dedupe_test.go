package storetest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/clerkauth/store/storetest"
)

// flawedDedupe is a straightforward in-memory Dedupe that keeps the contract, except for
// the one flaw it is given: the kit must notice each.
type flawedDedupe struct {
	flaw string
	now  func() time.Time

	mu      sync.Mutex
	entries map[string]dedupeEntry
}

type dedupeEntry struct {
	owner   string // of a claim; "" for a done mark
	expires time.Time
}

func newFlawedDedupe(flaw string, now func() time.Time) *flawedDedupe {
	return &flawedDedupe{flaw: flaw, now: now, entries: map[string]dedupeEntry{}}
}

func (d *flawedDedupe) is(flaw string) bool { return d.flaw == flaw }

// refuse is the refusal the contract wants when bad, or a flawed one.
func (d *flawedDedupe) refuse(bad bool, what string) error {
	switch {
	case !bad, d.is("accepts-invalid"):
		return nil
	case d.is("refusal-not-errinvalid"):
		return errors.New("flawed: " + what)
	}
	return fmt.Errorf("%w: %s", store.ErrInvalid, what)
}

// live returns the entry of id if it has not expired; d.mu is held.
func (d *flawedDedupe) live(id string) (dedupeEntry, bool) {
	e, ok := d.entries[id]
	return e, ok && d.now().Before(e.expires)
}

func (d *flawedDedupe) Claim(_ context.Context, id, owner string, lease time.Duration) (store.ClaimResult, error) {
	if err := d.refuse(owner == "" || lease <= 0, "bad claim"); err != nil {
		return 0, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.is("claim-always-acquires") {
		d.entries[id] = dedupeEntry{owner: owner, expires: d.now().Add(lease)}
		return store.ClaimAcquired, nil
	}
	if e, ok := d.live(id); ok {
		if e.owner == "" {
			return store.ClaimDone, nil
		}
		return store.ClaimInProgress, nil
	}
	if d.is("lease-never-expires") {
		lease *= 1000
	}
	d.entries[id] = dedupeEntry{owner: owner, expires: d.now().Add(lease)}
	return store.ClaimAcquired, nil
}

func (d *flawedDedupe) Done(_ context.Context, id string, ttl time.Duration) error {
	if err := d.refuse(ttl <= 0, "bad TTL"); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.is("done-lost"):
		return nil
	case d.is("done-never-expires"):
		ttl *= 1000
	case d.is("done-keeps-lease"):
		// Releases the claim instead of marking the id done.
		delete(d.entries, id)
		return nil
	}
	d.entries[id] = dedupeEntry{expires: d.now().Add(ttl)}
	return nil
}

func (d *flawedDedupe) Release(_ context.Context, id, owner string) error {
	if err := d.refuse(owner == "", "bad owner"); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.live(id)
	switch {
	case d.is("release-noop"), !ok, e.owner == "":
	case d.is("release-ignores-owner"), e.owner == owner:
		// "release-ignores-owner" deletes whatever claim is there, as a plain DEL would.
		delete(d.entries, id)
	}
	return nil
}

// manualClock is a clock the checks move forward.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// flawedDedupes returns a factory of flawedDedupes with the flaw, each on a manual
// clock of its own.
func flawedDedupes(flaw string) storetest.DedupeFactory {
	return func(*testing.T) (store.Dedupe, func(time.Duration)) {
		c := &manualClock{t: time.Unix(1_700_000_000, 0)}
		return newFlawedDedupe(flaw, c.Now), c.Advance
	}
}

// The reference implementation keeps the contract, with a manual clock and in real time
// (one store shared by every check: the ids must not collide).
func TestCheckDedupePassesCorrectStore(t *testing.T) {
	t.Parallel()
	if errs := storetest.CheckDedupe(t, flawedDedupes("")); len(errs) > 0 {
		t.Fatalf("CheckDedupe found problems in a correct store:\n%v", errors.Join(errs...))
	}
	shared := newFlawedDedupe("", time.Now)
	errs := storetest.CheckDedupe(t, func(*testing.T) (store.Dedupe, func(time.Duration)) { return shared, nil })
	if len(errs) > 0 {
		t.Fatalf("CheckDedupe in real time found problems in a correct store:\n%v", errors.Join(errs...))
	}
}

// Each flaw must fail the listed checks.
func TestCheckDedupeCatchesFlaws(t *testing.T) {
	for flaw, want := range map[string][]string{
		"claim-always-acquires":  {"DedupeClaimAcquiresOnce", "DedupeConcurrentClaim"},
		"lease-never-expires":    {"DedupeLeaseExpires", "DedupeStaleReleaseKeepsNewClaim"},
		"done-lost":              {"DedupeDoneMakesDuplicate", "DedupeDoneWithoutClaim"},
		"done-never-expires":     {"DedupeDoneExpires"},
		"done-keeps-lease":       {"DedupeDoneOutlivesLease", "DedupeDoneMakesDuplicate"},
		"release-noop":           {"DedupeReleaseAllowsReclaim"},
		"release-ignores-owner":  {"DedupeStaleReleaseKeepsNewClaim", "DedupeReleaseByOtherOwnerKeepsClaim"},
		"accepts-invalid":        {"DedupeRefused"},
		"refusal-not-errinvalid": {"DedupeRefused"},
	} {
		t.Run(flaw, func(t *testing.T) {
			t.Parallel()
			got := failedChecks(t, storetest.CheckDedupe(t, flawedDedupes(flaw)))
			for _, name := range want {
				if !slices.Contains(got, name) {
					t.Errorf("check %s did not fail; failed: %q", name, got)
				}
			}
		})
	}
}

func TestCheckDedupeNoStore(t *testing.T) {
	errs := storetest.CheckDedupe(t, func(*testing.T) (store.Dedupe, func(time.Duration)) { return nil, nil })
	if len(errs) == 0 || errs[0].Error() != "storetest: DedupeClaimAcquiresOnce: the factory returned no store.Dedupe" {
		t.Errorf("no dedupe store: errors %v", errs)
	}
}
