package jwks_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

// requireRetryable asserts that a genuine token's lookup got a 503 class, never a 401.
func requireRetryable(t *testing.T, err error, msgAndArgs ...any) {
	t.Helper()
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable, msgAndArgs...)
	require.NotErrorIs(t, err, jwks.ErrUnknownKey, msgAndArgs...)
}

// Issue 11, F2: an attacker who keeps sending tokens with random kids does not delay a
// real rotation by more than the unknown-kid interval (30 s by default), never gets a
// genuine token a 401, and causes at most one fetch per interval.
func TestRemoteRotationUnderUnknownKidFlood(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	clock := newFakeClock()
	var mu sync.Mutex
	var fetches []time.Time // by the Remote's clock
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fetches = append(fetches, clock.Now())
		mu.Unlock()
		iss.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()
	r := newRemote(t, jwks.RemoteConfig{URL: srv.URL + clerkauthtest.FrontendJWKSPath, Now: clock.Now})
	start := clock.Now()

	const (
		step      = 250 * time.Millisecond
		published = 30*time.Second + step // just after an unknown-kid fetch: the worst case
		run       = 3 * time.Minute
	)
	var (
		newKID   string
		accepted = time.Duration(-1) // after publication
		refused  int
	)
	for elapsed := time.Duration(0); elapsed <= run; elapsed += step {
		for range 10 {
			_, err := r.Key(t.Context(), kidToken(clerkauthtest.NewID("ins_")))
			require.Error(t, err)
		}
		if elapsed == published {
			newKID = iss.Rotate()
		}
		if newKID != "" && accepted < 0 {
			key, err := r.Key(t.Context(), parseUnverified(t, iss.Token().Sign()))
			if err == nil {
				require.NotNil(t, key)
				accepted = elapsed - published
			} else {
				requireRetryable(t, err, "a genuine token %v after publication", elapsed-published)
				refused++
			}
		}
		clock.Advance(step)
	}

	require.GreaterOrEqual(t, accepted, time.Duration(0), "the new key was never accepted")
	require.LessOrEqual(t, accepted, jwks.DefaultUnknownKIDInterval, "accepted %v after publication", accepted)
	require.Positive(t, refused, "the flood had spent the budget when the key was published")
	t.Logf("new key accepted %v after publication, genuine lookups answered 503 before: %d", accepted, refused)

	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, start, fetches[0], "the start-up fetch")
	unknown := fetches[1:]
	for i := 1; i < len(unknown); i++ {
		require.GreaterOrEqual(t, unknown[i].Sub(unknown[i-1]), jwks.DefaultUnknownKIDInterval,
			"unknown-kid fetches %d and %d", i-1, i)
	}
	require.LessOrEqual(t, len(unknown), int(run/jwks.DefaultUnknownKIDInterval)+1)
}

// With nobody sending anything after the genuine token was refused, the Remote fetches the
// key set on its own as soon as the interval allows, and not before.
func TestRemoteFetchesThePendingKeyWithoutAnotherRequest(t *testing.T) {
	iss := clerkauthtest.NewUnstartedIssuer()
	defer iss.Close()
	synctest.Test(t, func(t *testing.T) {
		r := newBubbleRemote(t, iss.Handler(), jwks.RemoteConfig{})
		_, err := r.Key(t.Context(), kidToken("ins_forged"))
		require.ErrorIs(t, err, jwks.ErrUnknownKey, "its own fetch did not have the kid")
		require.EqualValues(t, 2, iss.Hits())

		// A refused forgery is owed nothing: no fetch follows it.
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		require.EqualValues(t, 2, iss.Hits())

		_, err = r.Key(t.Context(), kidToken("ins_forged_again"))
		require.ErrorIs(t, err, jwks.ErrUnknownKey)
		require.EqualValues(t, 3, iss.Hits())
		time.Sleep(10 * time.Second)
		kid := iss.Rotate()
		genuine := parseUnverified(t, iss.Token().Sign())
		_, err = r.Key(t.Context(), genuine)
		requireRetryable(t, err)

		time.Sleep(jwks.DefaultUnknownKIDInterval - 10*time.Second - time.Nanosecond)
		synctest.Wait()
		require.EqualValues(t, 3, iss.Hits(), "not before the interval has passed")
		require.False(t, r.HasKey(kid))
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		require.EqualValues(t, 4, iss.Hits(), "one fetch when the interval has passed")
		require.True(t, r.HasKey(kid))

		_, err = r.Key(t.Context(), genuine)
		require.NoError(t, err)
		require.EqualValues(t, 4, iss.Hits())
	})
}

