//go:build unix

package redisstore_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/clerkauth/redisstore"
	"github.com/unioneyes/authkit/jwks"
)

// A Redis that hangs (stopped with SIGSTOP: connections open, no answers) behind a client
// with go-redis's default options, which ignore the read's deadline and wait 5 s
// (ReadTimeout): the requests already waiting wait that long, but once reads have been
// pending for StoreReadTimeout with none returning, every new request is refused at once.
func TestRevocationsFailFastWhileRedisHangs(t *testing.T) {
	srv := startRedisServer(t)
	client := redis.NewClient(&redis.Options{Addr: srv.addr()})
	t.Cleanup(func() { _ = client.Close() })
	store, err := redisstore.New(client, redisstore.Config{Prefix: "hang-test:"})
	require.NoError(t, err)
	clerk := clerkauthtest.NewIssuer()
	t.Cleanup(clerk.Close)
	keys, err := jwks.ParsePEM(clerk.PEM())
	require.NoError(t, err)
	v, err := clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: clerk.Issuer(), Revocations: store})
	require.NoError(t, err)
	h := v.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	token := clerk.Token().Session("sess_hang").Sign()
	do := func() (int, time.Duration) {
		req := httptest.NewRequest(http.MethodGet, "/api/thing", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		return rec.Code, time.Since(start)
	}
	for range 5 {
		code, _ := do()
		require.Equal(t, http.StatusNoContent, code)
	}

	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGSTOP))
	t.Cleanup(func() {
		if srv.cmd != nil {
			_ = srv.cmd.Process.Signal(syscall.SIGCONT)
		}
	})
	type result struct {
		code int
		took time.Duration
	}
	first := make(chan result, 1)
	go func() { code, took := do(); first <- result{code, took} }()
	time.Sleep(clerkauth.StoreReadTimeout + 100*time.Millisecond)

	const n = 20
	took := make([]time.Duration, 0, n)
	for range n {
		code, d := do()
		require.Equal(t, http.StatusServiceUnavailable, code)
		took = append(took, d)
	}
	slices.Sort(took)
	r := <-first
	assert.Equal(t, http.StatusServiceUnavailable, r.code)
	t.Logf("Redis hung: the request already waiting took %v; the next %d were refused in median %v, max %v",
		r.took.Round(time.Millisecond), n, took[n/2], took[n-1])
	assert.Less(t, took[n-1], 100*time.Millisecond, "a request waited behind a store known to hang")

	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGCONT))
	start := time.Now()
	for {
		code, _ := do()
		if code == http.StatusNoContent {
			break
		}
		require.Less(t, time.Since(start), 15*time.Second, "requests never succeed again")
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("Redis answering again: requests served again %v later", time.Since(start).Round(time.Millisecond))
}
