package jwks_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

func TestKeyPendingErrorSaysWhenToRetry(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	clock := newFakeClock()
	r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL(), Now: clock.Now})
	_, err := r.Key(t.Context(), kidToken("ins_forged"))
	require.ErrorIs(t, err, jwks.ErrUnknownKey)

	clock.Advance(12 * time.Second)
	_, err = r.Key(t.Context(), kidToken("ins_maybe_new"))
	var pending *jwks.KeyPendingError
	require.ErrorAs(t, err, &pending)
	require.Equal(t, jwks.KeyPendingError{KID: "ins_maybe_new", RetryAfter: 18 * time.Second}, *pending)
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
	require.NotErrorIs(t, err, jwks.ErrUnknownKey)
	require.Equal(t, `jwks: verification keys unavailable: kid "ins_maybe_new" is not in the key set and the next fetch is in 18s`, err.Error())

	// A clock set back counts the interval from its new time.
	clock.Advance(-time.Hour)
	_, err = r.Key(t.Context(), kidToken("ins_maybe_new"))
	require.ErrorAs(t, err, &pending)
	require.Equal(t, jwks.DefaultUnknownKIDInterval, pending.RetryAfter)
}

func TestRemoteUnknownKidAfterAFailureIsNotPending(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	clock := newFakeClock()
	r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL(), Now: clock.Now, RetryInterval: time.Hour})
	iss.SetDown(true)
	_, err := r.Key(t.Context(), kidToken("ins_first"))
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
	require.Contains(t, err.Error(), "the refresh failed")

	// Within the interval, while the endpoint is known to fail: a 503, but no promise of
	// a fetch that would bring the key.
	_, err = r.Key(t.Context(), kidToken("ins_second"))
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
	require.NotErrorIs(t, err, jwks.ErrUnknownKey)
	var pending *jwks.KeyPendingError
	require.False(t, errors.As(err, &pending))
	require.Contains(t, err.Error(), "the last refresh failed")
}

func TestRemoteUnknownKidAfterClose(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL()})
	old := iss.KeyID()
	stale := parseUnverified(t, iss.Token().Sign())
	iss.Rotate()
	iss.Retire(old)
	_, err := r.Key(t.Context(), parseUnverified(t, iss.Token().Sign()))
	require.NoError(t, err)
	require.NoError(t, r.Close())

	hits := iss.Hits()
	_, err = r.Key(t.Context(), kidToken("ins_after_close"))
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
	require.NotErrorIs(t, err, jwks.ErrUnknownKey)
	require.Contains(t, err.Error(), "closed")
	_, err = r.Key(t.Context(), stale)
	require.ErrorIs(t, err, jwks.ErrUnknownKey, "a withdrawn kid stays refused")
	require.Equal(t, hits, iss.Hits())
}
