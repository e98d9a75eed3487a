package machine

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
)

// settle waits for the background revalidations started so far.
func (e *bapiEnv) settle() { e.b.revalidations.Wait() }

func TestBackendAPIRevalidatesInTheBackground(t *testing.T) {
	// F3: a credential in use is revalidated ahead of MaxCacheTTL, in the background,
	// while its cached answer keeps being served; it never waits for Clerk again.
	e := newBAPIEnv(t, nil)
	e.setGood(bapiAK)
	_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.NoError(t, err)

	e.clock.Advance(e.b.refresh - time.Millisecond)
	e.requireServed(t, bapiAK)
	e.settle()
	require.Equal(t, 45*time.Second, e.b.refresh)
	require.EqualValues(t, 1, e.fake.hits.Load(), "not due before a quarter of MaxCacheTTL is left")

	// Due: the request is answered while Clerk still holds the revalidation.
	e.clock.Advance(time.Millisecond)
	e.fake.arrived = make(chan struct{}, 1)
	e.fake.release = make(chan struct{})
	for range 5 {
		p, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
		require.NoError(t, err)
		assert.Equal(t, "ak_good", p.ID)
	}
	<-e.fake.arrived
	close(e.fake.release)
	e.settle()
	e.fake.arrived, e.fake.release = nil, nil
	require.EqualValues(t, 2, e.fake.hits.Load(), "one revalidation however many requests found it due")

	// A credential used every 5 s for 10 minutes: every request is served, from one
	// revalidation per three quarters of MaxCacheTTL (45 s: 600 s / 45 s).
	for range 120 {
		e.clock.Advance(5 * time.Second)
		p, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
		require.NoError(t, err)
		assert.Equal(t, "ak_good", p.ID)
		e.settle()
	}
	assert.EqualValues(t, 2+13, e.fake.hits.Load())
	assert.Empty(t, e.log.String())
}

func TestBackendAPIRevalidationDropsARefusedCredential(t *testing.T) {
	// F3: a revalidation that Clerk answers with a refusal drops the credential at once
	// (it was accepted for the full MaxCacheTTL before).
	tests := []struct {
		name   string
		answer bapiAnswer
		want   error
	}{
		{"revoked", bapiAnswer{body: `{"object":"api_key","id":"ak_good","subject":"user_1","revoked":true}`}, clerkauth.ErrMachineTokenRevoked},
		{"expired", bapiAnswer{body: `{"object":"api_key","id":"ak_good","subject":"user_1","expired":true}`}, clerkauth.ErrMachineTokenExpired},
		{"unknown", bapiAnswer{status: http.StatusNotFound, body: clerkNotFound}, clerkauth.ErrMachineTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name+" in the background", func(t *testing.T) {
			e := newBAPIEnv(t, nil)
			e.setGood(bapiAK)
			_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
			require.NoError(t, err)
			e.fake.set(bapiAK, tt.answer)
			e.clock.Advance(e.b.refresh)
			p, err := e.b.VerifyMachineToken(context.Background(), bapiAK) // from the cache; the revalidation starts
			require.NoError(t, err)
			assert.Equal(t, "ak_good", p.ID)
			e.settle()
			for range 3 {
				_, err = e.b.VerifyMachineToken(context.Background(), bapiAK)
				require.ErrorIs(t, err, tt.want)
			}
			assert.EqualValues(t, 2, e.fake.hits.Load(), "the refusal is cached")
		})
		t.Run(tt.name+" inline", func(t *testing.T) {
			// Not used since it was due for revalidation: its next request asks Clerk.
			e := newBAPIEnv(t, nil)
			e.setGood(bapiAK)
			_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
			require.NoError(t, err)
			e.fake.set(bapiAK, tt.answer)
			e.clock.Advance(DefaultMachineCacheTTL)
			_, err = e.b.VerifyMachineToken(context.Background(), bapiAK)
			require.ErrorIs(t, err, tt.want)
			assert.EqualValues(t, 2, e.fake.hits.Load())
		})
	}
}

