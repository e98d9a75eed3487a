package clerkauth

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/orgctx"
)

var errStoreDown = errors.New("store down")

func TestBreakerStates(t *testing.T) {
	clock := clerkauthtest.NewClock(time.Unix(1_800_000_000, 0))
	b := &breaker{now: clock.Now}
	calls := 0
	read := func(err error) func(context.Context) (int, error) {
		return func(context.Context) (int, error) { calls++; return 7, err }
	}
	ctx := context.Background()

	v, err := guardedRead(ctx, b, "x", read(nil))
	require.NoError(t, err)
	assert.Equal(t, 7, v)
	_, err = guardedRead(ctx, b, "x", read(store.ErrNotFound))
	require.ErrorIs(t, err, store.ErrNotFound, "not found is an answer")
	require.NotErrorIs(t, err, ErrStoreUnavailable)
	_, err = guardedRead(ctx, b, "x", read(nil))
	require.NoError(t, err, "still closed")

	// A read that began before the breaker opened, and succeeds after, does not close it.
	early, _, ok := b.allow()
	require.True(t, ok)
	_, err = guardedRead(ctx, b, "x", read(errStoreDown))
	require.ErrorIs(t, err, ErrStoreUnavailable)
	require.ErrorIs(t, err, errStoreDown)
	require.Equal(t, "clerkauth: store unavailable: x: store down", err.Error())
	b.done(early, readAnswered)
	n := calls
	_, err = guardedRead(ctx, b, "x", read(nil))
	require.ErrorIs(t, err, ErrStoreUnavailable)
	require.Equal(t, n, calls, "open: the store is not asked")
	assert.Equal(t, "2", retryAfterHeader(err))
	assert.Equal(t, "clerkauth: store unavailable: x: failing, not asked for 2s", err.Error())

	// A probe that panics counts as a failure: the breaker opens again, never stays
	// waiting for a probe that will not report.
	clock.Advance(StoreBreakerOpen)
	require.Panics(t, func() {
		_, _ = guardedRead(ctx, b, "x", func(context.Context) (int, error) { panic("store bug") })
	})
	_, err = guardedRead(ctx, b, "x", read(nil))
	require.ErrorIs(t, err, ErrStoreUnavailable, "open again after the panic")
	assert.Equal(t, "2", retryAfterHeader(err))

	// While a probe is under way, the others fail at once; a probe that never reports is
	// taken as lost after StoreReadTimeout and a second.
	clock.Advance(StoreBreakerOpen)
	probe, _, ok := b.allow()
	require.True(t, ok)
	_, err = guardedRead(ctx, b, "x", read(nil))
	require.ErrorIs(t, err, ErrStoreUnavailable)
	assert.Equal(t, "1", retryAfterHeader(err))
	clock.Advance(StoreReadTimeout + time.Second)
	n = calls
	_, err = guardedRead(ctx, b, "x", read(nil))
	require.NoError(t, err, "a new probe, which closes the breaker")
	require.Equal(t, n+1, calls)
	b.done(probe, readFailed) // the lost probe reports at last: too late to count
	_, err = guardedRead(ctx, b, "x", read(nil))
	require.NoError(t, err)

	// A probe whose caller went away hands the probe to the next read.
	_, _ = guardedRead(ctx, b, "x", read(errStoreDown))
	clock.Advance(StoreBreakerOpen)
	gone, cancel := context.WithCancel(ctx)
	cancel()
	_, err = guardedRead(gone, b, "x", func(ctx context.Context) (int, error) { return 0, ctx.Err() })
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, ErrStoreUnavailable)
	_, err = guardedRead(ctx, b, "x", read(nil))
	require.NoError(t, err, "the next read probed and closed the breaker")
}

// retryAfterHeader is the Retry-After the middleware's 503 carries for err.
func retryAfterHeader(err error) string {
	rec := httptest.NewRecorder()
	orgctx.WriteFailure(rec, nil, orgctx.Failure{Status: 503, Code: orgctx.CodeUnavailable, RetryAfter: retryAfter(err)})
	return rec.Header().Get("Retry-After")
}

func TestRetryAfterHeader(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                      "1",
		time.Millisecond:       "1",
		time.Second:            "1",
		time.Second + 1:        "2",
		StoreBreakerOpen:       "2",
		90 * time.Second:       "90",
		-5 * time.Second:       "1",
		StoreBreakerOpen - 1e6: "2",
	} {
		assert.Equal(t, want, retryAfterHeader(&unavailableError{what: "x", retryAfter: d}), d.String())
	}
	assert.Equal(t, "5", retryAfterHeader(ErrKeysUnavailable))
	assert.Equal(t, "5", retryAfterHeader(storeUnavailable("users", context.Canceled)))
}

// A store that hangs, its client ignoring the read's deadline: once reads have been
// pending for StoreReadTimeout with none returning, the breaker opens and the next reads
// fail at once, without waiting behind the hung ones. A slow read alone, while others
// return, does not open it.
func TestBreakerOpensOnAHungStore(t *testing.T) {
	clock := clerkauthtest.NewClock(time.Unix(1_800_000_000, 0))
	b := &breaker{now: clock.Now}
	ctx := context.Background()
	release := make(chan struct{})
	hung := make(chan error, 3)
	startHung := func() {
		entered := make(chan struct{})
		go func() {
			_, err := guardedRead(ctx, b, "x", func(context.Context) (int, error) {
				close(entered)
				<-release // ignores its context
				return 0, nil
			})
			hung <- err
		}()
		<-entered
	}
	quick := func(context.Context) (int, error) { return 1, nil }

	startHung() // one slow read; the store answers the others
	clock.Advance(StoreReadTimeout / 2)
	_, err := guardedRead(ctx, b, "x", quick)
	require.NoError(t, err)
	clock.Advance(StoreReadTimeout)
	_, err = guardedRead(ctx, b, "x", quick)
	require.NoError(t, err, "reads return: the store answers")

	startHung() // from here on the store answers nothing
	clock.Advance(StoreReadTimeout / 2)
	startHung()
	clock.Advance(StoreReadTimeout / 2)
	_, err = guardedRead(ctx, b, "x", quick)
	require.ErrorIs(t, err, ErrStoreUnavailable, "reads pending for StoreReadTimeout with none returning")
	assert.Equal(t, "2", retryAfterHeader(err))

	close(release)
	for range 3 {
		require.NoError(t, <-hung, "the hung reads' own answers, late")
	}
	_, err = guardedRead(ctx, b, "x", quick)
	require.ErrorIs(t, err, ErrStoreUnavailable, "late answers do not close the breaker")
	clock.Advance(StoreBreakerOpen)
	_, err = guardedRead(ctx, b, "x", quick)
	require.NoError(t, err, "the probe closes it")
}
