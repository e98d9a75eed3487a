package storetest

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// writers is how many goroutines the concurrency checks start at once.
const writers = 50

var concurrencyChecks = []check{
	{"UserConcurrentWrites", needUsers, checkUserConcurrency},
	{"MembershipConcurrentWrites", needOrgs, checkMembershipConcurrency},
}

// race starts n goroutines that wait for one signal, runs fn(i) in each and
// returns fn's errors and panics. fn must not call fatalf.
func race(n int, fn func(i int) error) []error {
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					errs[i] = fmt.Errorf("panicked: %v", p)
				}
			}()
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func (c *checker) noErrors(what string, errs []error) {
	for i, err := range errs {
		if err != nil {
			c.fatalf("%s #%d: unexpected error: %v", what, i, err)
		}
	}
}

// shuffledVersions returns 1..n in a random order: the version goroutine i
// writes.
func shuffledVersions(n int) []int {
	v := make([]int, n)
	for i := range v {
		v[i] = i + 1
	}
	rand.Shuffle(n, func(i, j int) { v[i], v[j] = v[j], v[i] })
	return v
}

// Concurrent upserts of one user with distinct versions end with the
// newest, which reports that it applied whatever the interleaving; so do
// concurrent deactivations with the latest time.
func checkUserConcurrency(c *checker) {
	id := c.id("user_a")
	versions := shuffledVersions(writers)
	applied := make([]bool, writers)
	errs := race(writers, func(i int) error {
		u := user(id, versions[i])
		var err error
		applied[i], err = c.users.UpsertUser(c.ctx, &u)
		return err
	})
	c.noErrors("concurrent UpsertUser", errs)
	for i, v := range versions {
		if v == writers && !applied[i] {
			c.errorf("the upsert of the newest version (%d) reported applied = false", v)
		}
	}
	c.wantUser("after concurrent upserts", user(id, writers))

	times := shuffledVersions(writers)
	errs = race(writers, func(i int) error {
		var err error
		applied[i], err = c.users.DeactivateUser(c.ctx, id, at(100+times[i]))
		return err
	})
	c.noErrors("concurrent DeactivateUser", errs)
	for i, v := range times {
		if v == writers && !applied[i] {
			c.errorf("the deactivation with the latest time reported applied = false")
		}
	}
	c.wantUser("after concurrent deactivations", deactivated(user(id, writers), at(100+writers)))
}

// Upserts and deletions of one membership, all at once: the newest version
// and the latest deletion win, and the membership is active only if the
// version is newer.
func checkMembershipConcurrency(c *checker) {
	for _, lastIsUpsert := range []bool{true, false} {
		o, u := c.id(fmt.Sprintf("org_%v", lastIsUpsert)), c.id("user_a")
		times := shuffledVersions(writers)
		// Even times are upserts, odd ones deletions; the largest, writers
		// (50), is an upsert unless shifted by one.
		shift := 0
		if !lastIsUpsert {
			shift = 1
		}
		errs := race(writers, func(i int) error {
			t := times[i] + shift
			if t%2 == 0 {
				m := membership(o, u, t)
				_, err := c.orgs.UpsertMembership(c.ctx, &m)
				return err
			}
			_, err := c.orgs.DeleteMembership(c.ctx, o, u, at(t))
			return err
		})
		c.noErrors("concurrent UpsertMembership and DeleteMembership", errs)
		lastUpsert, lastDelete := writers, writers-1
		if !lastIsUpsert {
			lastUpsert, lastDelete = writers, writers+1
		}
		want := deletedMembership(membership(o, u, lastUpsert), at(lastDelete))
		c.wantMembership("after concurrent upserts and deletions", want)
		var active []store.Membership
		if want.Active() {
			active = append(active, want)
		}
		c.wantMembers("after concurrent upserts and deletions", o, active...)
	}
}
