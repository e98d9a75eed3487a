package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

// pingFunc is a pinger of a test.
type pingFunc func(ctx context.Context) error

// Ping calls f.
func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }

// health asks h once.
func health(h http.Handler) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/auth_core/health/", nil))
	return rec
}

func TestHealthWaitsForTheFirstKeys(t *testing.T) {
	clerk := clerkauthtest.NewIssuer()
	defer clerk.Close()
	clerk.SetDown(true)
	keys := startKeys(t.Context(), jwks.RemoteConfig{URL: clerk.JWKSURL(), RetryInterval: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}, slog.New(slog.DiscardHandler))
	defer keys.Close()
	ok := pingFunc(func(context.Context) error { return nil })
	h := &healthHandler{deps: map[string]pinger{"database": ok, "keys": keys}, log: slog.New(slog.DiscardHandler)}

	rec := health(h)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.JSONEq(t, `{"status":"unhealthy","checks":{"database":"ok","keys":"not loaded yet"}}`, rec.Body.String())

	clerk.SetDown(false)
	require.NoError(t, keys.Ready(t.Context()))
	rec = health(h)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"status":"healthy"}`, rec.Body.String(), "the Django endpoint's answer")

	clerk.SetDown(true) // a later outage keeps the known keys: still healthy
	rec = health(h)
	require.Equal(t, http.StatusOK, rec.Code)
}

// Every dependency is checked, each gets its verdict; the reasons go to the log, once per
// change of state, never to the client.
func TestHealthChecks(t *testing.T) {
	var logs syncBuffer
	dbDown := true
	h := &healthHandler{deps: map[string]pinger{
		"database": pingFunc(func(context.Context) error {
			if dbDown {
				return errors.New("dial tcp 10.0.0.5:5432: connection refused")
			}
			return nil
		}),
		"redis": pingFunc(func(context.Context) error { return nil }),
		"keys":  pingFunc(func(context.Context) error { return errKeysNotLoaded }),
	}, log: slog.New(slog.NewTextHandler(&logs, nil))}

	for range 2 {
		rec := health(h)
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		assert.JSONEq(t, `{"status":"unhealthy","checks":{"database":"failing","redis":"ok","keys":"not loaded yet"}}`, rec.Body.String())
		assert.NotContains(t, rec.Body.String(), "10.0.0.5")
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	}
	assert.Equal(t, 1, strings.Count(logs.String(), "health: unhealthy"), "once per change of state:\n%s", logs.String())
	assert.Contains(t, logs.String(), "level=ERROR")
	assert.Contains(t, logs.String(), "10.0.0.5:5432")

	dbDown = false
	h.deps["keys"] = pingFunc(func(context.Context) error { return nil })
	rec := health(h)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"status":"healthy"}`, rec.Body.String())
	assert.Contains(t, logs.String(), "health: every dependency answers")

	// Only keys still loading: a warning, not an error.
	logs2 := &syncBuffer{}
	h = &healthHandler{deps: map[string]pinger{"keys": pingFunc(func(context.Context) error { return errKeysNotLoaded })},
		log: slog.New(slog.NewTextHandler(logs2, nil))}
	require.Equal(t, http.StatusServiceUnavailable, health(h).Code)
	assert.Contains(t, logs2.String(), "level=WARN")
}

// The checks run side by side: a database that hangs until the deadline does not make
// the others look failed. Each ping here answers only once the other has started, so
// pings asked one after the other would both time out.
func TestHealthChecksRunTogether(t *testing.T) {
	dbStarted, redisStarted := make(chan struct{}), make(chan struct{})
	waitFor := func(mine, other chan struct{}) pinger {
		return pingFunc(func(ctx context.Context) error {
			close(mine)
			select {
			case <-other:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}
	h := &healthHandler{deps: map[string]pinger{
		"database": waitFor(dbStarted, redisStarted),
		"redis":    waitFor(redisStarted, dbStarted),
	}, log: slog.New(slog.DiscardHandler)}
	rec := health(h)
	assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
}
