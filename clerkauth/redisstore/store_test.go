package redisstore_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/redisstore"
	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/clerkauth/store/storetest"
)

func TestDedupeConformance(t *testing.T) {
	s, _ := newStore(t)
	// One store for every check (the kit's ids are unique); nil: Redis's
	// clock, so the kit waits in real time where expiry is checked.
	storetest.RunDedupe(t, func(*testing.T) (store.Dedupe, func(time.Duration)) { return s, nil })
}

func TestRevocationConformance(t *testing.T) {
	redisClient(t) // skip once, not per check
	storetest.RunRevocations(t, func(t *testing.T) store.Revocations {
		s, _ := newStore(t)
		return s
	})
}

func TestNew(t *testing.T) {
	_, err := redisstore.New(nil, redisstore.Config{})
	assert.ErrorIs(t, err, redisstore.ErrInvalidConfig)
	var nilClient *redis.Client
	_, err = redisstore.New(nilClient, redisstore.Config{})
	assert.ErrorIs(t, err, redisstore.ErrInvalidConfig, "a typed nil client")

	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = client.Close() })
	s, err := redisstore.New(client, redisstore.Config{})
	require.NoError(t, err)
	assert.Equal(t, redisstore.DefaultPrefix, s.Prefix())
	s, err = redisstore.New(client, redisstore.Config{Prefix: "app1:"})
	require.NoError(t, err)
	assert.Equal(t, "app1:", s.Prefix())
}

// Calls refused before reaching Redis.
func TestInvalidArguments(t *testing.T) {
	ctx := context.Background()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never reached
	t.Cleanup(func() { _ = client.Close() })
	s, err := redisstore.New(client, redisstore.Config{})
	require.NoError(t, err)
	for name, call := range map[string]func() error{
		"zero lease":            func() error { _, err := s.Claim(ctx, "msg_1", "owner", 0); return err },
		"negative lease":        func() error { _, err := s.Claim(ctx, "msg_1", "owner", -time.Second); return err },
		"claim without owner":   func() error { _, err := s.Claim(ctx, "msg_1", "", time.Minute); return err },
		"release without owner": func() error { return s.Release(ctx, "msg_1", "") },
		"zero ttl":              func() error { return s.Done(ctx, "msg_1", 0) },
		"negative ttl":          func() error { return s.Done(ctx, "msg_1", -time.Hour) },
		"empty session":         func() error { return s.Revoke(ctx, "", time.Now().Add(time.Hour)) },
		"session with a NUL":    func() error { return s.Revoke(ctx, "sess_\x00", time.Now().Add(time.Hour)) },
		"session not UTF-8":     func() error { return s.Revoke(ctx, "sess_\xff", time.Now().Add(time.Hour)) },
		"zero until":            func() error { return s.Revoke(ctx, "sess_1", time.Time{}) },
	} {
		t.Run(name, func(t *testing.T) {
			err := call()
			assert.ErrorIs(t, err, store.ErrInvalid)
			assert.True(t, strings.HasPrefix(err.Error(), "redisstore: "), err.Error())
		})
	}
}

// A Redis that cannot be reached is an error from every method: a claim is
// never "acquired", a session never "not revoked", by default.
func TestServerDown(t *testing.T) {
	ctx := context.Background()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = client.Close() })
	s, err := redisstore.New(client, redisstore.Config{})
	require.NoError(t, err)

	res, err := s.Claim(ctx, "msg_1", "owner", time.Minute)
	assert.Error(t, err)
	assert.Zero(t, res)
	assert.Error(t, s.Done(ctx, "msg_1", time.Hour))
	assert.Error(t, s.Release(ctx, "msg_1", "owner"))
	assert.Error(t, s.Revoke(ctx, "sess_1", time.Now().Add(time.Hour)))
	revoked, err := s.Revoked(ctx, "sess_1")
	assert.Error(t, err)
	assert.False(t, revoked)
	err = s.Ping(ctx)
	assert.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "redisstore: ping: "), err.Error())
}

