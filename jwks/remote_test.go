package jwks_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

// newRemote starts a Remote on the issuer's key set with fast retries; cfg fields that are
// set override the defaults used here.
func newRemote(t *testing.T, cfg jwks.RemoteConfig) *jwks.Remote {
	t.Helper()
	if cfg.RetryInterval == 0 {
		cfg.RetryInterval = 10 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger, _ = newLogger()
	}
	r, err := jwks.NewRemote(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// verify runs the token through golang-jwt with the Remote as the key source.
func verify(ctx context.Context, r *jwks.Remote, raw string) error {
	_, err := jwt.Parse(raw, r.KeyfuncCtx(ctx), jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired())
	return err
}

func TestRemoteFetchAndUse(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL()})
	require.NoError(t, r.Ready(t.Context()))
	require.Equal(t, []string{iss.KeyID()}, r.KeyIDs())
	require.True(t, r.HasKey(iss.KeyID()))
	require.False(t, r.HasKey("ins_other"))
	require.EqualValues(t, 1, iss.Hits(), "one fetch at start-up")

	for range 10 {
		require.NoError(t, verify(t.Context(), r, iss.Token().Sign()))
	}
	_, err := jwt.Parse(iss.Token().Sign(), r.Keyfunc, jwt.WithValidMethods([]string{"RS256"}))
	require.NoError(t, err, "Keyfunc without a request context")
	require.EqualValues(t, 1, iss.Hits(), "known keys need no fetch")
}

func TestRemoteRotationUsableOnFirstRequest(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL()})
	require.NoError(t, verify(t.Context(), r, iss.Token().Sign()))

	old := iss.KeyID()
	iss.Rotate()
	iss.Retire(old)
	require.NoError(t, verify(t.Context(), r, iss.Token().Sign()), "the new kid triggers a refresh")
	require.EqualValues(t, 2, iss.Hits())
	require.Equal(t, []string{iss.KeyID()}, r.KeyIDs(), "the retired key is gone after the refresh")
}

func TestRemoteKnownKidBadSignatureNeverFetches(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL()})
	attacker := clerkauthtest.NewKey()
	for range 20 {
		err := verify(t.Context(), r, iss.Token().SignWith(attacker.Private).Sign())
		require.ErrorIs(t, err, jwt.ErrTokenSignatureInvalid)
	}
	require.EqualValues(t, 1, iss.Hits())
}

func TestRemoteOutageAfterStartKeepsKnownKeys(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	logger, logs := newLogger()
	r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL(), Logger: logger})
	require.NoError(t, verify(t.Context(), r, iss.Token().Sign()))

	iss.SetDown(true)
	// A token with a kid we don't know forces a refresh, which fails.
	err := verify(t.Context(), r, iss.Token().KeyID("ins_unknown").Sign())
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
	require.NotErrorIs(t, err, jwks.ErrUnknownKey)
	require.True(t, logs.Contains("key set refresh failed"), logs.String())
	require.True(t, logs.Contains("500"), "the cause reaches the logger: %s", logs.String())

	// Known keys keep working, also after the background retries have failed a few times.
	hits := iss.Hits()
	require.Eventually(t, func() bool { return iss.Hits() >= hits+2 }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, verify(t.Context(), r, iss.Token().Sign()))
	require.Equal(t, []string{iss.KeyID()}, r.KeyIDs())
}

func TestRemoteOutageAtStartThenRecovery(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	iss.SetDown(true)
	logger, logs := newLogger()
	r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL(), Logger: logger})

	err := verify(t.Context(), r, iss.Token().Sign())
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
	require.NotErrorIs(t, err, jwks.ErrUnknownKey)
	require.True(t, logs.Contains("starting without keys"), logs.String())

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, r.Ready(ctx), jwks.ErrKeysUnavailable)

	// The background retries do not wait for the unknown-kid interval (30 s here).
	iss.SetDown(false)
	ctx, cancel = context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	require.NoError(t, r.Ready(ctx))
	require.NoError(t, verify(t.Context(), r, iss.Token().Sign()))
}

func TestRemoteRetriesBackOff(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	iss.SetDown(true)
	newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL(), RetryInterval: 20 * time.Millisecond})
	time.Sleep(400 * time.Millisecond)
	// Doubling from 20 ms: about 1 + 4 or 5 attempts in 400 ms, nowhere near the 20 that a
	// fixed 20 ms interval would make.
	require.Less(t, iss.Hits(), int64(10))
	require.Greater(t, iss.Hits(), int64(2))
}

