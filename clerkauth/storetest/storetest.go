package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"runtime/debug"
	"testing"

	"github.com/unioneyes/authkit/clerkauth"
)

// Factory returns the stores one check runs against. Either may be nil, not
// both: the checks of a nil store are skipped. Every check calls it once,
// and uses ids no other check or run uses, so a factory may return fresh
// stores (the usual case, which isolates checks completely) or share one
// store between checks.
type Factory func(t *testing.T) (clerkauth.UserStore, clerkauth.OrgStore)

// RevocationFactory returns the store one revocation check runs against,
// as [Factory] does.
type RevocationFactory func(t *testing.T) clerkauth.RevocationStore

// Failure is one broken rule, as [Check] and [CheckRevocations] report it.
type Failure struct {
	// Check is the check that found it; [Run] names its subtest after it.
	Check string
	// Message says what the store did and what the contract wants.
	Message string
}

// Error returns "storetest: <check>: <message>".
func (f *Failure) Error() string { return "storetest: " + f.Check + ": " + f.Message }

// Run checks that the stores newStores returns keep the [clerkauth.UserStore]
// and [clerkauth.OrgStore] contracts, each check in a subtest of its own
// (see the package documentation for the list). It fails t for every broken
// rule.
func Run(t *testing.T, newStores Factory) {
	t.Helper()
	for _, ch := range storeChecks {
		t.Run(ch.name, func(t *testing.T) {
			users, orgs := newStores(t)
			if users == nil && orgs == nil {
				t.Fatal("storetest: the factory returned neither a UserStore nor an OrgStore")
			}
			if skip := ch.skip(users, orgs, nil); skip != "" {
				t.Skip("storetest: " + skip)
			}
			for _, msg := range ch.run(users, orgs, nil) {
				t.Error(msg)
			}
		})
	}
}

// Check runs the checks of [Run] and returns what they found instead of
// failing t, which it only hands to newStores (for t.TempDir, t.Cleanup and
// the like). It is how a test proves that a store is broken, and how this
// package proves that Run catches broken stores.
func Check(t *testing.T, newStores Factory) []error {
	t.Helper()
	var errs []error
	for _, ch := range storeChecks {
		users, orgs := newStores(t)
		if users == nil && orgs == nil {
			errs = append(errs, &Failure{ch.name, "the factory returned neither a UserStore nor an OrgStore"})
			continue
		}
		if ch.skip(users, orgs, nil) != "" {
			continue
		}
		for _, msg := range ch.run(users, orgs, nil) {
			errs = append(errs, &Failure{ch.name, msg})
		}
	}
	return errs
}

// RunRevocations checks that the stores newStore returns keep the
// [clerkauth.RevocationStore] contract, each check in a subtest of its own.
//
// It revokes sessions until an hour from now and until an hour ago, by
// [time.Now]: the store's clock (a database's or Redis's) must be within
// minutes of the test's. It never sleeps.
func RunRevocations(t *testing.T, newStore RevocationFactory) {
	t.Helper()
	for _, ch := range revocationChecks {
		t.Run(ch.name, func(t *testing.T) {
			rev := newStore(t)
			if rev == nil {
				t.Fatal("storetest: the factory returned no RevocationStore")
			}
			for _, msg := range ch.run(nil, nil, rev) {
				t.Error(msg)
			}
		})
	}
}

// CheckRevocations runs the checks of [RunRevocations] and returns what
// they found instead of failing t, as [Check] does.
func CheckRevocations(t *testing.T, newStore RevocationFactory) []error {
	t.Helper()
	var errs []error
	for _, ch := range revocationChecks {
		rev := newStore(t)
		if rev == nil {
			errs = append(errs, &Failure{ch.name, "the factory returned no RevocationStore"})
			continue
		}
		for _, msg := range ch.run(nil, nil, rev) {
			errs = append(errs, &Failure{ch.name, msg})
		}
	}
	return errs
}

// needs says which stores a check uses.
type needs int

const (
	needUsers needs = 1 << iota
	needOrgs
	needRevocations
	// needOrgUsers: an OrgStore that is also a UserStore, holding the
	// users its memberships refer to.
	needOrgUsers
)

type check struct {
	name  string
	needs needs
	fn    func(c *checker)
}

func (ch check) skip(users clerkauth.UserStore, orgs clerkauth.OrgStore, rev clerkauth.RevocationStore) string {
	switch {
	case ch.needs&needUsers != 0 && users == nil:
		return "no UserStore to check"
	case ch.needs&needOrgs != 0 && orgs == nil:
		return "no OrgStore to check"
	case ch.needs&needRevocations != 0 && rev == nil:
		return "no RevocationStore to check"
	}
	if ch.needs&needOrgUsers != 0 {
		if _, ok := orgs.(clerkauth.UserStore); !ok {
			return "the OrgStore is not also a UserStore"
		}
	}
	return ""
}

// run runs the check and returns its failure messages. A panic of the
// store becomes a failure.
func (ch check) run(users clerkauth.UserStore, orgs clerkauth.OrgStore, rev clerkauth.RevocationStore) (msgs []string) {
	c := &checker{
		ctx:   context.Background(),
		users: users,
		orgs:  orgs,
		rev:   rev,
		token: randomToken(),
	}
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(abort); !ok {
				c.errorf("the store panicked: %v\n%s", p, debug.Stack())
			}
		}
		msgs = c.msgs
	}()
	ch.fn(c)
	return c.msgs
}

// checker is the state of one check.
type checker struct {
	ctx   context.Context
	users clerkauth.UserStore
	orgs  clerkauth.OrgStore
	rev   clerkauth.RevocationStore
	token string
	msgs  []string
}

// abort is the panic value with which fatalf ends a check.
type abort struct{}

func (c *checker) errorf(format string, args ...any) {
	c.msgs = append(c.msgs, fmt.Sprintf(format, args...))
}

// fatalf records a failure and ends the check. Only the check's own
// goroutine may call it.
func (c *checker) fatalf(format string, args ...any) {
	c.errorf(format, args...)
	panic(abort{})
}

// id returns name made unique to this check: "user_a" becomes
// "user_a_<16 hex digits>".
func (c *checker) id(name string) string { return name + "_" + c.token }

func randomToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
