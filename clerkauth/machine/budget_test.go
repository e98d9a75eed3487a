package machine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
)

func TestBackendAPIRateLimit(t *testing.T) {
	tests := []struct {
		name      string
		perSecond float64
		burst     int
		wantBurst int
	}{
		{"defaults", 0, 0, 2 * DefaultMaxBackendAPICallsPerSecond},
		{"one per second, burst 3", 1, 3, 3},
		{"one per two seconds, default burst", 0.5, 0, 1},
		{"ten per second, no burst", 10, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newBAPIEnv(t, func(c *BackendAPIConfig) {
				c.MaxCallsPerSecond = tt.perSecond
				c.MaxCallBurst = tt.burst
			})
			perSecond := cmp.Or(tt.perSecond, DefaultMaxBackendAPICallsPerSecond)
			oneCall := time.Duration(float64(time.Second)/perSecond) + time.Millisecond
			// Tokens presented for the first time may spend the upper half of the bucket
			// only (rounded up: a bucket of 1 reserves nothing).
			newShare := tt.wantBurst - tt.wantBurst/2

			// A legitimate token, cached before the flood: its call is one of the share.
			e.setGood(bapiGoodAK)
			_, err := e.b.VerifyMachineToken(context.Background(), bapiGoodAK)
			require.NoError(t, err)

			// A flood of distinct made-up tokens, all at one instant: the rest of the
			// share reaches Clerk, then every one is refused at once, and cache hits
			// are still served.
			const extra = 100
			for i := range newShare - 1 + extra {
				token := fmt.Sprintf("ak_flood_%08d", i)
				if i < newShare-1 {
					_, err := e.b.VerifyMachineToken(context.Background(), token)
					require.ErrorIs(t, err, clerkauth.ErrMachineTokenInvalid, "token %d is within the share", i)
				} else {
					e.requireRefusedLocally(t, token, ErrBackendAPIRateLimited)
				}
				e.requireServed(t, bapiGoodAK)
			}
			require.EqualValues(t, newShare, e.fake.hits.Load(), "at most the new tokens' share reached Clerk")

			// A refusal is not cached: once the bucket has one call again, the same
			// token reaches Clerk; the next one is refused again.
			e.clock.Advance(oneCall)
			last := fmt.Sprintf("ak_flood_%08d", newShare-1+extra-1)
			_, err = e.b.VerifyMachineToken(context.Background(), last)
			require.ErrorIs(t, err, clerkauth.ErrMachineTokenInvalid)
			require.EqualValues(t, newShare+1, e.fake.hits.Load())
			e.requireRefusedLocally(t, "ak_flood_more_tok", ErrBackendAPIRateLimited)

			// After the flood, a legitimate token not in the cache works.
			e.clock.Advance(oneCall)
			e.setGood(bapiMT)
			p, err := e.b.VerifyMachineToken(context.Background(), bapiMT)
			require.NoError(t, err)
			assert.Equal(t, "mt_good", p.ID)
			e.requireServed(t, bapiGoodAK)

			// One warning for the whole flood, then one per 10 s at most.
			assert.Equal(t, 1, e.log.count("WARN"), "%s", e.log)
			assert.Contains(t, e.log.String(), "reason=max_calls_per_second")
			assert.Contains(t, e.log.String(), "tier=new")
			assert.NotContains(t, e.log.String(), "ak_flood")
			e.clock.Advance(10 * time.Second)
			for i := range newShare {
				_, err := e.b.VerifyMachineToken(context.Background(), fmt.Sprintf("ak_later_%08d", i))
				require.ErrorIs(t, err, clerkauth.ErrMachineTokenInvalid)
			}
			e.requireRefusedLocally(t, "ak_later_refused", ErrBackendAPIRateLimited)
			assert.Equal(t, 2, e.log.count("WARN"), "%s", e.log)
			assert.Contains(t, e.log.String(), fmt.Sprintf("suppressed=%d", extra))
		})
	}
}