func TestRemoteBadResponsesKeepKeys(t *testing.T) {
	huge := `{"keys":[],"padding":"` + strings.Repeat("a", jwks.MaxResponseBytes) + `"}`
	for name, resp := range map[string]struct {
		status int
		body   string
	}{
		"garbage":              {200, "this is not json"},
		"html error page":      {502, "<html>bad gateway</html>"},
		"wrong status":         {404, `{"keys":[]}`},
		"truncated json":       {200, `{"keys":[{"kty":"RSA"`},
		"oversized":            {200, huge},
		"invalid key in set":   {200, `{"keys":[{"kty":"RSA","kid":"x","n":"!!","e":"AQAB"}]}`},
		"keys is not a list":   {200, `{"keys":"nope"}`},
		"unknown use in a key": {200, `{"keys":[{"kty":"RSA","kid":"x","use":"other","n":"AQAB","e":"AQAB"}]}`},
		"empty object":         {200, `{}`},
		"null":                 {200, `null`},
		"keys null":            {200, `{"keys":null}`},
		"an error object":      {200, `{"errors":[{"code":"internal"}]}`},
		"an array":             {200, `[]`},
	} {
		t.Run(name, func(t *testing.T) {
			iss := clerkauthtest.NewIssuer()
			defer iss.Close()
			clock := newFakeClock()
			logger, logs := newLogger()
			r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL(), Now: clock.Now, Logger: logger})
			require.NoError(t, verify(t.Context(), r, iss.Token().Sign()))

			iss.SetRawResponse(resp.status, []byte(resp.body))
			err := verify(t.Context(), r, iss.Token().KeyID("ins_unknown").Sign())
			require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
			require.EqualValues(t, 2, iss.Hits())
			require.True(t, logs.Contains("keeping the keys already known"), logs.String())
			require.NoError(t, verify(t.Context(), r, iss.Token().Sign()), "the known key still works")
			require.Equal(t, []string{iss.KeyID()}, r.KeyIDs())
		})
	}
}

func TestRemoteFiltersUnusableKeys(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	good := clerkauthtest.NewKey()
	small := jwkJSON(&smallKey(t).PublicKey, map[string]any{"kid": "small"})
	doc := jwksDoc(
		jwkJSON(&good.Private.PublicKey, map[string]any{"kid": good.ID, "use": "sig", "alg": "RS256"}),
		jwkJSON(&good.Private.PublicKey, map[string]any{"kid": "enc", "use": "enc"}),
		jwkJSON(&good.Private.PublicKey, map[string]any{"kid": "hs", "alg": "HS256"}),
		small,
		map[string]any{"kty": "oct", "kid": "sym", "k": "c2VjcmV0c2VjcmV0c2VjcmV0"},
		jwkJSON(&good.Private.PublicKey, map[string]any{"kid": good.ID}), // duplicate kid
	)
	iss.SetRawResponse(200, doc)
	logger, logs := newLogger()
	r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL(), Logger: logger})
	require.Equal(t, []string{good.ID}, r.KeyIDs())
	for _, want := range []string{`use \"enc\"`, `alg \"HS256\"`, "1024 bits", "want RSA", "more than once"} {
		require.True(t, logs.Contains(want), "%q not logged: %s", want, logs.String())
	}

	// An HS256 token keyed with the published oct secret gets no key.
	tok := iss.Token().KeyID("sym").SignHS256([]byte("secretsecretsecret"))
	_, err := r.Keyfunc(parseUnverified(t, tok))
	require.ErrorIs(t, err, jwks.ErrKeyAlgorithm)
	// The enc key is not a verification key.
	_, err = r.KeyfuncCtx(t.Context())(headerToken(map[string]any{"alg": "RS256", "kid": "enc"}))
	require.Error(t, err)
}

func TestRemoteEmptySetRevokesKeys(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	logger, logs := newLogger()
	r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL(), Logger: logger})
	iss.SetRawResponse(200, []byte(`{"keys":[]}`))
	err := verify(t.Context(), r, iss.Token().KeyID("ins_unknown").Sign())
	require.ErrorIs(t, err, jwks.ErrUnknownKey)
	require.Empty(t, r.KeyIDs())
	require.True(t, logs.Contains("no usable key"), logs.String())
	require.ErrorIs(t, verify(t.Context(), r, iss.Token().Sign()), jwks.ErrUnknownKey)
}

func TestRemoteMissingKid(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL()})
	err := verify(t.Context(), r, iss.Token().WithoutHeader("kid").Sign())
	require.ErrorIs(t, err, jwks.ErrMissingKID)
	require.EqualValues(t, 1, iss.Hits(), "no fetch for a kid-less token")
}

