package clerkauth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/clerkauth/store"
)

// Fail fast while a store is down: after a failed read, the store's breaker opens and no
// request reaches the store; they are answered at once with 503 and a Retry-After of the
// breaker's remaining open time. Once it has passed, one request probes the store; the
// breaker closes on its own when the store answers again.
func TestRevocationStoreBreaker(t *testing.T) {
	revs := &fakeRevocations{revoked: map[string]bool{}}
	clock := clerkauthtest.NewClock(testNow)
	f := newFixture(t, func(c *clerkauth.Config) { c.Revocations = revs; c.Now = clock.Now })
	tok := f.iss.Token().Session("sess_1").Sign()
	serve := func() (status int, retryAfter string) {
		rec := f.serve(bearer(tok))
		return rec.Code, rec.Header().Get("Retry-After")
	}
	requireServed := func(wantCalls int64, wantStatus int, wantRetryAfter string) {
		t.Helper()
		status, retryAfter := serve()
		require.Equal(t, wantStatus, status)
		require.Equal(t, wantRetryAfter, retryAfter)
		require.Equal(t, wantCalls, revs.calls.Load(), "calls that reached the store")
	}

	requireServed(1, http.StatusOK, "")
	revs.mu.Lock()
	deadline := revs.deadline
	revs.mu.Unlock()
	require.False(t, deadline.IsZero(), "the read has a deadline")
	require.LessOrEqual(t, time.Until(deadline), clerkauth.StoreReadTimeout, "bounded by StoreReadTimeout")

	revs.fail.Store(true)
	requireServed(2, http.StatusServiceUnavailable, "2") // the failure that opens the breaker
	for range 10 {
		requireServed(2, http.StatusServiceUnavailable, "2")
	}
	_, _, err := f.v.Authenticate(t.Context(), tok)
	require.ErrorIs(t, err, clerkauth.ErrStoreUnavailable)
	require.Equal(t, "clerkauth: store unavailable", clerkauth.Reason(err))
	clock.Advance(1500 * time.Millisecond)
	requireServed(2, http.StatusServiceUnavailable, "1")

	clock.Advance(500 * time.Millisecond) // open time over: one probe, which fails
	requireServed(3, http.StatusServiceUnavailable, "2")
	requireServed(3, http.StatusServiceUnavailable, "2")

	revs.fail.Store(false) // the store is back; the breaker does not know yet
	requireServed(3, http.StatusServiceUnavailable, "2")
	clock.Advance(clerkauth.StoreBreakerOpen)
	requireServed(4, http.StatusOK, "") // the probe succeeds: closed
	requireServed(5, http.StatusOK, "")
	requireServed(6, http.StatusOK, "")
}

// A read that failed because its own caller went away says nothing about the store: the
// breaker stays closed.
func TestBreakerIgnoresTheCallersCancellation(t *testing.T) {
	revs := &fakeRevocations{revoked: map[string]bool{}}
	f := newFixture(t, func(c *clerkauth.Config) { c.Revocations = revs })
	tok := f.iss.Token().Session("sess_1").Sign()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := f.v.Authenticate(ctx, tok)
	require.ErrorIs(t, err, context.Canceled)
	require.EqualValues(t, 1, revs.calls.Load())
	require.Equal(t, http.StatusOK, f.serve(bearer(tok)).Code)
	require.EqualValues(t, 2, revs.calls.Load())
}

// While the user store's breaker is open, users the cache knows are answered from their
// stale entries at once, without asking the store; unknown users get 503.
func TestUserStoreBreaker(t *testing.T) {
	users := newFakeUsers()
	users.users["user_known"] = store.User{ID: "user_known"}
	clock := clerkauthtest.NewClock(testNow)
	cache, err := clerkauth.NewUserCache(users, clerkauth.UserCacheConfig{TTL: time.Minute, Now: clock.Now})
	require.NoError(t, err)
	f := newFixture(t, func(c *clerkauth.Config) { c.Users = cache })
	known := f.iss.Token().User("user_known").Sign()
	require.Equal(t, http.StatusOK, f.serve(bearer(known)).Code)

	clock.Advance(time.Minute) // the known user's entry is stale
	users.fail.Store(true)
	unknown := f.iss.Token().User("user_unknown").Sign()
	require.Equal(t, http.StatusServiceUnavailable, f.serve(bearer(unknown)).Code) // opens the breaker
	reads := users.reads.Load()
	for range 5 {
		require.Equal(t, http.StatusOK, f.serve(bearer(known)).Code)
		rec := f.serve(bearer(unknown))
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		require.Equal(t, "2", rec.Header().Get("Retry-After"))
	}
	require.Equal(t, reads, users.reads.Load(), "no read reached the store")
	_, err = cache.GetUser(t.Context(), "user_unknown")
	require.ErrorIs(t, err, clerkauth.ErrStoreUnavailable)

	users.fail.Store(false)
	clock.Advance(clerkauth.StoreBreakerOpen)
	require.Equal(t, http.StatusOK, f.serve(bearer(unknown)).Code, "the probe succeeds and provisions the user")
	require.Equal(t, http.StatusOK, f.serve(bearer(known)).Code)
}