// Cancelled contexts fail every dedupe call (RunRevocations covers the
// revocation calls).
func TestDedupeCancelledContext(t *testing.T) {
	s, client := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Claim(ctx, "msg_1", "owner", time.Minute)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, s.Done(ctx, "msg_1", time.Hour), context.Canceled)
	assert.ErrorIs(t, s.Release(ctx, "msg_1", "owner"), context.Canceled)
	n, err := client.Exists(context.Background(), s.Prefix()+"dedupe:msg_1").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "nothing written")
}

// The keys and values the store writes, and their expiry.
func TestKeyLayout(t *testing.T) {
	ctx := context.Background()
	s, client := newStore(t)
	key := s.Prefix() + "dedupe:msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"

	res, err := s.Claim(ctx, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", "owner_1", 90*time.Second)
	require.NoError(t, err)
	require.Equal(t, store.ClaimAcquired, res)
	assert.Equal(t, "claimed:owner_1", client.Get(ctx, key).Val())
	ttl := client.PTTL(ctx, key).Val()
	assert.True(t, ttl > 80*time.Second && ttl <= 90*time.Second, "lease PTTL %v", ttl)

	require.NoError(t, s.Done(ctx, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", 72*time.Hour))
	assert.Equal(t, "done", client.Get(ctx, key).Val())
	ttl = client.PTTL(ctx, key).Val()
	assert.True(t, ttl > 71*time.Hour && ttl <= 72*time.Hour, "done PTTL %v", ttl)

	until := time.Now().Add(10 * time.Minute)
	require.NoError(t, s.Revoke(ctx, "sess_1", until))
	rkey := s.Prefix() + "revoked:sess_1"
	assert.Equal(t, "1", client.Get(ctx, rkey).Val())
	expire := client.PExpireTime(ctx, rkey).Val()
	assert.InDelta(t, until.UnixMilli(), expire.Milliseconds(), 1, "expires at until (PXAT)")
}

// A release that comes after Done (a late, stale release) keeps the done
// mark; a release of another owner's claim keeps it; a release of one's
// own claim deletes it.
func TestReleaseOnlyDeletesOwnClaim(t *testing.T) {
	ctx := context.Background()
	s, client := newStore(t)
	res, err := s.Claim(ctx, "msg_a", "owner_a", time.Minute)
	require.NoError(t, err)
	require.Equal(t, store.ClaimAcquired, res)
	require.NoError(t, s.Done(ctx, "msg_a", time.Hour))
	require.NoError(t, s.Release(ctx, "msg_a", "owner_a"))
	res, err = s.Claim(ctx, "msg_a", "owner_b", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, store.ClaimDone, res, "the done mark survives a stale release")

	res, err = s.Claim(ctx, "msg_b", "owner_b", time.Minute)
	require.NoError(t, err)
	require.Equal(t, store.ClaimAcquired, res)
	require.NoError(t, s.Release(ctx, "msg_b", "owner_a"))
	require.NoError(t, s.Release(ctx, "msg_b", "owner_b2")) // a prefix or extension of no use
	require.NoError(t, s.Release(ctx, "msg_b", "owner_"))
	assert.Equal(t, "claimed:owner_b", client.Get(ctx, s.Prefix()+"dedupe:msg_b").Val(), "another owner's release keeps the claim")
	require.NoError(t, s.Release(ctx, "msg_b", "owner_b"))
	n, err := client.Exists(ctx, s.Prefix()+"dedupe:msg_b").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "the owner's release deletes it")
}

// A claim written before claims had owners (value "claimed", by an older
// replica during a rolling upgrade) is a claim in progress that no owner
// can release; its lease ends it.
func TestLegacyClaimValue(t *testing.T) {
	ctx := context.Background()
	s, client := newStore(t)
	key := s.Prefix() + "dedupe:msg_old"
	require.NoError(t, client.Set(ctx, key, "claimed", time.Minute).Err())
	res, err := s.Claim(ctx, "msg_old", "owner_new", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, store.ClaimInProgress, res)
	require.NoError(t, s.Release(ctx, "msg_old", "owner_new"))
	assert.Equal(t, "claimed", client.Get(ctx, key).Val())
}

// A key under the prefix that this package did not write is reported,
// not taken for a claim.
func TestClaimUnexpectedValue(t *testing.T) {
	ctx := context.Background()
	s, client := newStore(t)
	require.NoError(t, client.Set(ctx, s.Prefix()+"dedupe:msg_x", "something else", time.Minute).Err())
	res, err := s.Claim(ctx, "msg_x", "owner", time.Minute)
	assert.ErrorIs(t, err, redisstore.ErrUnexpectedValue)
	assert.Zero(t, res)
}

// A session revoked twice stays revoked until the later time; a time
// already past records nothing and does not shorten a revocation.
func TestRevokeKeepsLaterExpiry(t *testing.T) {
	ctx := context.Background()
	s, client := newStore(t)
	pexpire := func(id string) time.Duration { return client.PExpireTime(ctx, s.Prefix()+"revoked:"+id).Val() }
	later, sooner := time.Now().Add(2*time.Hour), time.Now().Add(time.Hour)

	require.NoError(t, s.Revoke(ctx, "sess_a", later))
	require.NoError(t, s.Revoke(ctx, "sess_a", sooner))
	require.NoError(t, s.Revoke(ctx, "sess_a", time.Now().Add(-time.Hour)))
	assert.InDelta(t, later.UnixMilli(), pexpire("sess_a").Milliseconds(), 1)

	require.NoError(t, s.Revoke(ctx, "sess_b", sooner))
	require.NoError(t, s.Revoke(ctx, "sess_b", later))
	assert.InDelta(t, later.UnixMilli(), pexpire("sess_b").Milliseconds(), 1)

	require.NoError(t, s.Revoke(ctx, "sess_c", time.Now().Add(-time.Second)))
	n, err := client.Exists(ctx, s.Prefix()+"revoked:sess_c").Result()
	require.NoError(t, err)
	assert.Zero(t, n)
	revoked, err := s.Revoked(ctx, "")
	require.NoError(t, err)
	assert.False(t, revoked)
}

// Redis expires a revocation on its own (the one real-time wait here).
func TestRevocationExpires(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	require.NoError(t, s.Revoke(ctx, "sess_a", time.Now().Add(150*time.Millisecond)))
	revoked, err := s.Revoked(ctx, "sess_a")
	require.NoError(t, err)
	require.True(t, revoked)
	time.Sleep(300 * time.Millisecond)
	revoked, err = s.Revoked(ctx, "sess_a")
	require.NoError(t, err)
	assert.False(t, revoked)
}

func TestPing(t *testing.T) {
	s, _ := newStore(t)
	assert.NoError(t, s.Ping(context.Background()))
}

// With AUTHKIT_TEST_REDIS set, an unreachable server fails the tests: they
// never skip.
func TestUnreachableServerFails(t *testing.T) {
	if os.Getenv("REDISSTORE_CHILD") != "" {
		t.Skip("in the child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPing$", "-test.v")
	cmd.Env = append(os.Environ(), redisEnv+"=redis://127.0.0.1:1/0", "REDISSTORE_CHILD=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "the test passed or skipped:\n%s", out)
	assert.Contains(t, string(out), "--- FAIL: TestPing")
	assert.Contains(t, string(out), "is set but Redis does not answer")
}

// An error never quotes a whole oversized id: a 1 MiB id shows its first 64 bytes and its
// length.
func TestOversizedIDInErrors(t *testing.T) {
	ctx := context.Background()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = client.Close() })
	s, err := redisstore.New(client, redisstore.Config{})
	require.NoError(t, err)
	id := "sess_" + strings.Repeat("a", 1<<20)
	for name, err := range map[string]error{
		"claim":   func() error { _, err := s.Claim(ctx, id, "owner", time.Minute); return err }(),
		"done":    s.Done(ctx, id, time.Hour),
		"release": s.Release(ctx, id, "owner"),
		"revoke":  s.Revoke(ctx, id, time.Now().Add(time.Hour)),
		"revoked": func() error { _, err := s.Revoked(ctx, id); return err }(),
	} {
		require.Error(t, err, name)
		require.Less(t, len(err.Error()), 400, "%s: %.300s", name, err.Error())
		require.Contains(t, err.Error(), `"sess_aaa`, name)
		require.Contains(t, err.Error(), "…(1048581 bytes)", name)
	}
}