func TestRemoteUnknownKidFloodCausesOneFetch(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL()})
	tok := parseUnverified(t, iss.Token().KeyID("ins_flood").Sign())
	iss.ResetHits()

	// wave sends 1,000 concurrent lookups and counts the 401 and 503 answers.
	wave := func() (unknown, unavailable int64) {
		var wg sync.WaitGroup
		start := make(chan struct{})
		var u, a atomic.Int64
		for range 1000 {
			wg.Go(func() {
				<-start
				_, err := r.KeyfuncCtx(t.Context())(tok)
				switch {
				case errors.Is(err, jwks.ErrUnknownKey):
					u.Add(1)
				case errors.Is(err, jwks.ErrKeysUnavailable):
					a.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		return u.Load(), a.Load()
	}
	unknown, unavailable := wave()
	require.EqualValues(t, 1, iss.Hits(), "1,000 concurrent lookups of one unknown kid: one fetch")
	// The lookup that started the fetch learns the kid is not published; the others
	// arrived after it started, so it proves nothing for them, and the interval allows no
	// second fetch: they are told to retry.
	require.EqualValues(t, 1, unknown)
	require.EqualValues(t, 999, unavailable)
	unknown, unavailable = wave()
	require.EqualValues(t, 1, iss.Hits(), "a second wave within the interval: no fetch")
	require.EqualValues(t, 0, unknown)
	require.EqualValues(t, 1000, unavailable)
}

func TestRemoteUnknownKidInterval(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	clock := newFakeClock()
	r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL(), Now: clock.Now, UnknownKIDInterval: time.Minute})
	unknown := parseUnverified(t, iss.Token().KeyID("ins_unknown").Sign())
	lookup := func() error { _, err := r.KeyfuncCtx(t.Context())(unknown); return err }

	require.ErrorIs(t, lookup(), jwks.ErrUnknownKey)
	require.EqualValues(t, 2, iss.Hits())
	clock.Advance(59 * time.Second)
	require.ErrorIs(t, lookup(), jwks.ErrKeysUnavailable, "within the interval: no fetch, retry later")
	require.EqualValues(t, 2, iss.Hits(), "within the interval")

	// A real rotation inside the window is told to retry, never refused...
	iss.Rotate()
	err := verify(t.Context(), r, iss.Token().Sign())
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
	require.NotErrorIs(t, err, jwks.ErrUnknownKey)
	// ...and is picked up as soon as the interval has passed.
	clock.Advance(time.Second)
	require.NoError(t, verify(t.Context(), r, iss.Token().Sign()))
	require.EqualValues(t, 3, iss.Hits())
}

func TestRemoteWaiterLeavesWhenItsContextEnds(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int64
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) > 1 {
			<-release
		}
		_, _ = w.Write(iss.JWKS())
	}))
	defer srv.Close()
	defer close(release)
	r := newRemote(t, jwks.RemoteConfig{URL: srv.URL})

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := r.KeyfuncCtx(ctx)(headerToken(map[string]any{"alg": "RS256", "kid": "ins_slow"}))
	require.ErrorIs(t, err, jwks.ErrKeysUnavailable)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestRemoteBearerOnlyWhenConfigured(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		_, _ = w.Write(iss.JWKS())
	}))
	defer srv.Close()

	newRemote(t, jwks.RemoteConfig{URL: srv.URL})
	newRemote(t, jwks.RemoteConfig{URL: srv.URL, SecretKey: "sk_test_abc"})
	mu.Lock()
	require.Equal(t, []string{"", "Bearer sk_test_abc"}, seen)
	mu.Unlock()

	// Against the fake Backend API: with the secret key it loads, without it does not.
	r := newRemote(t, jwks.RemoteConfig{URL: iss.BackendJWKSURL(), SecretKey: iss.SecretKey()})
	require.NoError(t, verify(t.Context(), r, iss.Token().Sign()))
	r = newRemote(t, jwks.RemoteConfig{URL: iss.BackendJWKSURL()})
	require.ErrorIs(t, verify(t.Context(), r, iss.Token().Sign()), jwks.ErrKeysUnavailable)
}

func TestRemoteBearerNotSentAcrossRedirects(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	var leaked atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("Authorization"))
		_, _ = w.Write(iss.JWKS())
	}))
	defer other.Close()
	// 127.0.0.1 and localhost are different origins.
	target := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	srv := httptest.NewServer(http.RedirectHandler(target, http.StatusFound))
	defer srv.Close()

	r := newRemote(t, jwks.RemoteConfig{URL: srv.URL, SecretKey: "sk_test_secret"})
	require.NoError(t, r.Ready(t.Context()))
	require.Equal(t, "", leaked.Load())
}