func TestBackendAPIRetriedTokenTakesTheReserve(t *testing.T) {
	// F3: under a flood of made-up tokens, a valid token never seen before is refused
	// once (the new tokens' share is spent), then accepted when presented again, from the
	// reserve a flood of distinct tokens cannot spend; the clock does not move.
	e := newBAPIEnv(t, nil)
	for i := 0; e.fake.hits.Load() < DefaultMaxBackendAPICallsPerSecond; i++ {
		_, err := e.b.VerifyMachineToken(context.Background(), fmt.Sprintf("ak_flood_%08d", i))
		require.ErrorIs(t, err, clerkauth.ErrMachineTokenInvalid)
	}
	for i := range 100 {
		e.requireRefusedLocally(t, fmt.Sprintf("ak_more_flood_%08d", i), ErrBackendAPIRateLimited)
	}
	e.setGood(bapiAK)
	e.requireRefusedLocally(t, bapiAK, ErrBackendAPIRateLimited)
	e.requireRefusedLocally(t, "ak_even_more_flood_0", ErrBackendAPIRateLimited)
	p, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.NoError(t, err, "presented again: the retried tier's reserve")
	assert.Equal(t, "ak_good", p.ID)

	// The retried tier may spend down to a quarter of the bucket (10 of 40): of the
	// flood's tokens presented again, 9 more reach Clerk, then they are refused too.
	for i := range 9 {
		_, err := e.b.VerifyMachineToken(context.Background(), fmt.Sprintf("ak_more_flood_%08d", i))
		require.ErrorIs(t, err, clerkauth.ErrMachineTokenInvalid, "retried token %d", i)
	}
	e.requireRefusedLocally(t, "ak_more_flood_00000009", ErrBackendAPIRateLimited)
	assert.Contains(t, e.log.String(), "tier=new")
	assert.EqualValues(t, DefaultMaxBackendAPICallsPerSecond+10, e.fake.hits.Load())
}

func TestBackendAPIConcurrentFloodIsBounded(t *testing.T) {
	// The review's reproduction: 500 distinct tokens at once. With the defaults, at most
	// the new tokens' share of the bucket (20 of 40) reaches Clerk, at most 4 at a time
	// (half of the 8 slots).
	e := newBAPIEnv(t, nil)
	e.setGood(bapiGoodAK)
	_, err := e.b.VerifyMachineToken(context.Background(), bapiGoodAK)
	require.NoError(t, err)
	const n = 500
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := e.b.VerifyMachineToken(context.Background(), fmt.Sprintf("ak_conc_%08d", i))
			errs <- err
			_, err = e.b.VerifyMachineToken(context.Background(), bapiGoodAK)
			if err != nil {
				errs <- fmt.Errorf("cache hit refused: %w", err)
			}
		})
	}
	wg.Wait()
	close(errs)
	var invalid, limited int
	for err := range errs {
		switch {
		case errors.Is(err, clerkauth.ErrMachineTokenInvalid):
			invalid++
		case errors.Is(err, ErrBackendAPIRateLimited) && errors.Is(err, clerkauth.ErrBackendAPI):
			limited++
		default:
			t.Errorf("unexpected result %v", err)
		}
	}
	assert.Equal(t, n, invalid+limited)
	assert.EqualValues(t, invalid+1, e.fake.hits.Load(), "every call that was made was answered")
	assert.LessOrEqual(t, e.fake.hits.Load(), int64(DefaultMaxBackendAPICallsPerSecond))
	assert.LessOrEqual(t, e.fake.maxInFlight.Load(), int64(DefaultMaxConcurrentBackendAPICalls/2))
	assert.GreaterOrEqual(t, limited, n-DefaultMaxBackendAPICallsPerSecond)
}

