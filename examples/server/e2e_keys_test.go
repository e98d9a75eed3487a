//go:build unix

package main

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
)

// TestEndToEndJWKSDownAtStart: with a JWKS endpoint that does not answer, the server
// listens before the endpoint has answered anything (it used to wait for it, 10 s and
// more); health answers 503 saying the keys are not loaded yet, and so do requests with a
// good token; once the endpoint answers, health is 200 and the token verifies.
func TestEndToEndJWKSDownAtStart(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var (
		open     = make(chan struct{})
		openOnce sync.Once
		finished atomic.Int64 // JWKS requests answered or given up
	)
	jwksServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer finished.Add(1)
		select {
		case <-open:
			f.iss.Handler().ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	}))
	openJWKS := func() { openOnce.Do(func() { close(open) }) }
	t.Cleanup(func() { openJWKS(); jwksServer.Close() })

	dbURL, _ := sqliteDatabase(t)
	env := f.env(dbURL)
	env["CLERK_JWKS_URL"] = jwksServer.URL + clerkauthtest.FrontendJWKSPath
	s := startServer(t, env)
	require.Zero(t, finished.Load(), "the server listened only after the JWKS endpoint answered or timed out")

	resp, body := s.get(pathHealth, "")
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.JSONEq(t, `{"status":"unhealthy","checks":{"database":"ok","keys":"not loaded yet"}}`, string(body))
	alice := f.sign(f.user("user_alice", "alice@example.com", "Alice", "A"))
	resp, body = s.get(pathMe, alice)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "a good token is never a 401 while the keys load: %s", body)
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))

	openJWKS()
	assert.JSONEq(t, `{"status":"healthy"}`, string(s.waitHealthy()))
	resp, body = s.get(pathMe, alice)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	assert.Contains(t, s.stderr.String(), "verification keys loaded")
	assert.Equal(t, 0, s.stop())
	assert.NotContains(t, s.stderr.String()+s.stdout.String(), alice, "a token in the output")
}
