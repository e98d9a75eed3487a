package redisstore_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
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

// redisServer is a redis-server of the test's own, on a loopback port, that the test may
// stop and start again.
type redisServer struct {
	t    *testing.T
	bin  string
	port int
	dir  string
	cmd  *exec.Cmd
}

// startRedisServer starts a redis-server without persistence on a free loopback port. It
// skips the test when redis-server is not installed and AUTHKIT_TEST_REDIS is unset, and
// fails it when that variable is set (the Redis tests must run).
func startRedisServer(t *testing.T) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(redisEnv) != "" {
			t.Fatalf("%s is set but redis-server is not installed: this test starts and stops a server of its own", redisEnv)
		}
		t.Skip("redis-server is not installed and " + redisEnv + " is unset; skipping the Redis outage test")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	s := &redisServer{t: t, bin: bin, port: port, dir: t.TempDir()}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

func (s *redisServer) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--logfile", "")
	require.NoError(s.t, s.cmd.Start())
	client := redis.NewClient(&redis.Options{Addr: s.addr(), MaxRetries: -1})
	defer client.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := client.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on %s does not answer: %v", s.addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *redisServer) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Fail fast while a store is down, on a real Redis: once the middleware has seen Redis
// fail, each request is refused (503 with Retry-After) well under 100 ms, where the
// client's own retries took 1.3–1.7 s per request; when Redis is back on the same port,
// requests succeed again without restarting anything. Run with go-redis's default options
// (what an application most likely has) and with the options the package documentation
// recommends, which also make the first failure fast.
func TestRevocationsFailFastWhileRedisIsDown(t *testing.T) {
	for name, opts := range map[string]func(addr string) *redis.Options{
		"default client options": func(addr string) *redis.Options { return &redis.Options{Addr: addr} },
		"recommended client options": func(addr string) *redis.Options {
			return &redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 250 * time.Millisecond, DialerRetries: 1,
				ReadTimeout: 250 * time.Millisecond, WriteTimeout: 250 * time.Millisecond, PoolTimeout: 250 * time.Millisecond,
				ContextTimeoutEnabled: true}
		},
	} {
		t.Run(name, func(t *testing.T) { testFailFast(t, opts) })
	}
}

func testFailFast(t *testing.T, opts func(addr string) *redis.Options) {
	srv := startRedisServer(t)
	client := redis.NewClient(opts(srv.addr()))
	t.Cleanup(func() { _ = client.Close() })
	store, err := redisstore.New(client, redisstore.Config{Prefix: "outage-test:"})
	require.NoError(t, err)

	clerk := clerkauthtest.NewIssuer()
	t.Cleanup(clerk.Close)
	keys, err := jwks.ParsePEM(clerk.PEM())
	require.NoError(t, err)
	v, err := clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: clerk.Issuer(), Revocations: store})
	require.NoError(t, err)
	h := v.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	do := func(token string) (*httptest.ResponseRecorder, time.Duration) {
		req := httptest.NewRequest(http.MethodGet, "/api/thing", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		return rec, time.Since(start)
	}
	token := clerk.Token().Session("sess_outage").Sign()
	revoked := clerk.Token().Session("sess_revoked").Sign()

	for range 5 {
		rec, _ := do(token)
		require.Equal(t, http.StatusNoContent, rec.Code)
	}
	require.NoError(t, store.Revoke(t.Context(), "sess_revoked", time.Now().Add(time.Minute)))
	rec, _ := do(revoked)
	require.Equal(t, http.StatusUnauthorized, rec.Code)

	srv.stop()
	rec, first := do(token)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.NotEmpty(t, rec.Header().Get("Retry-After"))
	assert.Less(t, first, clerkauth.StoreReadTimeout+500*time.Millisecond, "the first failure is bounded by StoreReadTimeout")

	const n = 20
	took := make([]time.Duration, 0, n)
	for range n {
		rec, d := do(token)
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		ra, err := strconv.Atoi(rec.Header().Get("Retry-After"))
		require.NoError(t, err, "Retry-After %q", rec.Header().Get("Retry-After"))
		require.True(t, ra >= 1 && ra <= int(clerkauth.StoreBreakerOpen/time.Second), "Retry-After %d", ra)
		took = append(took, d)
	}
	slices.Sort(took)
	median := took[n/2]
	t.Logf("Redis down: first request refused in %v; the next %d in median %v, max %v", first.Round(time.Microsecond), n, median, took[n-1])
	assert.Less(t, median, 100*time.Millisecond, "requests wait on a store known to be down")

	srv.start() // the same port, an empty server (no persistence)
	start := time.Now()
	for {
		rec, _ := do(token)
		if rec.Code == http.StatusNoContent {
			break
		}
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		require.Less(t, time.Since(start), 10*time.Second, "requests never succeed again")
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("Redis back: requests served again %v after the restart", time.Since(start).Round(time.Millisecond))
	for range 5 {
		rec, _ := do(token)
		require.Equal(t, http.StatusNoContent, rec.Code)
	}
	// The exposure the package documentation describes: a server without persistence
	// forgot the revocation, and the revoked session's token is accepted again until its
	// exp.
	rec, _ = do(revoked)
	assert.Equal(t, http.StatusNoContent, rec.Code)
}
