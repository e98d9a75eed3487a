package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"runtime/debug"
	"testing"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// Factory returns the stores one check runs against. Either may be nil, not both: the
// checks of a nil store are skipped. Every check calls it once, and uses ids no other
// check or run uses, so a factory may return fresh stores (the usual case, which
// isolates checks completely) or share one store between checks.
type Factory func(t *testing.T) (store.Users, store.Orgs)

// RevocationsFactory returns the store one revocation check runs against, as [Factory]
// does.
type RevocationsFactory func(t *testing.T) store.Revocations

// DedupeFactory returns the store one dedupe check runs against, as [Factory] does, and
// a function that moves the store's clock forward by d. If advance is nil, the checks
// wait in real time instead, using leases and TTLs of a fraction of a second where expiry
// is checked (and of minutes elsewhere), which suits stores whose clock is a server's
// (Redis PX).
type DedupeFactory func(t *testing.T) (d store.Dedupe, advance func(d time.Duration))

// Failure is one broken rule, as [Check], [CheckRevocations] and [CheckDedupe] report
// it.
type Failure struct {
	// Check is the check that found it; [Run] names its subtest after it.
	Check string
	// Message says what the store did and what the contract wants.
	Message string
}

// Error returns "storetest: <check>: <message>".
func (f *Failure) Error() string { return "storetest: " + f.Check + ": " + f.Message }

// Run checks that the stores newStores returns keep the [store.Users] and [store.Orgs]
// contracts, each check in a subtest of its own (see the package documentation for the
// list). It fails t for every broken rule.
func Run(t *testing.T, newStores Factory) {
	t.Helper()
	runChecks(t, storeChecks, userOrgStores(newStores))
}

// Check runs the checks of [Run] and returns what they found instead of failing t, which
// it only hands to newStores (for t.TempDir, t.Cleanup and the like). It is how a test
// proves that a store is broken, and how this package proves that Run catches broken
// stores.
func Check(t *testing.T, newStores Factory) []error {
	t.Helper()
	return checkAll(t, storeChecks, userOrgStores(newStores))
}

// RunRevocations checks that the stores newStore returns keep the [store.Revocations]
// contract, each check in a subtest of its own.
//
// It revokes sessions until an hour from now and until an hour ago, by [time.Now]: the
// store's clock (a database's or Redis's) must be within minutes of the test's. It never
// sleeps.
func RunRevocations(t *testing.T, newStore RevocationsFactory) {
	t.Helper()
	runChecks(t, revocationChecks, revocationStores(newStore))
}

// CheckRevocations runs the checks of [RunRevocations] and returns what they found
// instead of failing t, as [Check] does.
func CheckRevocations(t *testing.T, newStore RevocationsFactory) []error {
	t.Helper()
	return checkAll(t, revocationChecks, revocationStores(newStore))
}

// RunDedupe checks that the stores newStore returns keep the [store.Dedupe] contract,
// each check in a subtest of its own. With a real clock (advance nil) the checks of
// expiry sleep, about 2 s in all.
func RunDedupe(t *testing.T, newStore DedupeFactory) {
	t.Helper()
	runChecks(t, dedupeChecks, dedupeStores(newStore))
}

// CheckDedupe runs the checks of [RunDedupe] and returns what they found instead of
// failing t, as [Check] does.
func CheckDedupe(t *testing.T, newStore DedupeFactory) []error {
	t.Helper()
	return checkAll(t, dedupeChecks, dedupeStores(newStore))
}

// stores are what one check runs against.
type stores struct {
	users   store.Users
	orgs    store.Orgs
	rev     store.Revocations
	dedupe  store.Dedupe
	advance func(time.Duration) // the dedupe store's clock; nil: real time
}

// opener returns the stores of one check, or why the factory's answer is unusable.
type opener func(t *testing.T) (stores, string)

func userOrgStores(newStores Factory) opener {
	return func(t *testing.T) (stores, string) {
		users, orgs := newStores(t)
		if users == nil && orgs == nil {
			return stores{}, "the factory returned neither a store.Users nor a store.Orgs"
		}
		return stores{users: users, orgs: orgs}, ""
	}
}

func revocationStores(newStore RevocationsFactory) opener {
	return func(t *testing.T) (stores, string) {
		rev := newStore(t)
		if rev == nil {
			return stores{}, "the factory returned no store.Revocations"
		}
		return stores{rev: rev}, ""
	}
}

func dedupeStores(newStore DedupeFactory) opener {
	return func(t *testing.T) (stores, string) {
		d, advance := newStore(t)
		if d == nil {
			return stores{}, "the factory returned no store.Dedupe"
		}
		return stores{dedupe: d, advance: advance}, ""
	}
}

func runChecks(t *testing.T, checks []check, open opener) {
	t.Helper()
	for _, ch := range checks {
		t.Run(ch.name, func(t *testing.T) {
			s, problem := open(t)
			if problem != "" {
				t.Fatal("storetest: " + problem)
			}
			if skip := ch.skip(s); skip != "" {
				t.Skip("storetest: " + skip)
			}
			for _, msg := range ch.run(s) {
				t.Error(msg)
			}
		})
	}
}

func checkAll(t *testing.T, checks []check, open opener) []error {
	t.Helper()
	var errs []error
	for _, ch := range checks {
		s, problem := open(t)
		if problem != "" {
			errs = append(errs, &Failure{ch.name, problem})
			continue
		}
		if ch.skip(s) != "" {
			continue
		}
		for _, msg := range ch.run(s) {
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
	needDedupe
	// needOrgUsers: an Orgs store that is also a Users store, holding the users its
	// memberships refer to.
	needOrgUsers
)

type check struct {
	name  string
	needs needs
	fn    func(c *checker)
}

func (ch check) skip(s stores) string {
	switch {
	case ch.needs&needUsers != 0 && s.users == nil:
		return "no store.Users to check"
	case ch.needs&needOrgs != 0 && s.orgs == nil:
		return "no store.Orgs to check"
	case ch.needs&needRevocations != 0 && s.rev == nil:
		return "no store.Revocations to check"
	case ch.needs&needDedupe != 0 && s.dedupe == nil:
		return "no store.Dedupe to check"
	}
	if ch.needs&needOrgUsers != 0 {
		if _, ok := s.orgs.(store.Users); !ok {
			return "the store.Orgs is not also a store.Users"
		}
	}
	return ""
}

// run runs the check and returns its failure messages. A panic of the store becomes a
// failure.
func (ch check) run(s stores) (msgs []string) {
	c := &checker{
		ctx:    context.Background(),
		users:  s.users,
		orgs:   s.orgs,
		rev:    s.rev,
		dedupe: s.dedupe,
		times:  dedupeTimesFor(s.advance),
		token:  randomToken(),
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
	ctx    context.Context
	users  store.Users
	orgs   store.Orgs
	rev    store.Revocations
	dedupe store.Dedupe
	times  dedupeTimes
	token  string
	msgs   []string
}

// abort is the panic value with which fatalf ends a check.
type abort struct{}

func (c *checker) errorf(format string, args ...any) {
	c.msgs = append(c.msgs, fmt.Sprintf(format, args...))
}

// fatalf records a failure and ends the check. Only the check's own goroutine may call
// it.
func (c *checker) fatalf(format string, args ...any) {
	c.errorf(format, args...)
	panic(abort{})
}

// id returns name made unique to this check: "user_a" becomes "user_a_<16 hex digits>".
func (c *checker) id(name string) string { return name + "_" + c.token }

func randomToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
