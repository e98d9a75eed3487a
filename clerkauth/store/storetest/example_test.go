package storetest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/clerkauth/memstore"
	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/clerkauth/store/storetest"
	"github.com/unioneyes/authkit/webhook"
)

// The test a store package writes: every check against fresh stores.
func ExampleRun() {
	_ = func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) (store.Users, store.Orgs) {
			s := memstore.New(memstore.Config{})
			return s, s
		})
		storetest.RunRevocations(t, func(t *testing.T) store.Revocations {
			return memstore.New(memstore.Config{})
		})
	}
}

// This is how a package proves its Dedupe keeps the contract; here the store is
// webhook.MemoryDedupe on a manual clock, which the checks advance instead of sleeping.
func ExampleRunDedupe() {
	_ = func(t *testing.T) {
		storetest.RunDedupe(t, func(t *testing.T) (store.Dedupe, func(time.Duration)) {
			clock := clerkauthtest.NewClock(time.Unix(1_700_000_000, 0))
			d, err := webhook.NewMemoryDedupe(webhook.MemoryDedupeConfig{Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			return d, clock.Advance
		})
	}
}

// Check returns the broken rules instead of failing the test: here, a
// test asserting that a store keeps the contract, listing what it breaks.
func ExampleCheck() {
	_ = func(t *testing.T) {
		errs := storetest.Check(t, func(t *testing.T) (store.Users, store.Orgs) {
			s := memstore.New(memstore.Config{})
			return s, s
		})
		for _, err := range errs {
			var f *storetest.Failure
			if errors.As(err, &f) {
				t.Errorf("check %s: %s", f.Check, f.Message)
			}
		}
	}
}
