//go:build unix

package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
)

// The variables naming the test services; unset, their scenarios skip.
const (
	envTestPostgres = "AUTHKIT_TEST_POSTGRES"
	envTestRedis    = "AUTHKIT_TEST_REDIS"
)

// randomHex returns 12 random hex digits, for names no other run uses.
func randomHex(t *testing.T) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// sqliteDatabase returns a DATABASE_URL for a fresh SQLite file, and a function that
// breaks the database under the running server (its tables dropped).
func sqliteDatabase(t *testing.T) (string, func(*testing.T)) {
	path := filepath.Join(t.TempDir(), "authkit.db")
	return "sqlite:" + path, func(t *testing.T) {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
		require.NoError(t, err)
		defer db.Close()
		_, err = db.Exec(`DROP TABLE authkit_schema_migrations`)
		require.NoError(t, err)
	}
}

// postgresDatabase returns a DATABASE_URL for a fresh schema of the test server, dropped
// after the test, and a function that drops it under the running server. It skips when
// AUTHKIT_TEST_POSTGRES is unset and fails when the server does not answer.
func postgresDatabase(t *testing.T) (string, func(*testing.T)) {
	dsn := os.Getenv(envTestPostgres)
	if dsn == "" {
		t.Skip(envTestPostgres + " is not set; skipping the PostgreSQL end-to-end test")
	}
	admin, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, admin.PingContext(ctx), envTestPostgres+" is set but PostgreSQL does not answer")
	schema := "authkit_e2e_" + randomHex(t)
	_, err = admin.ExecContext(ctx, `CREATE SCHEMA `+schema)
	require.NoError(t, err)
	drop := func(t *testing.T) {
		_, err := admin.Exec(`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`)
		require.NoError(t, err)
	}
	t.Cleanup(func() { drop(t) })
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema) // pgx passes it to the server as a run-time parameter
	u.RawQuery = q.Encode()
	return u.String(), drop
}

// TestEndToEnd runs the server binary against a fake Clerk instance and walks every
// endpoint: on SQLite, on PostgreSQL (AUTHKIT_TEST_POSTGRES) and with Redis
// (AUTHKIT_TEST_REDIS).
func TestEndToEnd(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		dbURL, breakDB := sqliteDatabase(t)
		walk(t, startServer(t, f.env(dbURL)), f, breakDB)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		dbURL, breakDB := postgresDatabase(t)
		walk(t, startServer(t, f.env(dbURL)), f, breakDB)
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		redisURL := os.Getenv(envTestRedis)
		if redisURL == "" {
			t.Skip(envTestRedis + " is not set; skipping the Redis end-to-end test")
		}
		opts, err := redis.ParseURL(redisURL)
		require.NoError(t, err)
		client := redis.NewClient(opts)
		t.Cleanup(func() { _ = client.Close() })
		ctx := context.Background()
		require.NoError(t, client.Ping(ctx).Err(), envTestRedis+" is set but Redis does not answer")
		prefix := "authkit-e2e-" + randomHex(t) + ":"
		t.Cleanup(func() {
			keys, _ := client.Keys(ctx, prefix+"*").Result()
			if len(keys) > 0 {
				_ = client.Del(ctx, keys...).Err()
			}
		})

		f := newFixture(t)
		dbURL, breakDB := sqliteDatabase(t)
		env := f.env(dbURL)
		env["REDIS_URL"], env["REDIS_PREFIX"] = redisURL, prefix
		walk(t, startServer(t, env), f, breakDB)

		// The revocation and the deduplication marks went to Redis, under the prefix.
		n, err := client.Exists(ctx, prefix+"revoked:sess_carol_1").Result()
		require.NoError(t, err)
		assert.Equal(t, int64(1), n, "the revocation is not in Redis")
		n, err = client.Exists(ctx, prefix+"dedupe:msg_bob_created").Result()
		require.NoError(t, err)
		assert.Equal(t, int64(1), n, "the webhook's dedupe mark is not in Redis")
	})
}

// TestEndToEndKeySources checks the networkless PEM key and the Backend API's JWKS (with
// the secret key) against the fake instance.
func TestEndToEndKeySources(t *testing.T) {
	for name, keys := range map[string]func(*clerkauthtest.Issuer) map[string]string{
		"CLERK_JWT_KEY": func(iss *clerkauthtest.Issuer) map[string]string {
			return map[string]string{"CLERK_JWT_KEY": iss.PEM()}
		},
		"CLERK_SECRET_KEY": func(iss *clerkauthtest.Issuer) map[string]string {
			return map[string]string{"CLERK_SECRET_KEY": iss.SecretKey(), "CLERK_API_URL": iss.URL() + "/v1"}
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			dbURL, _ := sqliteDatabase(t)
			env := keys(f.iss)
			env["ADDR"], env["CLERK_ISSUER"], env["DATABASE_URL"] = "127.0.0.1:0", f.iss.Issuer(), dbURL
			s := startServer(t, env)
			s.waitHealthy()
			assert.Contains(t, s.stderr.String(), "config.keys="+name)
			// No CLERK_AUTHORIZED_PARTIES outside dev mode: one warning naming the risk.
			assert.Equal(t, 1, strings.Count(s.stderr.String(), "CLERK_AUTHORIZED_PARTIES is not set: the azp claim is not checked"))

			resp, body := s.get(pathMe, f.sign(f.iss.Token().User("user_pem")))
			assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
			other := clerkauthtest.NewIssuer()
			defer other.Close()
			resp, _ = s.get(pathMe, f.sign(other.Token().User("user_pem")))
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			assert.Equal(t, 0, s.stop())
			assert.NotContains(t, s.stderr.String(), f.iss.SecretKey(), "the secret key appears in the log")
		})
	}
}

