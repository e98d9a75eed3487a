package machine

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
)

func TestBackendAPIRetryAfter(t *testing.T) {
	start := newBAPIClock().Now()
	tests := []struct {
		name       string
		retryAfter []string
		want       time.Duration
	}{
		{"absent", nil, DefaultBackendAPIRetryAfter},
		{"seconds", []string{"7"}, 7 * time.Second},
		{"one second", []string{"1"}, time.Second},
		{"zero", []string{"0"}, time.Second},
		{"capped", []string{"3600"}, MaxBackendAPIRetryAfter},
		{"exactly the cap", []string{"60"}, MaxBackendAPIRetryAfter},
		{"overflowing", []string{"99999999999999999999999999"}, MaxBackendAPIRetryAfter},
		{"HTTP date", []string{start.Add(20 * time.Second).Format(http.TimeFormat)}, 20 * time.Second},
		{"RFC 850 date", []string{start.Add(30 * time.Second).Format(time.RFC850)}, 30 * time.Second},
		{"ANSI C date", []string{start.Add(9 * time.Second).Format(time.ANSIC)}, 9 * time.Second},
		{"past date", []string{start.Add(-time.Hour).Format(http.TimeFormat)}, time.Second},
		{"far date", []string{start.Add(24 * time.Hour).Format(http.TimeFormat)}, MaxBackendAPIRetryAfter},
		{"garbage", []string{"soon"}, DefaultBackendAPIRetryAfter},
		{"negative", []string{"-5"}, DefaultBackendAPIRetryAfter},
		{"fraction", []string{"1.5"}, DefaultBackendAPIRetryAfter},
		{"empty", []string{""}, DefaultBackendAPIRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newBAPIEnv(t, nil)
			e.setGood(bapiGoodAK)
			_, err := e.b.VerifyMachineToken(context.Background(), bapiGoodAK)
			require.NoError(t, err)
			const trigger = "ak_trigger_token"
			e.fake.set(trigger, bapiAnswer{status: http.StatusTooManyRequests, header: http.Header{"Retry-After": tt.retryAfter},
				body: `{"errors":[{"message":"Too many requests","long_message":"Too many requests","code":"too_many_requests"}]}`})

			_, err = e.b.VerifyMachineToken(context.Background(), trigger)
			require.ErrorIs(t, err, clerkauth.ErrBackendAPI)
			require.ErrorIs(t, err, ErrBackendAPIThrottled)
			require.NotErrorIs(t, err, ErrBackendAPIRateLimited)
			require.EqualValues(t, 2, e.fake.hits.Load())
			assert.Contains(t, e.log.String(), "retry_after="+tt.want.String())
			assert.Contains(t, e.log.String(), "too_many_requests")

			// During the pause: no call for any token not in the cache (the one that
			// met the 429 included), cache hits served.
			e.setGood(bapiMT)
			for i := range 20 {
				e.requireRefusedLocally(t, fmt.Sprintf("ak_paused_%08d", i), ErrBackendAPIThrottled)
				e.requireServed(t, bapiGoodAK)
			}
			e.requireRefusedLocally(t, trigger, ErrBackendAPIThrottled)
			e.clock.Advance(tt.want - time.Millisecond)
			e.requireRefusedLocally(t, bapiMT, ErrBackendAPIThrottled)
			e.requireServed(t, bapiGoodAK)
			assert.Contains(t, e.log.String(), "reason=clerk_retry_after")

			// When it has passed, a legitimate token works.
			e.clock.Advance(time.Millisecond)
			p, err := e.b.VerifyMachineToken(context.Background(), bapiMT)
			require.NoError(t, err)
			assert.Equal(t, "mt_good", p.ID)
			assert.EqualValues(t, 3, e.fake.hits.Load())
		})
	}
}

