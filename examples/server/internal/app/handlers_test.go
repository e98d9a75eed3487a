package app

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

func TestHealthWaitsForTheFirstKeys(t *testing.T) {
	clerk := clerkauthtest.NewIssuer()
	defer clerk.Close()
	clerk.SetDown(true)
	remote, err := jwks.NewRemote(t.Context(), jwks.RemoteConfig{URL: clerk.JWKSURL(), RetryInterval: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer remote.Close()
	h := &healthHandler{deps: map[string]pinger{"keys": keysLoaded{remote}}, log: slog.New(slog.DiscardHandler)}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/auth_core/health/", nil))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)

	clerk.SetDown(false)
	require.NoError(t, remote.Ready(t.Context()))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/auth_core/health/", nil))
	require.Equal(t, http.StatusOK, rec.Code)

	clerk.SetDown(true) // a later outage keeps the known keys: still healthy
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/auth_core/health/", nil))
	require.Equal(t, http.StatusOK, rec.Code)
}