func TestBackendAPIStaleIfError(t *testing.T) {
	// F3: a known credential whose revalidation cannot be made keeps being served for
	// StaleIfError past MaxCacheTTL, then is refused with ErrBackendAPI (a 503); when
	// Clerk answers again, it is accepted again.
	failures := []struct {
		name   string
		mod    func(*BackendAPIConfig)
		answer *bapiAnswer
		also   error
	}{
		{"Clerk failing", nil, &bapiAnswer{status: http.StatusInternalServerError}, nil},
		{"Clerk not Clerk", nil, &bapiAnswer{body: `{"id":"x"}`}, nil},
		{"Clerk's quota spent", nil, &bapiAnswer{status: http.StatusTooManyRequests, header: http.Header{"Retry-After": {"60"}}}, ErrBackendAPIThrottled},
		{"no call left", func(c *BackendAPIConfig) { c.MaxCallsPerSecond = 1e-9; c.MaxCallBurst = 1 }, nil, ErrBackendAPIRateLimited},
	}
	for _, f := range failures {
		for _, stale := range []time.Duration{0, 30 * time.Second} {
			t.Run(fmt.Sprint(f.name, ", StaleIfError ", stale), func(t *testing.T) {
				e := newBAPIEnv(t, func(c *BackendAPIConfig) {
					c.StaleIfError = stale
					if f.mod != nil {
						f.mod(c)
					}
				})
				grace := cmpOrDuration(stale, DefaultMachineStaleIfError)
				e.setGood(bapiAK)
				_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
				require.NoError(t, err)
				start := e.clock.Now()
				if f.answer != nil {
					e.fake.set(bapiAK, *f.answer)
				}
				// One request a second until the grace has run out.
				var served time.Duration
				var last error
				for range int((DefaultMachineCacheTTL + grace + 10*time.Second) / time.Second) {
					e.clock.Advance(time.Second)
					p, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
					e.settle()
					if err != nil {
						last = err
						break
					}
					assert.Equal(t, "ak_good", p.ID)
					served = e.clock.Now().Sub(start)
				}
				assert.Equal(t, DefaultMachineCacheTTL+grace-time.Second, served, "served until MaxCacheTTL + StaleIfError")
				require.ErrorIs(t, last, clerkauth.ErrBackendAPI)
				if f.also != nil {
					require.ErrorIs(t, last, f.also)
				}
				assert.Contains(t, e.log.String(), "served past MaxCacheTTL")
				assert.NotContains(t, e.log.String(), bapiAK)
				if f.answer != nil {
					// Attempts were spaced (bapiRevalidateRetry, or Clerk's Retry-After): the
					// acceptance, one attempt per 2 s from 45 s to the end of the grace,
					// and the last one, inline.
					assert.LessOrEqual(t, e.fake.hits.Load(), int64(1+(DefaultMachineCacheTTL/4+grace)/bapiRevalidateRetry+1+1))
				}

				// Clerk answers again: the credential is accepted at once.
				e.setGood(bapiAK)
				e.clock.Advance(MaxBackendAPIRetryAfter)
				if f.mod != nil {
					e.b.budget.calls.SetLimitAt(e.clock.Now(), 1000)
					e.clock.Advance(time.Second)
				}
				p, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
				require.NoError(t, err)
				assert.Equal(t, "ak_good", p.ID)
			})
		}
	}

	t.Run("idle credential, Clerk down when it comes back", func(t *testing.T) {
		// Not used between its acceptance and MaxCacheTTL: its next request asks Clerk
		// inline, and is served from the cache when Clerk cannot answer.
		e := newBAPIEnv(t, nil)
		e.setGood(bapiAK)
		_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
		require.NoError(t, err)
		e.fake.set(bapiAK, bapiAnswer{status: http.StatusBadGateway})
		e.clock.Advance(DefaultMachineCacheTTL + 10*time.Second)
		p, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
		require.NoError(t, err)
		assert.Equal(t, "ak_good", p.ID)
		assert.EqualValues(t, 2, e.fake.hits.Load())
		// Marked failed: the next requests are served at once, attempts spaced.
		for range 10 {
			e.requireServed(t, bapiAK)
		}
		e.clock.Advance(DefaultMachineStaleIfError - 10*time.Second)
		_, err = e.b.VerifyMachineToken(context.Background(), bapiAK)
		require.ErrorIs(t, err, clerkauth.ErrBackendAPI, "the grace has run out")
	})

	t.Run("idle credential past the grace", func(t *testing.T) {
		// Asked about inline, from the reserve of known credentials.
		e := newBAPIEnv(t, nil)
		e.setGood(bapiAK)
		_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
		require.NoError(t, err)
		e.clock.Advance(24 * time.Hour)
		p, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
		require.NoError(t, err)
		assert.Equal(t, "ak_good", p.ID)
		assert.EqualValues(t, 2, e.fake.hits.Load())
	})
}