// A fetch that started before a lookup arrived may predate the lookup's key: waiting for
// it and not finding the kid proves nothing, so the lookup is not answered 401.
func TestRemoteFetchOlderThanTheLookupIsNotProof(t *testing.T) {
	iss := clerkauthtest.NewUnstartedIssuer()
	defer iss.Close()
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		var calls atomic.Int64
		r := newBubbleRemote(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			doc := iss.JWKS() // the set as Clerk has it when the request arrives
			if calls.Add(1) == 2 {
				<-gate
			}
			_, _ = w.Write(doc)
		}), jwks.RemoteConfig{})

		forged := make(chan error, 1)
		go func() {
			_, err := r.Key(t.Context(), kidToken("ins_forged"))
			forged <- err
		}()
		synctest.Wait() // the forgery's fetch has read the set and is held
		kid := iss.Rotate()
		genuine := parseUnverified(t, iss.Token().Sign())
		result := make(chan error, 1)
		go func() {
			_, err := r.Key(t.Context(), genuine)
			result <- err
		}()
		synctest.Wait() // the genuine lookup waits for the same fetch
		close(gate)
		require.ErrorIs(t, <-forged, jwks.ErrUnknownKey)
		requireRetryable(t, <-result)
		require.EqualValues(t, 2, calls.Load())

		time.Sleep(jwks.DefaultUnknownKIDInterval)
		synctest.Wait()
		require.EqualValues(t, 3, calls.Load())
		require.True(t, r.HasKey(kid))
	})
}

// When the deferred fetch fails, it is owed again at the end of the next interval, even
// while the retry back-off is longer.
func TestRemoteDeferredFetchRetriedAfterAFailure(t *testing.T) {
	iss := clerkauthtest.NewUnstartedIssuer()
	defer iss.Close()
	synctest.Test(t, func(t *testing.T) {
		r := newBubbleRemote(t, iss.Handler(), jwks.RemoteConfig{RetryInterval: time.Minute})
		_, err := r.Key(t.Context(), kidToken("ins_forged"))
		require.ErrorIs(t, err, jwks.ErrUnknownKey)
		time.Sleep(time.Second)
		kid := iss.Rotate()
		_, err = r.Key(t.Context(), parseUnverified(t, iss.Token().Sign()))
		requireRetryable(t, err)

		iss.SetDown(true)
		time.Sleep(jwks.DefaultUnknownKIDInterval - time.Second)
		synctest.Wait()
		require.EqualValues(t, 3, iss.Hits(), "the deferred fetch ran, and failed")
		require.False(t, r.HasKey(kid))

		// The retry back-off waits at least 48 s (1 min ± 20%); the deferred fetch comes first.
		iss.SetDown(false)
		time.Sleep(jwks.DefaultUnknownKIDInterval)
		synctest.Wait()
		require.EqualValues(t, 4, iss.Hits())
		require.True(t, r.HasKey(kid))
	})
}

// A kid that an earlier set had and a later one dropped is answered 401 at once, also
// while the interval allows no fetch: the key was withdrawn.
func TestRemoteWithdrawnKidIsUnknownWithoutFetch(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	clock := newFakeClock()
	r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL(), Now: clock.Now})
	old := iss.SigningKey()
	stale := parseUnverified(t, iss.Token().Sign())

	iss.Rotate()
	iss.Retire(old.ID)
	_, err := r.Key(t.Context(), parseUnverified(t, iss.Token().Sign()))
	require.NoError(t, err, "the new kid brings the new set")
	require.EqualValues(t, 2, iss.Hits())
	for range 3 {
		_, err = r.Key(t.Context(), stale)
		require.ErrorIs(t, err, jwks.ErrUnknownKey)
		clock.Advance(time.Second)
	}
	require.EqualValues(t, 2, iss.Hits())
	// Other unknown kids meanwhile are not known to be withdrawn.
	_, err = r.Key(t.Context(), kidToken("ins_other"))
	requireRetryable(t, err)
}

// A clock set back before the last unknown-kid fetch does not stop fetches for longer
// than one interval from its new time.
func TestRemoteUnknownKidIntervalAfterClockSetBack(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	clock := newFakeClock()
	r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL(), Now: clock.Now, UnknownKIDInterval: 30 * time.Second})
	_, err := r.Key(t.Context(), kidToken("ins_forged"))
	require.ErrorIs(t, err, jwks.ErrUnknownKey)
	require.EqualValues(t, 2, iss.Hits())

	clock.Advance(-time.Hour)
	kid := iss.Rotate()
	genuine := parseUnverified(t, iss.Token().Sign())
	_, err = r.Key(t.Context(), genuine)
	requireRetryable(t, err)
	clock.Advance(30 * time.Second)
	_, err = r.Key(t.Context(), genuine)
	require.NoError(t, err)
	require.True(t, r.HasKey(kid))
	require.EqualValues(t, 3, iss.Hits())
}
