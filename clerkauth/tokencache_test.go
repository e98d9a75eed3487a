package clerkauth_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

// cacheFixture is a verifier with a MemoryTokenCache and a settable clock shared by both.
func cacheFixture(t *testing.T, iss *clerkauthtest.Issuer, cache *clerkauth.MemoryTokenCache, clock *clerkauthtest.Clock, cfg func(*clerkauth.Config)) *fixture {
	t.Helper()
	return fixtureFor(t, iss, func(c *clerkauth.Config) {
		c.Now = clock.Now
		c.TokenCache = cache
		if cfg != nil {
			cfg(c)
		}
	})
}

func newCache(t *testing.T, clock *clerkauthtest.Clock, maxTTL time.Duration) *clerkauth.MemoryTokenCache {
	t.Helper()
	c, err := clerkauth.NewMemoryTokenCache(clerkauth.MemoryTokenCacheConfig{MaxTTL: maxTTL, Now: clock.Now})
	require.NoError(t, err)
	return c
}

func TestCachedTokenStillExpiresOnTime(t *testing.T) {
	clock := clerkauthtest.NewClock(testNow)
	cache := newCache(t, clock, time.Hour)
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	f := cacheFixture(t, iss, cache, clock, nil)
	tok := iss.Token().Lifetime(time.Minute).Sign()

	first, err := f.verify(t, tok)
	require.NoError(t, err)
	require.Equal(t, 1, cache.Len())
	again, err := f.verify(t, tok)
	require.NoError(t, err)
	require.Same(t, first, again, "served from the cache")

	clock.Advance(time.Minute + 4*time.Second) // exp + 4 s: inside the 5 s leeway
	_, err = f.verify(t, tok)
	require.NoError(t, err)
	clock.Advance(time.Second) // exp + leeway
	_, err = f.verify(t, tok)
	require.ErrorIs(t, err, clerkauth.ErrTokenExpired)
}

func TestCacheEntryBoundedByMaxTTL(t *testing.T) {
	clock := clerkauthtest.NewClock(testNow)
	cache := newCache(t, clock, 10*time.Second)
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	f := cacheFixture(t, iss, cache, clock, nil)
	tok := iss.Token().Lifetime(time.Hour).Sign()
	first, err := f.verify(t, tok)
	require.NoError(t, err)
	clock.Advance(11 * time.Second)
	again, err := f.verify(t, tok)
	require.NoError(t, err, "still valid, verified again in full")
	require.NotSame(t, first, again)
}

func TestCacheIsNeverSharedBetweenVerifiers(t *testing.T) {
	clock := clerkauthtest.NewClock(testNow)
	cache := newCache(t, clock, time.Hour) // one cache object given to two verifiers
	instanceA := clerkauthtest.NewIssuer()
	defer instanceA.Close()
	instanceB := clerkauthtest.NewIssuer()
	defer instanceB.Close()
	a := cacheFixture(t, instanceA, cache, clock, nil)
	b := cacheFixture(t, instanceB, cache, clock, nil)

	tokA := instanceA.Token().Sign()
	_, err := a.verify(t, tokA)
	require.NoError(t, err)
	_, err = b.verify(t, tokA)
	require.ErrorIs(t, err, clerkauth.ErrIssuer, "B never accepts A's token, cached or not")

	// The same instance's issuer on B but another key set: still not from A's entry.
	c := cacheFixture(t, instanceA, cache, clock, func(cfg *clerkauth.Config) {
		keys, err := jwks.ParseJSON(instanceB.JWKS())
		require.NoError(t, err)
		cfg.Keys = keys
	})
	_, err = c.verify(t, tokA)
	require.ErrorIs(t, err, clerkauth.ErrUnknownKey)
}

func TestForgedTokensNeverEnterTheCache(t *testing.T) {
	clock := clerkauthtest.NewClock(testNow)
	cache := newCache(t, clock, time.Hour)
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	remote, err := jwks.NewRemote(t.Context(), jwks.RemoteConfig{URL: iss.JWKSURL(), Now: clock.Now, UnknownKIDInterval: time.Second})
	require.NoError(t, err)
	defer remote.Close()
	f := cacheFixture(t, iss, cache, clock, func(c *clerkauth.Config) { c.Keys = remote })

	attacker := clerkauthtest.NewKey()
	forged := iss.Token().SignWith(attacker.Private).Sign()
	for range 3 {
		_, err := f.verify(t, forged)
		require.ErrorIs(t, err, clerkauth.ErrInvalidSignature)
	}
	require.Zero(t, cache.Len())

	// A key rotated away: tokens it signs afterwards are forged, and never cached.
	old := iss.SigningKey()
	iss.Rotate()
	iss.Retire(old.ID)
	clock.Advance(2 * time.Second)
	_, err = f.verify(t, iss.Token().KeyID("ins_trigger_refresh").Sign()) // makes the Remote refresh
	require.ErrorIs(t, err, clerkauth.ErrUnknownKey)
	lateForgery := iss.Token().KeyID(old.ID).SignWith(old.Private).Sign()
	_, err = f.verify(t, lateForgery)
	require.ErrorIs(t, err, clerkauth.ErrUnknownKey)
	require.Zero(t, cache.Len())
	_, err = f.verify(t, iss.Token().Sign())
	require.NoError(t, err)
	require.Equal(t, 1, cache.Len())
}

