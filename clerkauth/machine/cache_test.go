package machine

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
)

func TestBackendAPICachesAcceptance(t *testing.T) {
	e := newBAPIEnv(t, nil)
	e.fake.set(bapiAK, bapiAnswer{body: `{"object":"api_key","id":"ak_1","subject":"user_1","scopes":["a"],"claims":{"k":1}}`})
	for range 100 {
		p, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
		require.NoError(t, err)
		require.Equal(t, "ak_1", p.ID)
	}
	assert.EqualValues(t, 1, e.fake.hits.Load())

	// Answers are copies: what a caller does to one does not reach the next.
	p, _ := e.b.VerifyMachineToken(context.Background(), bapiAK)
	p.Scopes[0] = "admin"
	p.Claims[2] = 'X'
	p.Name = "changed"
	q, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, q.Scopes)
	assert.JSONEq(t, `{"k":1}`, string(q.Claims))
	assert.Empty(t, q.Name)

	// MaxCacheTTL (60 s by default) bounds an entry of a token that does not expire:
	// when a quarter of it is left, a request starts a revalidation in the background
	// (TestBackendAPIRevalidatesInTheBackground).
	e.clock.Advance(e.b.refresh - time.Second)
	_, err = e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.NoError(t, err)
	e.settle()
	assert.EqualValues(t, 1, e.fake.hits.Load())
	e.clock.Advance(time.Second)
	_, err = e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.NoError(t, err)
	e.settle()
	assert.EqualValues(t, 2, e.fake.hits.Load())
}

func TestBackendAPICacheEndsAtTokenExpiration(t *testing.T) {
	e := newBAPIEnv(t, func(c *BackendAPIConfig) { c.MaxCacheTTL = time.Hour })
	e.fake.set(bapiMT, bapiAnswer{body: fmt.Sprintf(`{"object":"machine_to_machine_token","id":"mt_1","subject":"mch_1","expiration":%d}`, e.ms(30*time.Second))})
	_, err := e.b.VerifyMachineToken(context.Background(), bapiMT)
	require.NoError(t, err)
	e.clock.Advance(30*time.Second - time.Millisecond)
	_, err = e.b.VerifyMachineToken(context.Background(), bapiMT)
	require.NoError(t, err)
	assert.EqualValues(t, 1, e.fake.hits.Load())

	// The cached acceptance ends with the token, and an expired token costs no call.
	e.clock.Advance(time.Millisecond)
	_, err = e.b.VerifyMachineToken(context.Background(), bapiMT)
	require.ErrorIs(t, err, clerkauth.ErrMachineTokenExpired)
	e.clock.Advance(2 * time.Hour) // past MaxCacheTTL and StaleIfError too
	_, err = e.b.VerifyMachineToken(context.Background(), bapiMT)
	require.ErrorIs(t, err, clerkauth.ErrMachineTokenExpired)
	assert.EqualValues(t, 1, e.fake.hits.Load())
}

func TestBackendAPINegativeCache(t *testing.T) {
	for _, neg := range []time.Duration{0, 3 * time.Second} {
		t.Run(fmt.Sprint(neg), func(t *testing.T) {
			e := newBAPIEnv(t, func(c *BackendAPIConfig) { c.NegativeCacheTTL = neg })
			ttl := cmpOrDuration(neg, DefaultMachineNegativeCacheTTL)
			e.fake.set(bapiOAT, bapiAnswer{body: `{"object":"clerk_idp_oauth_access_token","id":"oat_1","subject":"user_1","revoked":true}`})
			for range 10 {
				_, err := e.b.VerifyMachineToken(context.Background(), bapiOAT)
				require.ErrorIs(t, err, clerkauth.ErrMachineTokenRevoked)
			}
			assert.EqualValues(t, 1, e.fake.hits.Load())
			e.clock.Advance(ttl - time.Millisecond)
			_, err := e.b.VerifyMachineToken(context.Background(), bapiOAT)
			require.ErrorIs(t, err, clerkauth.ErrMachineTokenRevoked)
			assert.EqualValues(t, 1, e.fake.hits.Load())
			e.clock.Advance(time.Millisecond)
			_, err = e.b.VerifyMachineToken(context.Background(), bapiOAT)
			require.ErrorIs(t, err, clerkauth.ErrMachineTokenRevoked)
			assert.EqualValues(t, 2, e.fake.hits.Load())
		})
	}
}

func TestBackendAPICacheHoldsOnlyHashes(t *testing.T) {
	e := newBAPIEnv(t, nil)
	e.fake.set(bapiAK, bapiAnswer{body: `{"object":"api_key","id":"ak_1","subject":"user_1","name":"n"}`})
	_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.NoError(t, err)
	_, err = e.b.VerifyMachineToken(context.Background(), bapiMT) // a negative entry
	require.ErrorIs(t, err, clerkauth.ErrMachineTokenInvalid)

	n := 0
	for k, v := range e.b.known.All() {
		n++
		assert.Equal(t, sha256.Sum256([]byte(bapiAK)), k, "the key is the SHA-256 of the accepted token")
		assert.NotContains(t, fmt.Sprintf("%+v", *v.p), bapiAK)
	}
	for k, v := range e.b.refused.All() {
		n++
		assert.Equal(t, sha256.Sum256([]byte(bapiMT)), k, "the key is the SHA-256 of the refused token")
		assert.NotContains(t, v.err.Error(), bapiMT)
	}
	assert.Equal(t, 2, n)
}

func TestBackendAPICacheIsBounded(t *testing.T) {
	const size, tokens = 4, 100
	e := newBAPIEnv(t, func(c *BackendAPIConfig) { c.CacheSize = size; c.MaxCallsPerSecond = 1e6 })
	e.fake.fallback = func(_, token string) bapiAnswer {
		return bapiAnswer{body: `{"object":"api_key","id":"ak_` + strings.TrimPrefix(token, "ak_") + `","subject":"user_1"}`}
	}
	for i := range tokens {
		p, err := e.b.VerifyMachineToken(context.Background(), fmt.Sprintf("ak_bound_%08d", i))
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("ak_bound_%08d", i), p.ID)
	}
	require.EqualValues(t, tokens, e.fake.hits.Load())
	e.b.known.CleanUp()
	assert.LessOrEqual(t, e.b.known.EstimatedSize(), size)
	for i := range tokens {
		_, err := e.b.VerifyMachineToken(context.Background(), fmt.Sprintf("ak_bound_%08d", i))
		require.NoError(t, err)
	}
	assert.GreaterOrEqual(t, e.fake.hits.Load(), int64(2*tokens-size), "evicted tokens are asked again")
}
