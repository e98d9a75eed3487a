package webhook_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/clerkauth/store/storetest"
	"github.com/unioneyes/authkit/webhook"
)

func newManualClock(unix int64) *clerkauthtest.Clock {
	return clerkauthtest.NewClock(time.Unix(unix, 0))
}

func newMemoryDedupe(t testing.TB, cfg webhook.MemoryDedupeConfig) *webhook.MemoryDedupe {
	t.Helper()
	d, err := webhook.NewMemoryDedupe(cfg)
	require.NoError(t, err)
	return d
}

func TestMemoryDedupeContract(t *testing.T) {
	t.Parallel()
	storetest.RunDedupe(t, func(t *testing.T) (store.Dedupe, func(time.Duration)) {
		c := newManualClock(tsA)
		return newMemoryDedupe(t, webhook.MemoryDedupeConfig{Now: c.Now}), c.Advance
	})
}

// In real time, one store shared by every check: the kit's ids must not collide.
func TestMemoryDedupeContractRealTime(t *testing.T) {
	t.Parallel()
	d := newMemoryDedupe(t, webhook.MemoryDedupeConfig{})
	storetest.RunDedupe(t, func(*testing.T) (store.Dedupe, func(time.Duration)) { return d, nil })
}

func TestMemoryDedupeBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newManualClock(tsA)
	d := newMemoryDedupe(t, webhook.MemoryDedupeConfig{MaxEntries: 3, Now: c.Now})

	for i := range 3 {
		id := "done-" + strconv.Itoa(i)
		r, err := d.Claim(ctx, id, "owner", time.Minute)
		require.NoError(t, err)
		require.Equal(t, store.ClaimAcquired, r)
		require.NoError(t, d.Done(ctx, id, time.Hour))
		c.Advance(time.Second)
	}
	require.Equal(t, 3, d.Len())

	// Full of done marks: a new claim evicts the oldest mark.
	r, err := d.Claim(ctx, "claim-a", "owner", time.Minute)
	require.NoError(t, err)
	require.Equal(t, store.ClaimAcquired, r)
	assert.Equal(t, 3, d.Len())
	r, err = d.Claim(ctx, "done-0", "owner", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, store.ClaimAcquired, r, "the oldest done mark was evicted")
	r, err = d.Claim(ctx, "done-2", "owner", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, store.ClaimDone, r, "a newer done mark was kept")

	// Evict the last mark; then the store holds live claims only.
	r, err = d.Claim(ctx, "claim-b", "owner", time.Minute)
	require.NoError(t, err)
	require.Equal(t, store.ClaimAcquired, r)
	r, err = d.Claim(ctx, "claim-c", "owner", time.Minute)
	require.ErrorIs(t, err, webhook.ErrDedupeFull, "live claims are never evicted")
	assert.Zero(t, r)
	require.ErrorIs(t, d.Done(ctx, "other", time.Hour), webhook.ErrDedupeFull)
	assert.Equal(t, 3, d.Len())

	// Once the leases expire, their slots are reused.
	c.Advance(time.Minute)
	r, err = d.Claim(ctx, "claim-c", "owner", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, store.ClaimAcquired, r)
	assert.Equal(t, 1, d.Len(), "expired claims were dropped")
}

func TestMemoryDedupeExpiredEntriesAreDropped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newManualClock(tsA)
	d := newMemoryDedupe(t, webhook.MemoryDedupeConfig{Now: c.Now})
	for i := range 100 {
		id := strconv.Itoa(i)
		_, err := d.Claim(ctx, id, "owner", time.Minute)
		require.NoError(t, err)
		if i%2 == 0 {
			require.NoError(t, d.Done(ctx, id, time.Hour))
		}
	}
	require.Equal(t, 100, d.Len())
	c.Advance(time.Hour)
	_, err := d.Claim(ctx, "new", "owner", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, 1, d.Len())
}

func TestMemoryDedupeReleaseKeepsDone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newMemoryDedupe(t, webhook.MemoryDedupeConfig{})
	require.NoError(t, d.Done(ctx, "a", time.Hour))
	require.NoError(t, d.Release(ctx, "a", "owner"))
	r, err := d.Claim(ctx, "a", "owner", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, store.ClaimDone, r)
}

func TestMemoryDedupeRejects(t *testing.T) {
	t.Parallel()
	_, err := webhook.NewMemoryDedupe(webhook.MemoryDedupeConfig{MaxEntries: -1})
	require.ErrorIs(t, err, webhook.ErrInvalidConfig)
	var cerr *webhook.ConfigError
	require.ErrorAs(t, err, &cerr)
	require.Equal(t, "MemoryDedupeConfig.MaxEntries", cerr.Field)

	d := newMemoryDedupe(t, webhook.MemoryDedupeConfig{})
	_, err = d.Claim(context.Background(), "a", "owner", 0)
	require.ErrorIs(t, err, store.ErrInvalid)
	_, err = d.Claim(context.Background(), "a", "", time.Minute)
	require.ErrorIs(t, err, store.ErrInvalid, "empty owner")
	require.ErrorIs(t, d.Done(context.Background(), "a", -time.Second), store.ErrInvalid)
	require.ErrorIs(t, d.Release(context.Background(), "a", ""), store.ErrInvalid, "empty owner")
	assert.Zero(t, d.Len())
}