// TestEndToEndWebhookNotConfigured: without a signing secret the webhook endpoint answers
// 503, and start-up says so.
func TestEndToEndWebhookNotConfigured(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dbURL, _ := sqliteDatabase(t)
	env := f.env(dbURL)
	delete(env, "CLERK_WEBHOOK_SECRET")
	s := startServer(t, env)
	assert.Contains(t, s.stderr.String(), "CLERK_WEBHOOK_SECRET is not set: the webhook endpoint answers 503")
	body := event(t, "user.deleted", map[string]any{"id": "user_x", "deleted": true})
	resp, _ := f.deliver(s, "", body)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, 0, s.stop())
}

// TestEndToEndConfigErrors: bad values stop the start with every problem listed, exit
// status 2, and secrets unquoted.
func TestEndToEndConfigErrors(t *testing.T) {
	t.Parallel()
	cmd := startFailing(t, map[string]string{
		"CLERK_SECRET_KEY":     "sk_live_TOPSECRET value",
		"CLERK_ISSUER":         "https://clerk.example.com",
		"DATABASE_URL":         "mysql://app:hunter2@db.internal/app",
		"TRUSTED_PROXIES":      "10.0.0.0/33",
		"CORS_ALLOWED_ORIGINS": "*",
		// Set, but listing nothing: an error, not "no authorized parties".
		"CLERK_AUTHORIZED_PARTIES": ",",
	})
	assert.Equal(t, 2, cmd.code)
	for _, want := range []string{"invalid configuration", "CLERK_SECRET_KEY:", "DATABASE_URL:", "TRUSTED_PROXIES:", "CORS_ALLOWED_ORIGINS:",
		"CLERK_AUTHORIZED_PARTIES: set, but every comma-separated item is empty"} {
		assert.Contains(t, cmd.stderr, want)
	}
	for _, secret := range []string{"TOPSECRET", "hunter2"} {
		assert.NotContains(t, cmd.stderr, secret)
	}
	assert.Empty(t, cmd.stdout)

	// A database that cannot be opened: start-up fails, exit status 1.
	cmd = startFailing(t, map[string]string{
		"ADDR":          "127.0.0.1:0",
		"CLERK_JWT_KEY": clerkauthtest.PublicKeyPEM(&clerkauthtest.NewKey().Private.PublicKey),
		"CLERK_ISSUER":  "https://clerk.example.com",
		"DATABASE_URL":  "postgres://app:hunter2@127.0.0.1:1/app?connect_timeout=2",
	})
	assert.Equal(t, 1, cmd.code)
	assert.Contains(t, cmd.stderr, "start-up failed")
	assert.NotContains(t, cmd.stderr, "hunter2")

	// No key source beside production settings: never dev mode, exit status 2.
	cmd = startFailing(t, map[string]string{
		"ADDR":                 ":0",
		"DATABASE_URL":         "postgres://app:hunter2@db.internal/app",
		"CLERK_WEBHOOK_SECRET": clerkauthtest.NewWebhookSecret(),
	})
	assert.Equal(t, 2, cmd.code)
	for _, want := range []string{"ADDR:", "DATABASE_URL:", "CLERK_WEBHOOK_SECRET:", "no key source"} {
		assert.Contains(t, cmd.stderr, want)
	}
	assert.NotContains(t, cmd.stderr, "DEV MODE")
}

// failedRun is the outcome of a server that exited on its own.
type failedRun struct {
	code           int
	stdout, stderr string
}

