package storetest_test

import (
	"errors"
	"testing"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/memstore"
	"github.com/unioneyes/authkit/clerkauth/storetest"
)

// The test a store package writes: every check against fresh stores.
func ExampleRun() {
	_ = func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) (clerkauth.UserStore, clerkauth.OrgStore) {
			s := memstore.New(memstore.Config{})
			return s, s
		})
		storetest.RunRevocations(t, func(t *testing.T) clerkauth.RevocationStore {
			return memstore.New(memstore.Config{})
		})
	}
}

// Check returns the broken rules instead of failing the test: here, a
// test asserting that a store keeps the contract, listing what it breaks.
func ExampleCheck() {
	_ = func(t *testing.T) {
		errs := storetest.Check(t, func(t *testing.T) (clerkauth.UserStore, clerkauth.OrgStore) {
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
