package dedupetest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"

	"github.com/unioneyes/authkit/webhook"
	"github.com/unioneyes/authkit/webhook/dedupetest"
)

// brokenDedupe wraps a MemoryDedupe and breaks one part of the contract.
type brokenDedupe struct {
	*webhook.MemoryDedupe
	flaw   string
	owners *sync.Map // id → owner of the last acquired claim
}

func (b brokenDedupe) Claim(ctx context.Context, id, owner string, lease time.Duration) (webhook.ClaimResult, error) {
	switch b.flaw {
	case "claim-always-acquires":
		return webhook.ClaimAcquired, nil
	case "lease-never-expires":
		lease *= 1000
	}
	r, err := b.MemoryDedupe.Claim(ctx, id, owner, lease)
	if r == webhook.ClaimAcquired {
		b.owners.Store(id, owner)
	}
	return r, err
}

func (b brokenDedupe) Done(ctx context.Context, id string, ttl time.Duration) error {
	switch b.flaw {
	case "done-lost":
		return nil
	case "done-never-expires":
		ttl *= 1000
	case "done-keeps-lease":
		if owner, ok := b.owners.Load(id); ok {
			return b.MemoryDedupe.Release(ctx, id, owner.(string))
		}
		return nil
	}
	return b.MemoryDedupe.Done(ctx, id, ttl)
}

func (b brokenDedupe) Release(ctx context.Context, id, owner string) error {
	switch b.flaw {
	case "release-noop":
		return nil
	case "release-ignores-owner":
		// Deletes whatever claim is there, as a plain DEL would.
		if holder, ok := b.owners.Load(id); ok {
			owner = holder.(string)
		}
	}
	return b.MemoryDedupe.Release(ctx, id, owner)
}

const flawEnv = "DEDUPETEST_FLAW"

// TestBrokenStoreHelper is run as a subprocess by TestRunDetectsFlaws; on
// its own it has nothing to do.
func TestBrokenStoreHelper(t *testing.T) {
	flaw := os.Getenv(flawEnv)
	if flaw == "" {
		return
	}
	dedupetest.Run(t, func(t *testing.T) (webhook.Dedupe, func(time.Duration)) {
		c := clerkauthtest.NewClock(time.Unix(1_700_000_000, 0))
		d, err := webhook.NewMemoryDedupe(webhook.MemoryDedupeConfig{Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		return brokenDedupe{d, flaw, &sync.Map{}}, c.Advance
	})
}

// Run must fail a store with any of these flaws, in the named subtest.
func TestRunDetectsFlaws(t *testing.T) {
	for flaw, subtest := range map[string]string{
		"claim-always-acquires": "ClaimAcquiresOnce",
		"lease-never-expires":   "LeaseExpires",
		"done-lost":             "DoneMakesDuplicate",
		"done-never-expires":    "DoneExpires",
		"done-keeps-lease":      "DoneOutlivesLease",
		"release-noop":          "ReleaseAllowsReclaim",
		"release-ignores-owner": "StaleReleaseKeepsNewClaim",
	} {
		t.Run(flaw, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenStoreHelper$", "-test.v")
			cmd.Env = append(os.Environ(), flawEnv+"="+flaw)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("Run passed a store whose flaw is %s:\n%s", flaw, out)
			}
			if want := "--- FAIL: TestBrokenStoreHelper/" + subtest + " "; !strings.Contains(string(out), want) {
				t.Fatalf("output lacks %q:\n%s", want, out)
			}
		})
	}
}

// The package's own test: the contract holds for MemoryDedupe, with a
// manual clock and in real time.
func TestRunMemoryDedupe(t *testing.T) {
	t.Run("ManualClock", func(t *testing.T) {
		dedupetest.Run(t, func(t *testing.T) (webhook.Dedupe, func(time.Duration)) {
			c := clerkauthtest.NewClock(time.Unix(1_700_000_000, 0))
			d, err := webhook.NewMemoryDedupe(webhook.MemoryDedupeConfig{Now: c.Now})
			if err != nil {
				t.Fatal(err)
			}
			return d, c.Advance
		})
	})
	t.Run("RealTime", func(t *testing.T) {
		d, err := webhook.NewMemoryDedupe(webhook.MemoryDedupeConfig{})
		if err != nil {
			t.Fatal(err)
		}
		// One store shared by every subtest: the ids must not collide.
		dedupetest.Run(t, func(t *testing.T) (webhook.Dedupe, func(time.Duration)) { return d, nil })
	})
}
