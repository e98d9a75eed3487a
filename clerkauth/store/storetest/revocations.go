package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth/store"
)

var revocationChecks = []check{
	{"RevocationUnknown", needRevocations, checkRevocationUnknown},
	{"RevocationRevoke", needRevocations, checkRevocationRevoke},
	{"RevocationExpired", needRevocations, checkRevocationExpired},
	{"RevocationConcurrent", needRevocations, checkRevocationConcurrent},
	{"RevocationCancelledContext", needRevocations, checkRevocationCancelled},
	{"RevocationRefused", needRevocations, checkRevocationRefused},
}

func (c *checker) revoke(id string, until time.Time) {
	if err := c.rev.Revoke(c.ctx, id, until); err != nil {
		c.fatalf("Revoke(%s, %s): unexpected error: %v", id, fmtTime(until), err)
	}
}

func (c *checker) wantRevoked(what, id string, want bool) {
	got, err := c.rev.Revoked(c.ctx, id)
	if err != nil {
		c.fatalf("%s: Revoked(%s): unexpected error: %v", what, showID(id), err)
	}
	if got != want {
		c.errorf("%s: Revoked(%s) = %v, want %v", what, showID(id), got, want)
	}
}

func checkRevocationUnknown(c *checker) {
	c.wantRevoked("empty store", c.id("sess_unknown"), false)
	c.revoke(c.id("sess_a"), time.Now().Add(time.Hour))
	c.wantRevoked("another session revoked", c.id("sess_unknown"), false)
	c.wantRevoked("an id differing only in case", c.id("SESS_A"), false)
}

func checkRevocationRevoke(c *checker) {
	id := c.id("sess_a")
	c.revoke(id, time.Now().Add(time.Hour))
	c.wantRevoked("revoked for an hour", id, true)
	c.revoke(id, time.Now().Add(2*time.Hour))
	c.wantRevoked("revoked again", id, true)
}

// A revocation past its end time no longer counts (every token of the
// session has expired by then).
func checkRevocationExpired(c *checker) {
	id := c.id("sess_a")
	c.revoke(id, time.Now().Add(-time.Hour))
	c.wantRevoked("revoked until an hour ago", id, false)
}

func checkRevocationConcurrent(c *checker) {
	until := time.Now().Add(time.Hour)
	id := func(i int) string { return c.id(fmt.Sprintf("sess_%d", i)) }
	errs := race(writers, func(i int) error {
		if i%2 == 0 {
			return c.rev.Revoke(c.ctx, id(i), until)
		}
		_, err := c.rev.Revoked(c.ctx, id(i))
		return err
	})
	c.noErrors("concurrent Revoke and Revoked", errs)
	for i := range writers {
		c.wantRevoked("after concurrent revocations", id(i), i%2 == 0)
	}
}

func checkRevocationCancelled(c *checker) {
	known, unknown := c.id("sess_known"), c.id("sess_unknown")
	c.revoke(known, time.Now().Add(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, id := range []string{known, unknown} {
		if err := c.rev.Revoke(ctx, id, time.Now().Add(time.Hour)); err == nil {
			c.errorf("Revoke(%s) with a cancelled context succeeded, want an error", id)
		}
		got, err := c.rev.Revoked(ctx, id)
		switch {
		case err == nil:
			c.errorf("Revoked(%s) with a cancelled context = %v and no error, want an error", id, got)
		case errors.Is(err, store.ErrNotFound):
			c.errorf("Revoked(%s) with a cancelled context: error %q wraps ErrNotFound, want a failure of the store", id, err)
		}
	}
	c.wantRevoked("after a Revoke with a cancelled context", unknown, false)
	c.wantRevoked("after a Revoke with a cancelled context", known, true)
}
