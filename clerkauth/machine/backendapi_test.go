package machine

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
)

func TestBackendAPIAcceptsEachKind(t *testing.T) {
	e := newBAPIEnv(t, nil)
	exp := e.ms(time.Hour)
	e.fake.set(bapiAK, bapiAnswer{body: fmt.Sprintf(`{"object":"api_key","id":"ak_0123456789abcdef0123456789abcdef",
		"type":"api_key","name":"CI deploys","subject":"org_2abc","scopes":["read:builds","write:builds"],
		"claims":{"env":"prod"},"revoked":false,"revocation_reason":null,"expired":false,"expiration":%d,
		"created_by":"user_1","description":null,"last_used_at":null,"created_at":1,"updated_at":2}`, exp)})
	e.fake.set(bapiMT, bapiAnswer{body: `{"object":"machine_to_machine_token","id":"mt_abc","subject":"mch_caller",
		"scopes":["mch_callee"],"claims":null,"revoked":false,"revocation_reason":null,"expired":false,
		"expiration":null,"last_used_at":null,"created_at":1,"updated_at":2}`})
	e.fake.set(bapiOAT, bapiAnswer{body: fmt.Sprintf(`{"object":"clerk_idp_oauth_access_token","id":"oat_id_1",
		"client_id":"client_XYZ","subject":"user_42","scopes":["profile","email"],"revoked":false,
		"revocation_reason":null,"expired":false,"expiration":%d,"created_at":1,"updated_at":2}`, exp)})

	tests := []struct {
		token string
		want  clerkauth.Principal
	}{
		{bapiAK, clerkauth.Principal{Kind: clerkauth.KindAPIKey, ID: "ak_0123456789abcdef0123456789abcdef", Subject: "org_2abc",
			Name: "CI deploys", Scopes: []string{"read:builds", "write:builds"}, Claims: json.RawMessage(`{"env":"prod"}`),
			ExpiresAt: time.UnixMilli(exp)}},
		{bapiMT, clerkauth.Principal{Kind: clerkauth.KindM2MToken, ID: "mt_abc", Subject: "mch_caller", Scopes: []string{"mch_callee"}}},
		{bapiOAT, clerkauth.Principal{Kind: clerkauth.KindOAuthToken, ID: "oat_id_1", Subject: "user_42", Name: "client_XYZ",
			Scopes: []string{"profile", "email"}, ExpiresAt: time.UnixMilli(exp)}},
	}
	for _, tt := range tests {
		t.Run(string(tt.want.Kind), func(t *testing.T) {
			p, err := e.b.VerifyMachineToken(context.Background(), tt.token)
			require.NoError(t, err)
			assert.Equal(t, tt.want, *p)
		})
	}
	assert.EqualValues(t, 3, e.fake.hits.Load())
	assert.Empty(t, e.log.String(), "nothing to log for good answers")
}

func TestBackendAPIRefusals(t *testing.T) {
	e := newBAPIEnv(t, nil)
	past := e.ms(-time.Second)
	future := e.ms(time.Hour)
	tests := []struct {
		name   string
		answer bapiAnswer
		want   error
	}{
		{"revoked", bapiAnswer{body: fmt.Sprintf(`{"object":"api_key","id":"ak_1","subject":"user_1","revoked":true,"revocation_reason":"leaked","expired":false,"expiration":%d}`, future)}, clerkauth.ErrMachineTokenRevoked},
		{"revoked and expired", bapiAnswer{body: `{"object":"api_key","id":"ak_1","subject":"user_1","revoked":true,"expired":true}`}, clerkauth.ErrMachineTokenRevoked},
		{"expired flag", bapiAnswer{body: fmt.Sprintf(`{"object":"api_key","id":"ak_1","subject":"user_1","expired":true,"expiration":%d}`, future)}, clerkauth.ErrMachineTokenExpired},
		{"expiration past by our clock", bapiAnswer{body: fmt.Sprintf(`{"object":"api_key","id":"ak_1","subject":"user_1","expired":false,"expiration":%d}`, past)}, clerkauth.ErrMachineTokenExpired},
		{"expiration exactly now", bapiAnswer{body: fmt.Sprintf(`{"object":"api_key","id":"ak_1","subject":"user_1","expiration":%d}`, e.ms(0))}, clerkauth.ErrMachineTokenExpired},
		{"inactive OAuth token", bapiAnswer{body: `{"active":false}`}, clerkauth.ErrMachineTokenInvalid},
		{"inactive OAuth token with its object", bapiAnswer{body: `{"object":"clerk_idp_oauth_access_token","active":false}`}, clerkauth.ErrMachineTokenInvalid},
		{"404", bapiAnswer{status: 404, body: clerkNotFound}, clerkauth.ErrMachineTokenInvalid},
		{"404 code only", bapiAnswer{status: 404, body: `{"errors":[{"code":"resource_not_found"}]}`}, clerkauth.ErrMachineTokenInvalid},
		{"400", bapiAnswer{status: 400, body: `{"errors":[{"message":"Bad Request","long_message":"Invalid 'secret'","code":"form_param_format_invalid","meta":{"param_name":"secret"}}]}`}, clerkauth.ErrMachineTokenInvalid},
		{"422", bapiAnswer{status: 422, body: `{"errors":[{"message":"is invalid","long_message":"token is invalid","code":"form_param_value_invalid"},{"message":"m","long_message":"l","code":"other"}],"meta":{}}`}, clerkauth.ErrMachineTokenInvalid},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := fmt.Sprintf("ak_refusal_%08d", i)
			if strings.HasPrefix(tt.name, "inactive OAuth") {
				token = fmt.Sprintf("oat_refusal_%08d", i) // the OAuth endpoint's answer only
			}
			e.fake.set(token, tt.answer)
			p, err := e.b.VerifyMachineToken(context.Background(), token)
			require.ErrorIs(t, err, tt.want)
			assert.Nil(t, p)
			assert.NotErrorIs(t, err, clerkauth.ErrBackendAPI)
			assert.NotContains(t, err.Error(), token)
		})
	}
	assert.Empty(t, e.log.String(), "refusals of a token are not the operator's concern")
}