// startFailing runs the server expecting it to exit on its own.
func startFailing(t *testing.T, env map[string]string) failedRun {
	t.Helper()
	var stdout, stderr lines
	cmd := serverCommand(t, t.TempDir(), env)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	require.NoError(t, cmd.Start())
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.Error(t, err, "the server exited 0 with a bad configuration")
	case <-time.After(startTimeout):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the server did not exit with a bad configuration; stderr:\n%s", stderr.String())
	}
	return failedRun{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// bannerCurl is the ready-to-paste curl of the DEV MODE banner.
var bannerCurl = regexp.MustCompile(`curl -s -H "Authorization: Bearer ([A-Za-z0-9_.-]+)" (http://\S+)`)

// TestEndToEndDevMode starts the server with no key source: the banner's curl works, the
// dev endpoints mint tokens and sign webhooks, and the default database is authkit.db in
// the working directory.
func TestEndToEndDevMode(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"ADDR": "127.0.0.1:0"})
	bannerRules := func() int { // the banner, which follows the listening line, has two
		return len(slices.DeleteFunc(s.stderr.Lines(), func(l string) bool { return !strings.HasPrefix(l, "==========") }))
	}
	for deadline := time.Now().Add(startTimeout); bannerRules() < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	logs := s.stderr.String()
	assert.Contains(t, logs, "DEV MODE")
	assert.Contains(t, logs, "LOCAL FAKE CLERK")
	assert.FileExists(t, filepath.Join(s.dir, "authkit.db"))

	// The banner's curl, as pasted.
	m := bannerCurl.FindStringSubmatch(logs)
	require.NotNil(t, m, "no ready-to-paste curl in the banner:\n%s", logs)
	require.Equal(t, s.url+pathMe, m[2])
	resp, body := s.get(pathMe, m[1])
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	me := decode[map[string]any](t, body)
	assert.Equal(t, "demo@example.com", me["email"])
	demo, _ := me["id"].(string)
	require.True(t, strings.HasPrefix(demo, "user_"), demo)

	// The banner's dev curls send JSON, as the dev endpoints require.
	assert.Equal(t, 2, strings.Count(logs, `/dev/token -H 'Content-Type: application/json' -d '{`)+
		strings.Count(logs, `/dev/webhook -H 'Content-Type: application/json' -d '{`), "the banner's dev curls:\n%s", logs)

	// POST /dev/token: an org admin, then the admin endpoint.
	jsonBody := http.Header{"Content-Type": {"application/json"}}
	resp, body = s.do(http.MethodPost, "/dev/token", jsonBody,
		[]byte(`{"user_id":"user_alice","email":"alice@example.com","org_id":"org_acme","role":"admin","permissions":["org:members:manage"]}`))
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	tok := decode[struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
		UserID    string `json:"user_id"`
	}](t, body)
	assert.Equal(t, "user_alice", tok.UserID)
	exp, err := time.Parse(time.RFC3339, tok.ExpiresAt)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(time.Hour), exp, time.Minute)
	resp, body = s.get(pathMe, tok.Token)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	assert.JSONEq(t, `{"id":"user_alice","email":"alice@example.com","first_name":"","last_name":"","clerk_user_id":"user_alice",
		"organization":{"id":"org_acme","slug":"org_acme","role":"org:admin","permissions":["org:members:manage"]}}`, string(body))
	resp, body = s.get(adminPath("org_acme"), tok.Token)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	resp, body = s.do(http.MethodPost, "/dev/token", jsonBody, []byte(`{"lifetime_seconds":999999}`))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s", body)
	resp, _ = s.do(http.MethodPost, "/dev/token", jsonBody, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "an empty body takes every default")

	// Only direct requests from this machine: no CSRF, DNS rebinding or local proxy.
	for name, h := range map[string]http.Header{
		"text/plain":      {"Content-Type": {"text/plain"}},
		"no content type": {},
		"foreign origin":  {"Content-Type": {"application/json"}, "Origin": {"https://evil.example"}},
		"null origin":     {"Content-Type": {"application/json"}, "Origin": {"null"}},
		"forwarded":       {"Content-Type": {"application/json"}, "X-Forwarded-For": {"203.0.113.7"}},
	} {
		resp, body = s.do(http.MethodPost, "/dev/token", h, []byte(`{"user_id":"user_mallory","org_id":"org_acme","role":"admin"}`))
		assert.Contains(t, []int{http.StatusForbidden, http.StatusUnsupportedMediaType}, resp.StatusCode, "%s: %s", name, body)
		assert.NotContains(t, string(body), "token", name)
	}
	resp, body = s.doHost("evil.example:8000", http.MethodPost, "/dev/token", jsonBody, []byte(`{}`))
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a foreign Host (DNS rebinding): %s", body)

	// POST /dev/webhook: deactivate the demo user; its next request is refused.
	resp, body = s.do(http.MethodPost, "/dev/webhook", http.Header{"Content-Type": {"text/plain"}},
		[]byte(`{"type":"user.deleted","data":{"id":"`+demo+`","deleted":true}}`))
	require.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode, "a cross-site form could delete the user: %s", body)
	resp, body = s.do(http.MethodPost, "/dev/webhook", jsonBody,
		[]byte(`{"type":"user.deleted","data":{"id":"`+demo+`","deleted":true}}`))
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	resp, _ = s.get(pathMe, m[1])
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	assert.Equal(t, 0, s.stop())
	assert.Len(t, s.stdout.Lines(), int(s.requests.Load()), "one audit line per request")
	assert.NotContains(t, s.stdout.String(), m[1], "a token in the audit trail")
	assert.NotContains(t, s.stdout.String(), tok.Token, "a token in the audit trail")
}