func TestBackendAPIConcurrencyCap(t *testing.T) {
	// Eight slots: tokens presented for the first time may hold 4, retried ones 6, the
	// revalidation of a known credential all 8.
	const slots, n = 8, 10
	e := newBAPIEnv(t, func(c *BackendAPIConfig) { c.MaxConcurrentCalls = slots; c.MaxCallsPerSecond = 1000 })
	e.setGood(bapiGoodAK)
	_, err := e.b.VerifyMachineToken(context.Background(), bapiGoodAK)
	require.NoError(t, err)
	e.fake.fallback = func(_, token string) bapiAnswer {
		return bapiAnswer{body: `{"object":"api_key","id":"` + token + `","subject":"user_1"}`}
	}
	e.fake.arrived = make(chan struct{}, 2*n)
	e.fake.release = make(chan struct{})

	type result struct {
		token string
		err   error
	}
	results := make(chan result, 2*n)
	verify := func(token string) {
		_, err := e.b.VerifyMachineToken(context.Background(), token)
		results <- result{token, err}
	}
	for i := range n {
		go verify(fmt.Sprintf("ak_slow_%08d", i))
	}
	// Clerk holds the first 4; the others are refused without waiting for them.
	for range slots / 2 {
		<-e.fake.arrived
	}
	var refused []string
	for range n - slots/2 {
		r := <-results
		require.ErrorIs(t, r.err, clerkauth.ErrBackendAPI)
		require.ErrorIs(t, r.err, ErrBackendAPIRateLimited)
		refused = append(refused, r.token)
	}
	assert.EqualValues(t, slots/2+1, e.fake.hits.Load())
	assert.EqualValues(t, slots/2, e.fake.inFlight.Load())
	e.requireServed(t, bapiGoodAK) // while the new tokens' slots are taken
	e.requireRefusedLocally(t, "ak_one_more_token", ErrBackendAPIRateLimited)
	assert.Contains(t, e.log.String(), "reason=max_concurrent_calls")

	// Refused tokens presented again take two more slots, not a third.
	go verify(refused[0])
	go verify(refused[1])
	<-e.fake.arrived
	<-e.fake.arrived
	e.requireRefusedLocally(t, refused[2], ErrBackendAPIRateLimited)
	assert.EqualValues(t, slots/2+2, e.fake.inFlight.Load())

	// A known credential due for revalidation is served at once, and its revalidation
	// takes one of the two slots left.
	e.clock.Advance(e.b.refresh)
	p, err := e.b.VerifyMachineToken(context.Background(), bapiGoodAK)
	require.NoError(t, err)
	assert.Equal(t, "ak_good", p.ID)
	<-e.fake.arrived
	assert.EqualValues(t, slots/2+3, e.fake.inFlight.Load())

	close(e.fake.release)
	for range slots/2 + 2 {
		require.NoError(t, (<-results).err)
	}
	e.settle()
	assert.EqualValues(t, slots/2+3, e.fake.maxInFlight.Load())

	// The slots are free again (a refused token was not cached).
	e.fake.arrived = nil
	p, err = e.b.VerifyMachineToken(context.Background(), "ak_one_more_token")
	require.NoError(t, err)
	assert.Equal(t, "ak_one_more_token", p.ID)
}

func TestBackendAPILimitsCountRealCalls(t *testing.T) {
	// One slot and a burst of one: 50 concurrent requests with one token share one call
	// and all succeed.
	e := newBAPIEnv(t, func(c *BackendAPIConfig) { c.MaxConcurrentCalls = 1; c.MaxCallsPerSecond = 0.01; c.MaxCallBurst = 1 })
	e.setGood(bapiAK)
	e.fake.arrived = make(chan struct{}, 64)
	e.fake.release = make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
			errs <- err
		})
	}
	<-e.fake.arrived
	close(e.fake.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, e.fake.hits.Load())
	e.requireRefusedLocally(t, bapiMT, ErrBackendAPIRateLimited) // the burst is spent
}