func TestBackendAPISecretKeyRefused(t *testing.T) {
	for _, status := range []int{401, 403} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			e := newBAPIEnv(t, nil)
			e.fake.fallback = func(string, string) bapiAnswer {
				return bapiAnswer{status: status, body: `{"errors":[{"message":"secret key ` + bapiTestSecret + ` invalid","code":"authentication_invalid"}]}`}
			}
			for range 3 {
				_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
				require.ErrorIs(t, err, clerkauth.ErrBackendAPI)
				require.ErrorIs(t, err, ErrBackendAPIUnauthorized)
				assert.NotContains(t, err.Error(), bapiTestSecret)
				assert.NotContains(t, err.Error(), bapiAK)
			}
			assert.EqualValues(t, 3, e.fake.hits.Load(), "never cached")
			assert.Equal(t, 1, e.log.count("ERROR"), "logged once a minute at most:\n%s", e.log)
			assert.Contains(t, e.log.String(), "authentication_invalid")

			e.clock.Advance(time.Minute)
			_, err := e.b.VerifyMachineToken(context.Background(), bapiMT)
			require.ErrorIs(t, err, ErrBackendAPIUnauthorized)
			assert.Equal(t, 2, e.log.count("ERROR"))
			assert.Contains(t, e.log.String(), "suppressed=2")

			logs := e.log.String()
			assert.NotContains(t, logs, bapiTestSecret, "the secret key never reaches the log")
			assert.NotContains(t, logs, bapiAK)
			assert.NotContains(t, logs, bapiMT)
		})
	}
}

