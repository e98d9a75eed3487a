package dedupetest_test

import (
	"testing"
	"time"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"

	"github.com/unioneyes/authkit/webhook"
	"github.com/unioneyes/authkit/webhook/dedupetest"
)

// This is how a store package proves its Dedupe keeps the contract; here
// the store is webhook.MemoryDedupe with a manual clock.
func ExampleRun() {
	testMemoryDedupe := func(t *testing.T) {
		dedupetest.Run(t, func(t *testing.T) (webhook.Dedupe, func(time.Duration)) {
			c := clerkauthtest.NewClock(time.Unix(1_700_000_000, 0))
			d, err := webhook.NewMemoryDedupe(webhook.MemoryDedupeConfig{Now: c.Now})
			if err != nil {
				t.Fatal(err)
			}
			return d, c.Advance
		})
	}
	_ = testMemoryDedupe // in a _test.go file: func TestMemoryDedupe(t *testing.T)
}