func TestRemoteRefusesHTTPSDowngradeRedirect(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	srv := httptest.NewTLSServer(http.RedirectHandler(iss.JWKSURL(), http.StatusFound))
	defer srv.Close()
	logger, logs := newLogger()
	r := newRemote(t, jwks.RemoteConfig{URL: srv.URL, HTTPClient: srv.Client(), Logger: logger})
	require.ErrorIs(t, verify(t.Context(), r, iss.Token().Sign()), jwks.ErrKeysUnavailable)
	require.EqualValues(t, 0, iss.Hits())
	require.True(t, logs.Contains("from https to http"), logs.String())
}

func TestRemoteWorksOverTLS(t *testing.T) {
	iss := clerkauthtest.NewUnstartedIssuer()
	iss.StartTLS()
	defer iss.Close()
	client := iss.Client()
	r := newRemote(t, jwks.RemoteConfig{URL: iss.JWKSURL(), HTTPClient: client})
	require.NoError(t, verify(t.Context(), r, iss.Token().Sign()))
	require.Equal(t, time.Duration(0), client.Timeout, "the caller's client is not modified")
}

func TestNewRemoteConfigErrors(t *testing.T) {
	for name, cfg := range map[string]jwks.RemoteConfig{
		"no URL":                {},
		"relative URL":          {URL: "/.well-known/jwks.json"},
		"plain http":            {URL: "http://clerk.example.com/.well-known/jwks.json"},
		"ftp":                   {URL: "ftp://clerk.example.com/jwks"},
		"user info":             {URL: "https://user:pw@clerk.example.com/jwks"},
		"fragment":              {URL: "https://clerk.example.com/jwks#x"},
		"unparsable":            {URL: "https://[::1"},
		"negative refresh":      {URL: "https://clerk.example.com/jwks", RefreshInterval: -time.Second},
		"negative unknown kid":  {URL: "https://clerk.example.com/jwks", UnknownKIDInterval: -time.Second},
		"negative retry":        {URL: "https://clerk.example.com/jwks", RetryInterval: -time.Second},
		"refresh below 1 s":     {URL: "https://clerk.example.com/jwks", RefreshInterval: time.Millisecond},
		"unknown kid below 1 s": {URL: "https://clerk.example.com/jwks", UnknownKIDInterval: time.Nanosecond},
		"retry below 1 ms":      {URL: "https://clerk.example.com/jwks", RetryInterval: time.Microsecond},
		"secret with newline":   {URL: "https://clerk.example.com/jwks", SecretKey: "sk_test_x\n"},
		"secret with a space":   {URL: "https://clerk.example.com/jwks", SecretKey: " sk_test_x"},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := jwks.NewRemote(t.Context(), cfg)
			require.Nil(t, r)
			require.ErrorIs(t, err, jwks.ErrInvalidConfig)
			require.NotContains(t, err.Error(), "sk_test_x")
		})
	}
}

// goroutines waits for the number of goroutines to fall to at most want.
func settleGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines left, want at most %d:\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRemoteCloseLeavesNoGoroutine(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	// Warm the issuer's server so its own goroutines are in the baseline.
	_, _ = http.Get(iss.JWKSURL())
	http.DefaultClient.CloseIdleConnections()
	settleGoroutines(t, runtime.NumGoroutine())
	base := runtime.NumGoroutine()

	for _, stop := range []string{"Close", "context"} {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r, err := jwks.NewRemote(ctx, jwks.RemoteConfig{URL: iss.JWKSURL()})
		require.NoError(t, err)
		require.NoError(t, verify(t.Context(), r, iss.Token().Sign()))
		_ = verify(t.Context(), r, iss.Token().KeyID("ins_unknown").Sign())
		switch stop {
		case "Close":
			require.NoError(t, r.Close())
			require.NoError(t, r.Close(), "Close is idempotent")
			cancel()
		case "context":
			cancel()
			require.NoError(t, r.Close())
		}
		require.ErrorIs(t, r.Ready(t.Context()), nil, "loaded before Close")
		// Server-side connection goroutines end once the client's idle connections close.
		settleGoroutines(t, base)
		// Known keys still verify after Close; nothing is fetched any more.
		hits := iss.Hits()
		require.NoError(t, verify(t.Context(), r, iss.Token().Sign()))
		_ = verify(t.Context(), r, iss.Token().KeyID("ins_other").Sign())
		require.Equal(t, hits, iss.Hits())
	}
}

func TestRemoteReadyAfterCloseWithoutKeys(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	iss.SetDown(true)
	r, err := jwks.NewRemote(t.Context(), jwks.RemoteConfig{URL: iss.JWKSURL(), Logger: discardLogger()})
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.ErrorIs(t, r.Ready(t.Context()), jwks.ErrClosed)
}