func TestBackendAPIFailuresAreNotCached(t *testing.T) {
	tests := []struct {
		name   string
		answer bapiAnswer
		also   error // wrapped with ErrBackendAPI, if not nil
	}{
		{"500", bapiAnswer{status: 500, body: `{"errors":[{"code":"internal_clerk_error"}]}`}, nil},
		{"502 html", bapiAnswer{status: 502, body: `<html>bad gateway</html>`}, nil},
		{"503", bapiAnswer{status: 503}, nil},
		{"429", bapiAnswer{status: 429, header: http.Header{"Retry-After": {"3"}}, body: `{"errors":[{"code":"too_many_requests"}]}`}, ErrBackendAPIThrottled},
		{"redirect", bapiAnswer{status: 307, header: http.Header{"Location": {"/elsewhere"}}}, nil},
		{"410", bapiAnswer{status: 410}, nil},
		{"200 no id", bapiAnswer{body: `{"object":"api_key","subject":"user_1"}`}, nil},
		{"200 no subject", bapiAnswer{body: `{"object":"api_key","id":"ak_1"}`}, nil},
		{"200 empty subject", bapiAnswer{body: `{"object":"api_key","id":"ak_1","subject":""}`}, nil},
		{"200 mistyped", bapiAnswer{body: `{"object":"api_key","id":"ak_1","revoked":"no"}`}, nil},
		{"200 too large", bapiAnswer{body: `{"object":"api_key","id":"ak_1","name":"` + strings.Repeat("x", 70<<10) + `"}`}, nil},
	}
	// 200 answers that are not the endpoint's object: TestBackendAPIAnswerMustBeTheEndpointsObject.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newBAPIEnv(t, nil)
			e.fake.set(bapiAK, tt.answer)
			for i := range 2 {
				p, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
				require.ErrorIs(t, err, clerkauth.ErrBackendAPI)
				assert.NotErrorIs(t, err, ErrBackendAPIUnauthorized)
				assert.NotErrorIs(t, err, ErrBackendAPIRateLimited)
				if tt.also != nil {
					assert.ErrorIs(t, err, tt.also)
				} else {
					assert.NotErrorIs(t, err, ErrBackendAPIThrottled)
				}
				for _, s := range []error{clerkauth.ErrMachineTokenInvalid, clerkauth.ErrMachineTokenExpired, clerkauth.ErrMachineTokenRevoked, clerkauth.ErrTokenType} {
					assert.NotErrorIs(t, err, s)
				}
				assert.Nil(t, p)
				assert.EqualValues(t, i+1, e.fake.hits.Load(), "a failure is never cached")
				e.clock.Advance(11 * time.Second) // past the warning's spacing
			}
			assert.Equal(t, 2, e.log.count("WARN"), "%s", e.log)
			assert.NotContains(t, e.log.String(), bapiTestSecret)
			assert.NotContains(t, e.log.String(), bapiAK)
		})
	}
}

func TestBackendAPIWarningsAreSpaced(t *testing.T) {
	e := newBAPIEnv(t, nil)
	e.fake.fallback = func(string, string) bapiAnswer { return bapiAnswer{status: 500} }
	for i := range 5 {
		_, err := e.b.VerifyMachineToken(context.Background(), fmt.Sprintf("ak_outage_%08d", i))
		require.ErrorIs(t, err, clerkauth.ErrBackendAPI)
	}
	assert.Equal(t, 1, e.log.count("WARN"))
	e.clock.Advance(10 * time.Second)
	_, err := e.b.VerifyMachineToken(context.Background(), "ak_outage_final1")
	require.ErrorIs(t, err, clerkauth.ErrBackendAPI)
	assert.Equal(t, 2, e.log.count("WARN"))
	assert.Contains(t, e.log.String(), "suppressed=4")
}

func TestBackendAPITimeout(t *testing.T) {
	e := newBAPIEnv(t, func(c *BackendAPIConfig) { c.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond} })
	e.fake.release = make(chan struct{}) // never released: the server hangs until the client gives up
	_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.ErrorIs(t, err, clerkauth.ErrBackendAPI)
	assert.NotContains(t, err.Error(), bapiAK)
	assert.Equal(t, 1, e.log.count("WARN"))
}

func TestBackendAPIUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	b, err := NewBackendAPI(BackendAPIConfig{SecretKey: bapiTestSecret, URL: url, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	_, err = b.VerifyMachineToken(context.Background(), bapiOAT)
	require.ErrorIs(t, err, clerkauth.ErrBackendAPI)
}

func TestBackendAPIConcurrentFirstLookupsShareOneCall(t *testing.T) {
	e := newBAPIEnv(t, nil)
	e.fake.set(bapiAK, bapiAnswer{body: `{"object":"api_key","id":"ak_1","subject":"user_1"}`})
	e.fake.arrived = make(chan struct{}, 64)
	e.fake.release = make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			p, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
			if err == nil && p.ID != "ak_1" {
				err = fmt.Errorf("id %q", p.ID)
			}
			errs <- err
		})
	}
	<-e.fake.arrived
	close(e.fake.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	// Late callers either joined the flight or found its answer cached (the flight checks
	// the cache before calling): exactly one call, whatever the scheduling.
	assert.EqualValues(t, 1, e.fake.hits.Load())
}

func TestBackendAPIWaiterLeavesWhenItsContextEnds(t *testing.T) {
	e := newBAPIEnv(t, nil)
	e.fake.set(bapiAK, bapiAnswer{body: `{"object":"api_key","id":"ak_1","subject":"user_1"}`})
	e.fake.arrived = make(chan struct{}, 1)
	e.fake.release = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.b.VerifyMachineToken(ctx, bapiAK)
		done <- err
	}()
	<-e.fake.arrived
	cancel()
	// The server is still holding the call: the waiter returns without its answer.
	err := <-done
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, clerkauth.ErrBackendAPI)

	// The call itself was not cancelled with the first caller: once Clerk answers, the
	// answer is cached and serves the next request without another call.
	close(e.fake.release)
	p, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.NoError(t, err)
	assert.Equal(t, "ak_1", p.ID)
	assert.EqualValues(t, 1, e.fake.hits.Load())
}

