package memstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/memstore"
	"github.com/unioneyes/authkit/clerkauth/store"
)

func newClockStore() (*memstore.Store, *clerkauthtest.Clock) {
	c := clerkauthtest.NewClock(time.UnixMilli(1_716_883_200_000))
	return memstore.New(memstore.Config{Now: c.Now}), c
}

func TestRevocationExpiresAtUntil(t *testing.T) {
	ctx := context.Background()
	s, c := newClockStore()
	require.NoError(t, s.Revoke(ctx, "sess_a", c.Now().Add(time.Minute)))
	revoked := func() bool {
		ok, err := s.Revoked(ctx, "sess_a")
		require.NoError(t, err)
		return ok
	}
	assert.True(t, revoked())
	c.Advance(time.Minute - time.Nanosecond)
	assert.True(t, revoked(), "one nanosecond before until")
	c.Advance(time.Nanosecond)
	assert.False(t, revoked(), "at until")
}

// A session revoked twice stays revoked until the later time, whatever the
// order of the two revocations.
func TestRevocationKeepsLaterUntil(t *testing.T) {
	ctx := context.Background()
	for _, order := range [][2]time.Duration{{time.Hour, time.Minute}, {time.Minute, time.Hour}} {
		s, c := newClockStore()
		for _, d := range order {
			require.NoError(t, s.Revoke(ctx, "sess_a", c.Now().Add(d)))
		}
		c.Advance(30 * time.Minute)
		ok, err := s.Revoked(ctx, "sess_a")
		require.NoError(t, err)
		assert.True(t, ok, "revocations %v: the later one must hold", order)
	}
	s, c := newClockStore()
	require.NoError(t, s.Revoke(ctx, "sess_a", c.Now().Add(time.Hour)))
	require.NoError(t, s.Revoke(ctx, "sess_a", c.Now().Add(-time.Hour)))
	ok, err := s.Revoked(ctx, "sess_a")
	require.NoError(t, err)
	assert.True(t, ok, "a revocation in the past does not end a current one")
}

func TestRevocationSweep(t *testing.T) {
	ctx := context.Background()
	s, c := newClockStore()
	require.NoError(t, s.Revoke(ctx, "sess_short", c.Now().Add(10*time.Second)))
	require.NoError(t, s.Revoke(ctx, "sess_long", c.Now().Add(time.Hour)))
	require.NoError(t, s.Revoke(ctx, "sess_past", c.Now().Add(-time.Second)))
	assert.Equal(t, 2, s.Revocations(), "a revocation already over is not kept")

	c.Advance(30 * time.Second)
	require.NoError(t, s.Revoke(ctx, "sess_other", c.Now().Add(time.Hour)))
	assert.Equal(t, 3, s.Revocations(), "no sweep within a minute of the last")

	c.Advance(time.Minute)
	require.NoError(t, s.Revoke(ctx, "sess_new", c.Now().Add(time.Hour)))
	assert.Equal(t, 3, s.Revocations(), "the expired one is swept")
	for id, want := range map[string]bool{"sess_short": false, "sess_long": true, "sess_other": true, "sess_new": true} {
		ok, err := s.Revoked(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, want, ok, id)
	}
}

func TestRevocationRejects(t *testing.T) {
	ctx := context.Background()
	s, c := newClockStore()
	err := s.Revoke(ctx, "", c.Now().Add(time.Hour))
	assert.ErrorIs(t, err, store.ErrInvalid)
	err = s.Revoke(ctx, "sess_a", time.Time{})
	assert.ErrorIs(t, err, store.ErrInvalid)
	ok, err := s.Revoked(ctx, "")
	assert.NoError(t, err)
	assert.False(t, ok)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.True(t, errors.Is(s.Revoke(cancelled, "sess_a", c.Now().Add(time.Hour)), context.Canceled))
	_, err = s.Revoked(cancelled, "sess_a")
	assert.ErrorIs(t, err, context.Canceled)
}