func TestCacheHitsStillCheckRevocationsAndUsers(t *testing.T) {
	revs := &fakeRevocations{revoked: map[string]bool{}}
	users := newFakeUsers()
	f := newFixture(t, func(c *clerkauth.Config) { c.Revocations = revs; c.Users = users })
	tok := f.iss.Token().User("user_1").Session("sess_1").Sign()
	require.Equal(t, http.StatusOK, f.serve(bearer(tok)).Code)
	require.Equal(t, http.StatusOK, f.serve(bearer(tok)).Code) // cached now

	require.NoError(t, revs.Revoke(t.Context(), "sess_1", testNow.Add(time.Hour)))
	require.Equal(t, http.StatusUnauthorized, f.serve(bearer(tok)).Code)

	tok2 := f.iss.Token().User("user_1").Session("sess_2").Sign()
	require.Equal(t, http.StatusOK, f.serve(bearer(tok2)).Code)
	_, err := f.v.Users().DeactivateUser(t.Context(), "user_1", testNow)
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, f.serve(bearer(tok2)).Code)
}

func TestTokenCacheConfig(t *testing.T) {
	clock := clerkauthtest.NewClock(testNow)
	_, err := clerkauth.NewMemoryTokenCache(clerkauth.MemoryTokenCacheConfig{MaxEntries: -1})
	require.ErrorIs(t, err, clerkauth.ErrInvalidConfig)
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	keys, err := jwks.ParseJSON(iss.JWKS())
	require.NoError(t, err)
	_, err = clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: iss.Issuer(), DisableTokenCache: true, TokenCache: newCache(t, clock, 0)})
	require.ErrorIs(t, err, clerkauth.ErrInvalidConfig)

	// Disabled: the same token is verified in full each time (distinct sessions).
	f := fixtureFor(t, iss, func(c *clerkauth.Config) { c.DisableTokenCache = true })
	tok := iss.Token().Sign()
	s1, err := f.verify(t, tok)
	require.NoError(t, err)
	s2, err := f.verify(t, tok)
	require.NoError(t, err)
	require.NotSame(t, s1, s2)
	require.Equal(t, *s1, *s2)

	// Enabled by default.
	d := fixtureFor(t, iss, nil)
	s1, err = d.verify(t, tok)
	require.NoError(t, err)
	s2, err = d.verify(t, tok)
	require.NoError(t, err)
	require.Same(t, s1, s2)
}

func TestSmallCacheEvicts(t *testing.T) {
	clock := clerkauthtest.NewClock(testNow)
	cache, err := clerkauth.NewMemoryTokenCache(clerkauth.MemoryTokenCacheConfig{MaxEntries: 10, Now: clock.Now})
	require.NoError(t, err)
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	f := cacheFixture(t, iss, cache, clock, nil)
	for range 200 {
		_, err := f.verify(t, iss.Token().Sign())
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return cache.Len() <= 10 }, 5*time.Second, 10*time.Millisecond)
}

func TestCacheHitRechecksNotBefore(t *testing.T) {
	clock := clerkauthtest.NewClock(testNow)
	cache := newCache(t, clock, time.Hour)
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	f := cacheFixture(t, iss, cache, clock, nil)
	tok := iss.Token().Sign() // iat now, nbf 10 s before
	_, err := f.verify(t, tok)
	require.NoError(t, err)
	clock.Advance(-20 * time.Second) // the clock is set back
	_, err = f.verify(t, tok)
	require.ErrorIs(t, err, clerkauth.ErrTokenNotYetValid)
}

func TestCachedTokenDiesWithItsKey(t *testing.T) {
	clock := clerkauthtest.NewClock(testNow)
	cache := newCache(t, clock, time.Hour)
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	remote, err := jwks.NewRemote(t.Context(), jwks.RemoteConfig{URL: iss.JWKSURL(), Now: clock.Now, UnknownKIDInterval: time.Second})
	require.NoError(t, err)
	defer remote.Close()
	f := cacheFixture(t, iss, cache, clock, func(c *clerkauth.Config) { c.Keys = remote })

	old := iss.KeyID()
	tok := iss.Token().Lifetime(time.Hour).Sign()
	_, err = f.verify(t, tok)
	require.NoError(t, err)
	require.Equal(t, 1, cache.Len())

	// Clerk withdraws the key; a token with the new kid makes the Remote refresh.
	iss.Rotate()
	iss.Retire(old)
	_, err = f.verify(t, iss.Token().Sign())
	require.NoError(t, err)
	require.False(t, remote.HasKey(old))

	_, err = f.verify(t, tok)
	require.ErrorIs(t, err, clerkauth.ErrUnknownKey, "the cached token goes through full verification again")
}