func TestBackendAPIDoesNotFollowRedirects(t *testing.T) {
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
	}))
	defer other.Close()
	e := newBAPIEnv(t, nil)
	e.fake.set(bapiAK, bapiAnswer{status: http.StatusPermanentRedirect, header: http.Header{"Location": {other.URL + "/steal"}}})
	_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.ErrorIs(t, err, clerkauth.ErrBackendAPI)
	assert.Zero(t, elsewhere.Load(), "the token is never resent elsewhere")
}

func TestNewBackendAPIConfig(t *testing.T) {
	bad := []struct {
		name string
		cfg  BackendAPIConfig
	}{
		{"no secret", BackendAPIConfig{}},
		{"blank secret", BackendAPIConfig{SecretKey: "  \t"}},
		{"secret with newline", BackendAPIConfig{SecretKey: bapiTestSecret + "\n"}},
		{"secret with space", BackendAPIConfig{SecretKey: "sk_test_a b"}},
		{"secret with control", BackendAPIConfig{SecretKey: "sk_test_a\x01"}},
		{"secret not ascii", BackendAPIConfig{SecretKey: "sk_test_é"}},
		{"http remote", BackendAPIConfig{SecretKey: bapiTestSecret, URL: "http://api.clerk.com/v1"}},
		{"ftp", BackendAPIConfig{SecretKey: bapiTestSecret, URL: "ftp://127.0.0.1/v1"}},
		{"relative", BackendAPIConfig{SecretKey: bapiTestSecret, URL: "/v1"}},
		{"no scheme", BackendAPIConfig{SecretKey: bapiTestSecret, URL: "api.clerk.com/v1"}},
		{"query", BackendAPIConfig{SecretKey: bapiTestSecret, URL: "https://api.clerk.com/v1?x=1"}},
		{"fragment", BackendAPIConfig{SecretKey: bapiTestSecret, URL: "https://api.clerk.com/v1#x"}},
		{"user info", BackendAPIConfig{SecretKey: bapiTestSecret, URL: "https://u:p@api.clerk.com/v1"}},
		{"unparsable", BackendAPIConfig{SecretKey: bapiTestSecret, URL: "https://[::1"}},
		{"negative size", BackendAPIConfig{SecretKey: bapiTestSecret, CacheSize: -1}},
		{"negative ttl", BackendAPIConfig{SecretKey: bapiTestSecret, MaxCacheTTL: -time.Second}},
		{"negative stale-if-error", BackendAPIConfig{SecretKey: bapiTestSecret, StaleIfError: -time.Second}},
		{"negative negative ttl", BackendAPIConfig{SecretKey: bapiTestSecret, NegativeCacheTTL: -time.Second}},
		{"negative calls per second", BackendAPIConfig{SecretKey: bapiTestSecret, MaxCallsPerSecond: -1}},
		{"NaN calls per second", BackendAPIConfig{SecretKey: bapiTestSecret, MaxCallsPerSecond: math.NaN()}},
		{"infinite calls per second", BackendAPIConfig{SecretKey: bapiTestSecret, MaxCallsPerSecond: math.Inf(1)}},
		{"negative infinite calls per second", BackendAPIConfig{SecretKey: bapiTestSecret, MaxCallsPerSecond: math.Inf(-1)}},
		{"negative burst", BackendAPIConfig{SecretKey: bapiTestSecret, MaxCallBurst: -1}},
		{"negative concurrent calls", BackendAPIConfig{SecretKey: bapiTestSecret, MaxConcurrentCalls: -1}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBackendAPI(tt.cfg)
			require.ErrorIs(t, err, clerkauth.ErrInvalidConfig)
			assert.Nil(t, b)
			if strings.TrimSpace(tt.cfg.SecretKey) != "" {
				assert.NotContains(t, err.Error(), strings.TrimSpace(tt.cfg.SecretKey))
			}
		})
	}

	t.Run("defaults", func(t *testing.T) {
		b, err := NewBackendAPI(BackendAPIConfig{SecretKey: bapiTestSecret})
		require.NoError(t, err)
		assert.Equal(t, "https://api.clerk.com/v1/api_keys/verify", b.endpoints[0].url)
		assert.Equal(t, "https://api.clerk.com/v1/m2m_tokens/verify", b.endpoints[1].url)
		assert.Equal(t, "https://api.clerk.com/v1/oauth_applications/access_tokens/verify", b.endpoints[2].url)
		assert.Equal(t, DefaultBackendAPITimeout, b.client.Timeout)
		assert.Equal(t, DefaultMachineCacheTTL, b.maxTTL)
		assert.Equal(t, DefaultMachineNegativeCacheTTL, b.negTTL)
		assert.Equal(t, DefaultMachineStaleIfError, b.stale)
		assert.EqualValues(t, DefaultMachineCacheSize, b.known.GetMaximum())
		assert.EqualValues(t, DefaultMachineCacheSize, b.refused.GetMaximum())
		assert.Equal(t, slog.Default(), b.log)
		assert.EqualValues(t, DefaultMaxBackendAPICallsPerSecond, b.budget.calls.Limit())
		assert.Equal(t, 2*DefaultMaxBackendAPICallsPerSecond, b.budget.calls.Burst())
		assert.Equal(t, 2*DefaultMaxBackendAPICallsPerSecond, b.budget.depth)
		assert.Equal(t, DefaultMaxConcurrentBackendAPICalls, b.budget.slots)
	})

	limits := []struct {
		name      string
		perSecond float64
		burst     int
		wantBurst int
	}{
		{"default burst is twice the rate", 5, 0, 10},
		{"rounded up", 2.2, 0, 5},
		{"at least one", 0.1, 0, 1},
		{"capped", 1e300, 0, math.MaxInt32},
		{"given burst kept", 100, 3, 3},
		{"given burst above the rate", 1, 50, 50},
	}
	for _, tt := range limits {
		t.Run("limits "+tt.name, func(t *testing.T) {
			b, err := NewBackendAPI(BackendAPIConfig{SecretKey: bapiTestSecret, MaxCallsPerSecond: tt.perSecond,
				MaxCallBurst: tt.burst, MaxConcurrentCalls: 3})
			require.NoError(t, err)
			assert.EqualValues(t, tt.perSecond, b.budget.calls.Limit())
			assert.Equal(t, tt.wantBurst, b.budget.calls.Burst())
			assert.Equal(t, tt.wantBurst, b.budget.depth)
			assert.Equal(t, 3, b.budget.slots)
		})
	}

	for _, u := range []string{"http://localhost:8080/v1/", "http://127.0.0.1:8080/v1//", "http://[::1]:8080/v1", "https://api.clerk.com/v1/"} {
		t.Run("url "+u, func(t *testing.T) {
			b, err := NewBackendAPI(BackendAPIConfig{SecretKey: bapiTestSecret, URL: u})
			require.NoError(t, err)
			assert.Equal(t, strings.TrimRight(u, "/")+"/api_keys/verify", b.endpoints[0].url)
		})
	}

	t.Run("trailing slash reaches the right path", func(t *testing.T) {
		e := newBAPIEnv(t, func(c *BackendAPIConfig) { c.URL += "/" })
		_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
		require.ErrorIs(t, err, clerkauth.ErrMachineTokenInvalid) // the fake checks the path
		assert.EqualValues(t, 1, e.fake.hits.Load())
	})

	t.Run("client is copied", func(t *testing.T) {
		given := &http.Client{}
		b, err := NewBackendAPI(BackendAPIConfig{SecretKey: bapiTestSecret, HTTPClient: given})
		require.NoError(t, err)
		assert.Zero(t, given.Timeout)
		assert.Nil(t, given.CheckRedirect)
		assert.NotSame(t, given, b.client)
		assert.Equal(t, DefaultBackendAPITimeout, b.client.Timeout)

		given = &http.Client{Timeout: time.Second}
		b, err = NewBackendAPI(BackendAPIConfig{SecretKey: bapiTestSecret, HTTPClient: given})
		require.NoError(t, err)
		assert.Equal(t, time.Second, b.client.Timeout)
	})
}

func TestBackendAPIDeadContextSendsNothing(t *testing.T) {
	e := newBAPIEnv(t, nil)
	e.fake.set(bapiAK, bapiAnswer{body: `{"object":"api_key","id":"ak_1","subject":"user_1"}`})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.b.VerifyMachineToken(ctx, bapiAK)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, clerkauth.ErrBackendAPI)
	assert.Zero(t, e.fake.hits.Load())

	// A cached answer is still given to a request whose context has ended.
	_, err = e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.NoError(t, err)
	p, err := e.b.VerifyMachineToken(ctx, bapiAK)
	require.NoError(t, err)
	assert.Equal(t, "ak_1", p.ID)
	assert.EqualValues(t, 1, e.fake.hits.Load())
}
