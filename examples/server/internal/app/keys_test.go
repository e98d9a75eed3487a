package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

// jwksGate serves a fake Clerk's JWKS only once opened; until then every request waits,
// as a JWKS endpoint that does not answer. finished counts the requests it is done with,
// served or given up by the client.
type jwksGate struct {
	srv      *httptest.Server
	open     chan struct{}
	openOnce sync.Once
	finished atomic.Int64
}

// newJWKSGate starts a closed gate in front of clerk's JWKS.
func newJWKSGate(t *testing.T, clerk *clerkauthtest.Issuer) *jwksGate {
	t.Helper()
	g := &jwksGate{open: make(chan struct{})}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer g.finished.Add(1)
		select {
		case <-g.open:
			clerk.Handler().ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { g.Open(); g.srv.Close() })
	return g
}

// Open lets the requests through, those waiting included.
func (g *jwksGate) Open() { g.openOnce.Do(func() { close(g.open) }) }

// URL is the gate's JWKS URL.
func (g *jwksGate) URL() string { return g.srv.URL + clerkauthtest.FrontendJWKSPath }

// New does not wait for a remote key set: with a JWKS endpoint that does not answer, the
// server is built (and Serve listens) before the endpoint has answered anything. Until
// the keys arrive, health and authenticated requests answer 503; then both work.
func TestNewDoesNotWaitForKeys(t *testing.T) {
	clerk := clerkauthtest.NewIssuer()
	defer clerk.Close()
	gate := newJWKSGate(t, clerk)
	cfg, err := LoadConfig(env{
		EnvAddr: "127.0.0.1:0", EnvDatabaseURL: "sqlite::memory:", EnvJWKSURL: gate.URL(),
		EnvIssuer: clerk.Issuer(), EnvAuthorizedParties: "http://localhost:3000",
	}.lookup)
	require.NoError(t, err)
	var logs syncBuffer
	a, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Audit: &syncBuffer{}})
	require.NoError(t, err)
	defer a.Close()
	require.Zero(t, gate.finished.Load(), "New waited for the JWKS endpoint")

	w := serve(a, "GET", "/api/auth_core/health/", "127.0.0.1:50000", "", "")
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.JSONEq(t, `{"status":"unhealthy","checks":{"database":"ok","keys":"not loaded yet"}}`, w.Body.String())
	tok := clerk.Token().User("user_early").AuthorizedParty("http://localhost:3000").Sign()
	w = serve(a, "GET", "/api/auth_core/me/", "127.0.0.1:50000", tok, "")
	require.Equal(t, http.StatusServiceUnavailable, w.Code, "a good token is never a 401 while the keys load")
	assert.NotEmpty(t, w.Header().Get("Retry-After"))
	assert.JSONEq(t, `{"error":"temporarily_unavailable","detail":"authentication temporarily unavailable"}`, w.Body.String())

	gate.Open()
	require.NoError(t, a.keys.Ready(t.Context()))
	w = serve(a, "GET", "/api/auth_core/health/", "127.0.0.1:50000", "", "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.JSONEq(t, `{"status":"healthy"}`, w.Body.String())
	w = serve(a, "GET", "/api/auth_core/me/", "127.0.0.1:50000", tok, "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var me meResponse
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &me))
	assert.Equal(t, "user_early", me.ID)
	require.NoError(t, a.Close()) // waits for the goroutine that logs the first keys
	assert.Contains(t, logs.String(), "verification keys loaded")
	assert.NotContains(t, logs.String(), tok)
}

// Close stops a key set whose first fetch is still waiting on the endpoint.
func TestBackgroundKeysCloseWhileStarting(t *testing.T) {
	clerk := clerkauthtest.NewIssuer()
	defer clerk.Close()
	gate := newJWKSGate(t, clerk)
	keys := startKeys(t.Context(), jwks.RemoteConfig{URL: gate.URL(), Logger: slog.New(slog.DiscardHandler)}, slog.New(slog.DiscardHandler))
	require.ErrorIs(t, keys.Ping(t.Context()), errKeysNotLoaded)
	_, err := keys.Key(t.Context(), nil) // the gate holds the first fetch: no Remote yet
	assert.ErrorIs(t, err, jwks.ErrKeysUnavailable)
	assert.False(t, keys.HasKey(clerk.KeyID()))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, keys.Ready(ctx), jwks.ErrKeysUnavailable)

	require.NoError(t, keys.Close()) // gives up the fetch the gate holds
	require.NoError(t, keys.Close(), "idempotent")
	require.ErrorIs(t, keys.Ping(t.Context()), errKeysNotLoaded)
}

// A key set that cannot start (a configuration LoadConfig would refuse) fails the health
// check, answers 503, and stops Serve with the reason.
func TestBackgroundKeysThatCannotStart(t *testing.T) {
	cfg, err := LoadConfig(env{EnvAddr: "127.0.0.1:0", EnvDatabaseURL: "sqlite::memory:",
		EnvJWKSURL: "https://clerk.example.com/jwks", EnvIssuer: "https://clerk.example.com"}.lookup)
	require.NoError(t, err)
	cfg.JWKSURL = "http://clerk.example.com/jwks" // plain http off loopback: jwks refuses it
	var logs syncBuffer
	a, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Audit: &syncBuffer{}})
	require.NoError(t, err)
	defer a.Close()

	err = a.Serve(t.Context())
	require.ErrorIs(t, err, jwks.ErrInvalidConfig)
	assert.ErrorContains(t, err, "verification keys:")
	assert.ErrorIs(t, a.keys.Ready(t.Context()), jwks.ErrInvalidConfig)
	assert.Contains(t, logs.String(), "the key set cannot start")

	w := serve(a, "GET", "/api/auth_core/health/", "127.0.0.1:50000", "", "")
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.JSONEq(t, `{"status":"unhealthy","checks":{"database":"ok","keys":"failing"}}`, w.Body.String())
}