func TestBackendAPIPauseSpendsNoCallBudget(t *testing.T) {
	// A bucket of 6, of which new tokens may spend 3, and next to no refill: the
	// refusals during a pause spend none of it.
	e := newBAPIEnv(t, func(c *BackendAPIConfig) { c.MaxCallsPerSecond = 0.001; c.MaxCallBurst = 6 })
	e.setGood(bapiGoodAK)
	_, err := e.b.VerifyMachineToken(context.Background(), bapiGoodAK) // 1 of 3
	require.NoError(t, err)
	e.fake.set("ak_trigger_token", bapiAnswer{status: 429, header: http.Header{"Retry-After": {"2"}}})
	_, err = e.b.VerifyMachineToken(context.Background(), "ak_trigger_token") // 2 of 3
	require.ErrorIs(t, err, ErrBackendAPIThrottled)
	for i := range 100 {
		e.requireRefusedLocally(t, fmt.Sprintf("ak_paused_%08d", i), ErrBackendAPIThrottled)
	}
	e.clock.Advance(2 * time.Second)
	e.setGood(bapiMT)
	_, err = e.b.VerifyMachineToken(context.Background(), bapiMT) // 3 of 3
	require.NoError(t, err)
	e.requireRefusedLocally(t, bapiOAT, ErrBackendAPIRateLimited)
	assert.EqualValues(t, 3, e.fake.hits.Load())
}

func TestBackendAPIPauseTakesTheLongerRetryAfter(t *testing.T) {
	e := newBAPIEnv(t, nil)
	e.fake.set("ak_long_retry_after", bapiAnswer{status: 429, header: http.Header{"Retry-After": {"30"}}})
	e.fake.set("ak_short_retry_after", bapiAnswer{status: 429, header: http.Header{"Retry-After": {"5"}}})
	e.fake.arrived = make(chan struct{}, 2)
	e.fake.release = make(chan struct{})
	errs := make(chan error, 2)
	for _, token := range []string{"ak_long_retry_after", "ak_short_retry_after"} {
		go func() {
			_, err := e.b.VerifyMachineToken(context.Background(), token)
			errs <- err
		}()
	}
	<-e.fake.arrived
	<-e.fake.arrived
	close(e.fake.release) // both answered, in either order
	for range 2 {
		require.ErrorIs(t, <-errs, ErrBackendAPIThrottled)
	}
	e.fake.arrived, e.fake.release = nil, nil
	e.clock.Advance(30*time.Second - time.Millisecond)
	e.requireRefusedLocally(t, bapiAK, ErrBackendAPIThrottled)
	e.clock.Advance(time.Millisecond)
	e.setGood(bapiAK)
	_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.NoError(t, err)
}

func TestBackendAPIPauseIsBoundedWhenTheClockMovesBack(t *testing.T) {
	e := newBAPIEnv(t, nil)
	e.fake.set("ak_trigger_token", bapiAnswer{status: 429, header: http.Header{"Retry-After": {"60"}}})
	_, err := e.b.VerifyMachineToken(context.Background(), "ak_trigger_token")
	require.ErrorIs(t, err, ErrBackendAPIThrottled)
	e.clock.Advance(-time.Hour) // a wall clock stepped back
	e.requireRefusedLocally(t, bapiAK, ErrBackendAPIThrottled)
	e.clock.Advance(MaxBackendAPIRetryAfter)
	e.setGood(bapiAK)
	_, err = e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.NoError(t, err, "the pause lasted no more than MaxBackendAPIRetryAfter from the stepped-back clock")
}

func FuzzBackendAPIRetryAfter(f *testing.F) {
	now := newBAPIClock().Now()
	for _, s := range []string{
		"", "0", "1", "5", "60", "61", "3600", "99999999999999999999999", "-1", "1.5", " 7 ", "+7", "0x10", "soon",
		now.Add(20 * time.Second).Format(http.TimeFormat), now.Add(-time.Hour).Format(http.TimeFormat),
		now.Add(30 * time.Second).Format(time.RFC850), now.Add(9 * time.Second).Format(time.ANSIC),
		"Mon, 01 Jan 0001 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "\x00", "７",
	} {
		f.Add(s)
	}
	digits := regexp.MustCompile(`^[0-9]+$`)
	f.Fuzz(func(t *testing.T, v string) {
		d := bapiRetryAfter(v, now)
		if d < time.Second || d > MaxBackendAPIRetryAfter {
			t.Fatalf("bapiRetryAfter(%q) = %s, out of [1s, %s]", v, d, MaxBackendAPIRetryAfter)
		}
		s := strings.TrimSpace(v)
		if digits.MatchString(s) {
			want := MaxBackendAPIRetryAfter
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && n <= 60 {
				want = max(time.Duration(n)*time.Second, time.Second)
			}
			if d != want {
				t.Fatalf("bapiRetryAfter(%q) = %s, want %s", v, d, want)
			}
		}
		if s == "" && d != DefaultBackendAPIRetryAfter {
			t.Fatalf("bapiRetryAfter(%q) = %s, want the default", v, d)
		}
	})
}
