package clerkauth

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const bapiTestSecret = "sk_test_Sup3rS3cretK3yV4lue"

func newBAPIClock() *clerkauthtest.Clock {
	return clerkauthtest.NewClock(time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC))
}

// bapiAnswer is what the fake answers for one token.
type bapiAnswer struct {
	status int
	body   string
	header http.Header
}

// bapiFake is a fake of the three verify endpoints. It checks every request (method,
// headers, JSON body) and answers from a table keyed by token; unknown tokens get Clerk's
// 404 (with Clerk's error body). Another path gets a generic 404 page, as from a Go
// server's mux, and is counted in strays.
type bapiFake struct {
	t      testing.TB
	srv    *httptest.Server
	hits   atomic.Int64
	strays atomic.Int64
	// inFlight counts the requests being served; maxInFlight is its highest value.
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
	mu          sync.Mutex
	answers     map[string]bapiAnswer
	// fallback, when set, answers tokens missing from answers.
	fallback func(kind, token string) bapiAnswer
	// arrived, when set, receives a value per request before it is answered; release,
	// when set, is waited for (or the request's end).
	arrived chan struct{}
	release chan struct{}
}

var bapiPaths = map[string]struct{ kind, field string }{
	"/v1/api_keys/verify":                         {"api_key", "secret"},
	"/v1/m2m_tokens/verify":                       {"m2m", "token"},
	"/v1/oauth_applications/access_tokens/verify": {"oauth", "access_token"},
}

func newBAPIFake(t testing.TB) *bapiFake {
	f := &bapiFake{t: t, answers: map[string]bapiAnswer{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *bapiFake) URL() string { return f.srv.URL + "/v1" }

func (f *bapiFake) set(token string, a bapiAnswer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[token] = a
}

// clerkNotFound is Clerk's answer to an unknown token.
const clerkNotFound = `{"errors":[{"message":"not found","long_message":"Resource not found","code":"resource_not_found"}],"clerk_trace_id":"trace_1"}`

func (f *bapiFake) serve(w http.ResponseWriter, r *http.Request) {
	f.hits.Add(1)
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxInFlight.Load()
		if n <= m || f.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	if r.Method != http.MethodPost {
		f.t.Errorf("fake Backend API: unexpected %s %s", r.Method, r.URL.Path)
		http.Error(w, "no", http.StatusMethodNotAllowed)
		return
	}
	ep, ok := bapiPaths[r.URL.Path]
	if !ok {
		f.strays.Add(1)
		http.NotFound(w, r) // "404 page not found", text/plain
		return
	}
	for h, want := range map[string]string{
		"Authorization": "Bearer " + bapiTestSecret,
		"Content-Type":  "application/json",
		"Accept":        "application/json",
		"User-Agent":    "authkit",
	} {
		if got := r.Header.Get(h); got != want {
			f.t.Errorf("fake Backend API: %s = %q, want %q", h, got, want)
		}
	}
	var body map[string]string
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body) != 1 || body[ep.field] == "" {
		f.t.Errorf("fake Backend API: %s: body %v (%v), want one member %q", r.URL.Path, body, err, ep.field)
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	token := body[ep.field]
	if f.arrived != nil {
		f.arrived <- struct{}{}
	}
	if f.release != nil {
		select {
		case <-f.release:
		case <-r.Context().Done():
			return
		}
	}
	f.mu.Lock()
	a, ok := f.answers[token]
	fallback := f.fallback
	f.mu.Unlock()
	if !ok && fallback != nil {
		a, ok = fallback(ep.kind, token), true
	}
	if !ok {
		a = bapiAnswer{status: http.StatusNotFound, body: clerkNotFound}
	}
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(cmpOrInt(a.status, http.StatusOK))
	_, _ = io.WriteString(w, a.body)
}

func cmpOrInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// bapiLog is a concurrency-safe log buffer.
type bapiLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *bapiLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *bapiLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *bapiLog) count(level string) int {
	return strings.Count(l.String(), "level="+level)
}

type bapiEnv struct {
	fake  *bapiFake
	clock *clerkauthtest.Clock
	log   *bapiLog
	b     *BackendAPI
}

func newBAPIEnv(t testing.TB, mod func(*BackendAPIConfig)) *bapiEnv {
	e := &bapiEnv{fake: newBAPIFake(t), clock: newBAPIClock(), log: &bapiLog{}}
	cfg := BackendAPIConfig{
		SecretKey: bapiTestSecret,
		URL:       e.fake.URL(),
		Now:       e.clock.Now,
		Logger:    slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	var err error
	e.b, err = NewBackendAPI(cfg)
	require.NoError(t, err)
	return e
}

func (e *bapiEnv) ms(d time.Duration) int64 { return e.clock.Now().Add(d).UnixMilli() }

const (
	bapiAK  = "ak_2b8c0e0f5d6a4b1c9e7f3a2d1c0b9a8f7e6d"
	bapiMT  = "mt_9Zq1ZK3d8Wm2x-7Yb_4Lp0Q"
	bapiOAT = "oat_Xc8d7E6f5G4h3J2k1L0m9N8b"
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
		want  Principal
	}{
		{bapiAK, Principal{Kind: KindAPIKey, ID: "ak_0123456789abcdef0123456789abcdef", Subject: "org_2abc",
			Name: "CI deploys", Scopes: []string{"read:builds", "write:builds"}, Claims: json.RawMessage(`{"env":"prod"}`),
			ExpiresAt: time.UnixMilli(exp)}},
		{bapiMT, Principal{Kind: KindM2MToken, ID: "mt_abc", Subject: "mch_caller", Scopes: []string{"mch_callee"}}},
		{bapiOAT, Principal{Kind: KindOAuthToken, ID: "oat_id_1", Subject: "user_42", Name: "client_XYZ",
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
		{"revoked", bapiAnswer{body: fmt.Sprintf(`{"object":"api_key","id":"ak_1","subject":"user_1","revoked":true,"revocation_reason":"leaked","expired":false,"expiration":%d}`, future)}, ErrMachineTokenRevoked},
		{"revoked and expired", bapiAnswer{body: `{"object":"api_key","id":"ak_1","subject":"user_1","revoked":true,"expired":true}`}, ErrMachineTokenRevoked},
		{"expired flag", bapiAnswer{body: fmt.Sprintf(`{"object":"api_key","id":"ak_1","subject":"user_1","expired":true,"expiration":%d}`, future)}, ErrMachineTokenExpired},
		{"expiration past by our clock", bapiAnswer{body: fmt.Sprintf(`{"object":"api_key","id":"ak_1","subject":"user_1","expired":false,"expiration":%d}`, past)}, ErrMachineTokenExpired},
		{"expiration exactly now", bapiAnswer{body: fmt.Sprintf(`{"object":"api_key","id":"ak_1","subject":"user_1","expiration":%d}`, e.ms(0))}, ErrMachineTokenExpired},
		{"inactive OAuth token", bapiAnswer{body: `{"active":false}`}, ErrMachineTokenInvalid},
		{"inactive OAuth token with its object", bapiAnswer{body: `{"object":"clerk_idp_oauth_access_token","active":false}`}, ErrMachineTokenInvalid},
		{"404", bapiAnswer{status: 404, body: clerkNotFound}, ErrMachineTokenInvalid},
		{"404 code only", bapiAnswer{status: 404, body: `{"errors":[{"code":"resource_not_found"}]}`}, ErrMachineTokenInvalid},
		{"400", bapiAnswer{status: 400, body: `{"errors":[{"message":"Bad Request","long_message":"Invalid 'secret'","code":"form_param_format_invalid","meta":{"param_name":"secret"}}]}`}, ErrMachineTokenInvalid},
		{"422", bapiAnswer{status: 422, body: `{"errors":[{"message":"is invalid","long_message":"token is invalid","code":"form_param_value_invalid"},{"message":"m","long_message":"l","code":"other"}],"meta":{}}`}, ErrMachineTokenInvalid},
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
			assert.NotErrorIs(t, err, ErrBackendAPI)
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
				require.ErrorIs(t, err, ErrBackendAPI)
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
				require.ErrorIs(t, err, ErrBackendAPI)
				assert.NotErrorIs(t, err, ErrBackendAPIUnauthorized)
				assert.NotErrorIs(t, err, ErrBackendAPIRateLimited)
				if tt.also != nil {
					assert.ErrorIs(t, err, tt.also)
				} else {
					assert.NotErrorIs(t, err, ErrBackendAPIThrottled)
				}
				for _, s := range []error{ErrMachineTokenInvalid, ErrMachineTokenExpired, ErrMachineTokenRevoked, ErrTokenType} {
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

func TestBackendAPIAnswerMustBeTheEndpointsObject(t *testing.T) {
	// F6: a wrong CLERK_API_URL, or a catch-all proxy answering 200 to everything, must
	// authenticate nothing: a 200 is a credential only if it is the endpoint's object.
	bodies := []struct{ name, body string }{
		{"empty object", `{}`},
		{"id only", `{"id":"x"}`},
		{"id and subject", `{"id":"ak_0123456789abcdef0123456789abcdef","subject":"user_1","scopes":["admin"]}`},
		{"everything but the object", `{"id":"x","subject":"user_1","revoked":false,"expired":false,"expiration":null}`},
		{"object null", `{"object":null,"id":"x","subject":"user_1"}`},
		{"object empty", `{"object":"","id":"x","subject":"user_1"}`},
		{"object not a string", `{"object":1,"id":"x","subject":"user_1"}`},
		{"another object", `{"object":"session","id":"x","subject":"user_1"}`},
		{"OAuth's old object name", `{"object":"oauth_access_token","id":"x","subject":"user_1"}`},
		{"inactive, outside the OAuth endpoint", `{"active":false}`},
		{"active true", `{"active":true,"id":"x","subject":"user_1"}`},
		{"not JSON", `<html><body>OK</body></html>`},
		{"empty body", ``},
		{"null", `null`},
		{"array", `[{"object":"api_key","id":"x","subject":"user_1"}]`},
		{"string", `"api_key"`},
	}
	for _, bb := range bodies {
		t.Run(bb.name, func(t *testing.T) {
			e := newBAPIEnv(t, nil)
			e.fake.fallback = func(string, string) bapiAnswer { return bapiAnswer{body: bb.body} }
			tokens := []string{bapiAK, bapiMT, bapiOAT}
			if bb.body == `{"active":false}` {
				tokens = tokens[:2] // the OAuth endpoint's answer for an expired token
			}
			for i := range 2 {
				for _, token := range tokens {
					p, err := e.b.VerifyMachineToken(context.Background(), token)
					require.ErrorIs(t, err, ErrBackendAPI, "%s", token[:3])
					require.Nil(t, p)
					for _, s := range []error{ErrMachineTokenInvalid, ErrMachineTokenExpired, ErrMachineTokenRevoked,
						ErrBackendAPIRateLimited, ErrBackendAPIThrottled} {
						assert.NotErrorIs(t, err, s)
					}
					assert.NotContains(t, err.Error(), token)
				}
				assert.EqualValues(t, (i+1)*len(tokens), e.fake.hits.Load(), "never cached")
			}
			// The operator's to fix: an Error, once a minute at most.
			assert.Equal(t, 1, e.log.count("ERROR"), "%s", e.log)
			assert.Contains(t, e.log.String(), "BackendAPIConfig.URL")
			assert.Contains(t, e.log.String(), "status=200")
			for _, token := range tokens {
				assert.NotContains(t, e.log.String(), token)
			}
		})
	}

	t.Run("each endpoint wants its own object", func(t *testing.T) {
		e := newBAPIEnv(t, nil)
		objects := map[string]string{bapiAK: "api_key", bapiMT: "machine_to_machine_token", bapiOAT: "clerk_idp_oauth_access_token"}
		for token := range objects {
			for other, object := range objects {
				if other == token {
					continue
				}
				e.fake.set(token, bapiAnswer{body: `{"object":"` + object + `","id":"x","subject":"user_1"}`})
				_, err := e.b.VerifyMachineToken(context.Background(), token)
				require.ErrorIs(t, err, ErrBackendAPI, "%s answered with %s", token[:3], object)
			}
			e.fake.set(token, bapiAnswer{body: `{"object":"` + objects[token] + `","id":"x","subject":"user_1"}`})
			p, err := e.b.VerifyMachineToken(context.Background(), token)
			require.NoError(t, err, "%s answered with its own object", token[:3])
			assert.Equal(t, "user_1", p.Subject)
		}
	})
}

func TestBackendAPIWarningsAreSpaced(t *testing.T) {
	e := newBAPIEnv(t, nil)
	e.fake.fallback = func(string, string) bapiAnswer { return bapiAnswer{status: 500} }
	for i := range 5 {
		_, err := e.b.VerifyMachineToken(context.Background(), fmt.Sprintf("ak_outage_%08d", i))
		require.ErrorIs(t, err, ErrBackendAPI)
	}
	assert.Equal(t, 1, e.log.count("WARN"))
	e.clock.Advance(10 * time.Second)
	_, err := e.b.VerifyMachineToken(context.Background(), "ak_outage_final1")
	require.ErrorIs(t, err, ErrBackendAPI)
	assert.Equal(t, 2, e.log.count("WARN"))
	assert.Contains(t, e.log.String(), "suppressed=4")
}

func TestBackendAPITimeout(t *testing.T) {
	e := newBAPIEnv(t, func(c *BackendAPIConfig) { c.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond} })
	e.fake.release = make(chan struct{}) // never released: the server hangs until the client gives up
	_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.ErrorIs(t, err, ErrBackendAPI)
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
	require.ErrorIs(t, err, ErrBackendAPI)
}

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
	require.ErrorIs(t, err, ErrMachineTokenExpired)
	e.clock.Advance(2 * time.Hour) // past MaxCacheTTL and StaleIfError too
	_, err = e.b.VerifyMachineToken(context.Background(), bapiMT)
	require.ErrorIs(t, err, ErrMachineTokenExpired)
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
				require.ErrorIs(t, err, ErrMachineTokenRevoked)
			}
			assert.EqualValues(t, 1, e.fake.hits.Load())
			e.clock.Advance(ttl - time.Millisecond)
			_, err := e.b.VerifyMachineToken(context.Background(), bapiOAT)
			require.ErrorIs(t, err, ErrMachineTokenRevoked)
			assert.EqualValues(t, 1, e.fake.hits.Load())
			e.clock.Advance(time.Millisecond)
			_, err = e.b.VerifyMachineToken(context.Background(), bapiOAT)
			require.ErrorIs(t, err, ErrMachineTokenRevoked)
			assert.EqualValues(t, 2, e.fake.hits.Load())
		})
	}
}

func cmpOrDuration(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
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
	require.ErrorIs(t, err, ErrBackendAPI)

	// The call itself was not cancelled with the first caller: once Clerk answers, the
	// answer is cached and serves the next request without another call.
	close(e.fake.release)
	p, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.NoError(t, err)
	assert.Equal(t, "ak_1", p.ID)
	assert.EqualValues(t, 1, e.fake.hits.Load())
}

func TestBackendAPITokenForms(t *testing.T) {
	e := newBAPIEnv(t, nil)
	const body = "abcdefghijklmnop" // long enough after any prefix
	tests := []struct {
		token string
		want  error
	}{
		{"", ErrTokenType},
		{"sk_live_abc", ErrTokenType},
		{"svc_abcdef", ErrTokenType},
		{"AK_abcdef" + body, ErrTokenType},
		{"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln", ErrTokenType},
		{"ak", ErrTokenType},
		{"oat", ErrTokenType},
		{"ak_", ErrMachineTokenInvalid},
		{"mt_", ErrMachineTokenInvalid},
		{"oat_", ErrMachineTokenInvalid},
		// Length: MinMachineTokenBytes to MaxMachineTokenBytes, prefix included.
		{"ak_" + strings.Repeat("a", MinMachineTokenBytes-4), ErrMachineTokenInvalid},
		{"mt_" + strings.Repeat("a", MinMachineTokenBytes-4), ErrMachineTokenInvalid},
		{"oat_" + strings.Repeat("a", MinMachineTokenBytes-5), ErrMachineTokenInvalid},
		{"ak_abc", ErrMachineTokenInvalid},
		{"ak_" + strings.Repeat("a", MaxMachineTokenBytes-2), ErrMachineTokenInvalid},
		{"oat_" + strings.Repeat("a", MaxMachineTokenBytes-3), ErrMachineTokenInvalid},
		{"mt_" + strings.Repeat("a", 500), ErrMachineTokenInvalid},
		{"ak_" + strings.Repeat("a", 1<<20), ErrMachineTokenInvalid},
		// Alphabet: base64, standard or URL-safe, at most two '=' at the end.
		{"ak_abc def" + body, ErrMachineTokenInvalid},
		{"ak_abc" + body + "\n", ErrMachineTokenInvalid},
		{"ak_abc" + body + "\x00", ErrMachineTokenInvalid},
		{"ak_abc\t" + body, ErrMachineTokenInvalid},
		{"mt_a.b.c" + body, ErrMachineTokenInvalid},
		{"ak_é" + body, ErrMachineTokenInvalid},
		{"ak_\"}" + body, ErrMachineTokenInvalid},
		{"ak_%41" + body, ErrMachineTokenInvalid},
		{"ak_~" + body, ErrMachineTokenInvalid},
		{"ak_\\u0041" + body, ErrMachineTokenInvalid},
		{"oat_" + body + "===", ErrMachineTokenInvalid},
		{"oat_ab=cd" + body, ErrMachineTokenInvalid},
		{"oat_=" + body, ErrMachineTokenInvalid},
		{"ak_" + strings.Repeat("=", 14), ErrMachineTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.24q", tt.token), func(t *testing.T) {
			before := e.fake.hits.Load()
			p, err := e.b.VerifyMachineToken(context.Background(), tt.token)
			require.ErrorIs(t, err, tt.want)
			assert.Nil(t, p)
			if len(tt.token) > 4 {
				assert.NotContains(t, err.Error(), tt.token)
			}
			assert.Equal(t, before, e.fake.hits.Load(), "nothing is sent for a token of another form or a bad shape")
		})
	}
	require.Zero(t, e.fake.hits.Load())

	// These are sent (the fake answers 404 to each): the shortest and the longest, and
	// the shapes of Clerk's own examples (its JavaScript SDK's fixtures: an API key in
	// standard base64 with padding, M2M and OAuth tokens of 37 characters after the
	// prefix; its Backend API reference: 32).
	sent := []string{
		"ak_" + strings.Repeat("a", MinMachineTokenBytes-3),
		"oat_" + strings.Repeat("a", MinMachineTokenBytes-4),
		"ak_" + strings.Repeat("a", MaxMachineTokenBytes-3),
		"ak_LCWGdaM8mv8K4PC/57IICZQXAeWfCgF30DZaFXHoGn9=",
		"mt_8XOIucKvqHVr5tYP123456789abcdefghij",
		"oat_8XOIucKvqHVr5tYP123456789abcdefghij",
		"mt_" + strings.Repeat("X", 32),
		"ak_" + body + "+/_-==",
		"mt_" + body + "=",
	}
	for i, token := range sent {
		_, err := e.b.VerifyMachineToken(context.Background(), token)
		require.ErrorIs(t, err, ErrMachineTokenInvalid, "%q", token)
		require.EqualValues(t, i+1, e.fake.hits.Load(), "%q was sent", token)
	}
}

func TestBackendAPICacheHoldsOnlyHashes(t *testing.T) {
	e := newBAPIEnv(t, nil)
	e.fake.set(bapiAK, bapiAnswer{body: `{"object":"api_key","id":"ak_1","subject":"user_1","name":"n"}`})
	_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.NoError(t, err)
	_, err = e.b.VerifyMachineToken(context.Background(), bapiMT) // a negative entry
	require.ErrorIs(t, err, ErrMachineTokenInvalid)

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

func TestBackendAPIDoesNotFollowRedirects(t *testing.T) {
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
	}))
	defer other.Close()
	e := newBAPIEnv(t, nil)
	e.fake.set(bapiAK, bapiAnswer{status: http.StatusPermanentRedirect, header: http.Header{"Location": {other.URL + "/steal"}}})
	_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.ErrorIs(t, err, ErrBackendAPI)
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
			require.ErrorIs(t, err, ErrInvalidConfig)
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
		require.ErrorIs(t, err, ErrMachineTokenInvalid) // the fake checks the path
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

// bapiShapeRE is an independent statement of the shape BackendAPI sends (with
// bapiShapeOK's length bounds).
var bapiShapeRE = regexp.MustCompile(`^(ak_|mt_|oat_)[A-Za-z0-9+/_-]+={0,2}$`)

func bapiShapeOK(token string) bool {
	return bapiShapeRE.MatchString(token) && len(token) >= MinMachineTokenBytes && len(token) <= MaxMachineTokenBytes
}

func FuzzBackendAPITokenShape(f *testing.F) {
	for _, s := range []string{
		bapiAK, bapiMT, bapiOAT, "", "ak_", "mt_", "oat_", "oat", "ak_a", "ak_a b", "ak_a\n", "mt_a.b.c",
		"eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "sk_live_x", "ak_\"},\"secret\":\"x", "ak_%00", "oat_\u00e9",
		"ak_" + strings.Repeat("Z", MaxMachineTokenBytes-3), "ak_" + strings.Repeat("Z", MaxMachineTokenBytes-2),
		"mt_\xff\xfe", "ak__-_-", "AK_x", " ak_x",
		"ak_LCWGdaM8mv8K4PC/57IICZQXAeWfCgF30DZaFXHoGn9=", "oat_abcdefghijklmnop==", "oat_abcdefghijklmnop===",
		"mt_abcdefgh=ijklmnop", "ak_" + strings.Repeat("=", 20), "ak_abcdefghijklm", "ak_abcdefghijkl",
	} {
		f.Add(s)
	}
	var badRequests atomic.Int64
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		var body map[string]string
		_ = json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&body)
		ok := len(body) == 1
		for _, v := range body {
			ok = ok && bapiShapeOK(v)
		}
		if !ok {
			badRequests.Add(1)
		}
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, clerkNotFound)
	}))
	f.Cleanup(srv.Close)
	// Fuzzing sends thousands of distinct tokens a second: no limit here.
	b, err := NewBackendAPI(BackendAPIConfig{SecretKey: bapiTestSecret, URL: srv.URL + "/v1", Logger: slog.New(slog.DiscardHandler),
		MaxCallsPerSecond: 1e9, MaxConcurrentCalls: 1 << 10})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, token string) {
		before := hits.Load()
		p, err := b.VerifyMachineToken(context.Background(), token)
		if p != nil {
			t.Fatalf("accepted %q", token)
		}
		good := bapiShapeOK(token)
		clerkPrefix := strings.HasPrefix(token, "ak_") || strings.HasPrefix(token, "mt_") || strings.HasPrefix(token, "oat_")
		switch {
		case !clerkPrefix:
			if !errors.Is(err, ErrTokenType) {
				t.Fatalf("%q: %v, want ErrTokenType", token, err)
			}
		case !good:
			if !errors.Is(err, ErrMachineTokenInvalid) {
				t.Fatalf("%q: %v, want ErrMachineTokenInvalid", token, err)
			}
		default:
			if !errors.Is(err, ErrMachineTokenInvalid) { // the server's 404, maybe cached
				t.Fatalf("%q: %v, want the server's 404", token, err)
			}
		}
		if !good && hits.Load() != before {
			t.Fatalf("%q: a request was sent for a bad shape", token)
		}
		if err != nil && clerkPrefix && strings.Contains(err.Error(), token) {
			t.Fatalf("the error quotes the token: %v", err)
		}
		if n := badRequests.Load(); n != 0 {
			t.Fatalf("%d requests carried a badly shaped token", n)
		}
	})
}

func TestBackendAPIDeadContextSendsNothing(t *testing.T) {
	e := newBAPIEnv(t, nil)
	e.fake.set(bapiAK, bapiAnswer{body: `{"object":"api_key","id":"ak_1","subject":"user_1"}`})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.b.VerifyMachineToken(ctx, bapiAK)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, ErrBackendAPI)
	assert.Zero(t, e.fake.hits.Load())

	// A cached answer is still given to a request whose context has ended.
	_, err = e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.NoError(t, err)
	p, err := e.b.VerifyMachineToken(ctx, bapiAK)
	require.NoError(t, err)
	assert.Equal(t, "ak_1", p.ID)
	assert.EqualValues(t, 1, e.fake.hits.Load())
}

// bapiGoodAK is answered by the fake as a valid API key by the setGood helper.
const bapiGoodAK = "ak_good_5e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b"

// setGood makes the fake accept token as an API key, an M2M or an OAuth token.
func (e *bapiEnv) setGood(token string) {
	switch {
	case strings.HasPrefix(token, "ak_"):
		e.fake.set(token, bapiAnswer{body: `{"object":"api_key","id":"ak_good","subject":"user_1"}`})
	case strings.HasPrefix(token, "mt_"):
		e.fake.set(token, bapiAnswer{body: `{"object":"machine_to_machine_token","id":"mt_good","subject":"mch_1"}`})
	default:
		e.fake.set(token, bapiAnswer{body: `{"object":"clerk_idp_oauth_access_token","id":"oat_good","client_id":"c","subject":"user_1"}`})
	}
}

// requireServed checks that token, accepted earlier, is served (from the cache: hits
// do not move).
func (e *bapiEnv) requireServed(t *testing.T, token string) {
	t.Helper()
	before := e.fake.hits.Load()
	p, err := e.b.VerifyMachineToken(context.Background(), token)
	require.NoError(t, err, "a cached token is served whatever the limits")
	require.NotNil(t, p)
	require.Equal(t, before, e.fake.hits.Load(), "served from the cache")
}

// requireRefusedLocally checks that token is refused at once with ErrBackendAPI and
// sentinel, without a call.
func (e *bapiEnv) requireRefusedLocally(t *testing.T, token string, sentinel error) {
	t.Helper()
	before := e.fake.hits.Load()
	p, err := e.b.VerifyMachineToken(context.Background(), token)
	require.ErrorIs(t, err, ErrBackendAPI)
	require.ErrorIs(t, err, sentinel)
	require.NotErrorIs(t, err, ErrMachineTokenInvalid)
	require.NotContains(t, err.Error(), token)
	require.Nil(t, p)
	require.Equal(t, before, e.fake.hits.Load(), "no call to Clerk")
}

func TestBackendAPINotClerkErrorBodyIsNotARefusal(t *testing.T) {
	bodies := []struct{ name, body string }{
		{"empty", ``},
		{"generic 404 page", "404 page not found\n"},
		{"html", `<html><body><h1>Not Found</h1></body></html>`},
		{"empty object", `{}`},
		{"other JSON error", `{"error":"not_found","message":"no route"}`},
		{"errors null", `{"errors":null}`},
		{"errors empty", `{"errors":[]}`},
		{"errors not an array", `{"errors":"not found"}`},
		{"error without code", `{"errors":[{"message":"not found"}]}`},
		{"empty code", `{"errors":[{"code":""}]}`},
		{"one error without code", `{"errors":[{"code":"resource_not_found"},{"message":"x"}]}`},
		{"error not an object", `{"errors":["resource_not_found"]}`},
		{"top-level array", `[{"code":"resource_not_found"}]`},
		{"truncated", `{"errors":[{"code":"resource_not_found"}`},
		{"code not a string", `{"errors":[{"code":404}]}`},
		{"code null", `{"errors":[{"code":null}]}`},
		{"error null", `{"errors":[null]}`},
		{"other case", `{"Errors":[{"Code":"resource_not_found"}]}`},
		{"too large", `{"errors":[{"code":"resource_not_found","message":"` + strings.Repeat("x", 70<<10) + `"}]}`},
	}
	for _, status := range []int{400, 404, 422} {
		for _, bb := range bodies {
			t.Run(fmt.Sprint(status, " ", bb.name), func(t *testing.T) {
				e := newBAPIEnv(t, nil)
				e.fake.set(bapiAK, bapiAnswer{status: status, body: bb.body})
				for i := range 2 {
					p, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
					require.ErrorIs(t, err, ErrBackendAPI)
					assert.NotErrorIs(t, err, ErrMachineTokenInvalid)
					assert.Nil(t, p)
					assert.EqualValues(t, i+1, e.fake.hits.Load(), "not cached")
				}
				assert.Equal(t, 1, e.log.count("ERROR"), "logged once a minute at most:\n%s", e.log)
				assert.Contains(t, e.log.String(), "BackendAPIConfig.URL")
				assert.Contains(t, e.log.String(), fmt.Sprintf("status=%d", status))
				assert.NotContains(t, e.log.String(), bapiAK)
				assert.NotContains(t, e.log.String(), bapiTestSecret)
			})
		}
	}
}

func TestBackendAPIURLWithoutV1(t *testing.T) {
	// The classic misconfiguration: the base URL without /v1, where a server answers a
	// generic 404 page. Every key would look invalid (401) if such a 404 were a refusal.
	e := newBAPIEnv(t, func(c *BackendAPIConfig) { c.URL = strings.TrimSuffix(c.URL, "/v1") })
	e.setGood(bapiAK)
	for i := range 3 {
		_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
		require.ErrorIs(t, err, ErrBackendAPI)
		require.NotErrorIs(t, err, ErrMachineTokenInvalid)
		assert.EqualValues(t, i+1, e.fake.strays.Load(), "the wrong path was asked, and the answer not cached")
	}
	assert.Equal(t, 1, e.log.count("ERROR"))
	assert.Contains(t, e.log.String(), "content_type=\"text/plain; charset=utf-8\"")

	e.clock.Advance(time.Minute)
	_, err := e.b.VerifyMachineToken(context.Background(), bapiMT)
	require.ErrorIs(t, err, ErrBackendAPI)
	assert.Equal(t, 2, e.log.count("ERROR"))
	assert.Contains(t, e.log.String(), "suppressed=2")
}

func TestBackendAPIRateLimit(t *testing.T) {
	tests := []struct {
		name      string
		perSecond float64
		burst     int
		wantBurst int
	}{
		{"defaults", 0, 0, 2 * DefaultMaxBackendAPICallsPerSecond},
		{"one per second, burst 3", 1, 3, 3},
		{"one per two seconds, default burst", 0.5, 0, 1},
		{"ten per second, no burst", 10, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newBAPIEnv(t, func(c *BackendAPIConfig) {
				c.MaxCallsPerSecond = tt.perSecond
				c.MaxCallBurst = tt.burst
			})
			perSecond := cmp.Or(tt.perSecond, DefaultMaxBackendAPICallsPerSecond)
			oneCall := time.Duration(float64(time.Second)/perSecond) + time.Millisecond
			// Tokens presented for the first time may spend the upper half of the bucket
			// only (rounded up: a bucket of 1 reserves nothing).
			newShare := tt.wantBurst - tt.wantBurst/2

			// A legitimate token, cached before the flood: its call is one of the share.
			e.setGood(bapiGoodAK)
			_, err := e.b.VerifyMachineToken(context.Background(), bapiGoodAK)
			require.NoError(t, err)

			// A flood of distinct made-up tokens, all at one instant: the rest of the
			// share reaches Clerk, then every one is refused at once, and cache hits
			// are still served.
			const extra = 100
			for i := range newShare - 1 + extra {
				token := fmt.Sprintf("ak_flood_%08d", i)
				if i < newShare-1 {
					_, err := e.b.VerifyMachineToken(context.Background(), token)
					require.ErrorIs(t, err, ErrMachineTokenInvalid, "token %d is within the share", i)
				} else {
					e.requireRefusedLocally(t, token, ErrBackendAPIRateLimited)
				}
				e.requireServed(t, bapiGoodAK)
			}
			require.EqualValues(t, newShare, e.fake.hits.Load(), "at most the new tokens' share reached Clerk")

			// A refusal is not cached: once the bucket has one call again, the same
			// token reaches Clerk; the next one is refused again.
			e.clock.Advance(oneCall)
			last := fmt.Sprintf("ak_flood_%08d", newShare-1+extra-1)
			_, err = e.b.VerifyMachineToken(context.Background(), last)
			require.ErrorIs(t, err, ErrMachineTokenInvalid)
			require.EqualValues(t, newShare+1, e.fake.hits.Load())
			e.requireRefusedLocally(t, "ak_flood_more_tok", ErrBackendAPIRateLimited)

			// After the flood, a legitimate token not in the cache works.
			e.clock.Advance(oneCall)
			e.setGood(bapiMT)
			p, err := e.b.VerifyMachineToken(context.Background(), bapiMT)
			require.NoError(t, err)
			assert.Equal(t, "mt_good", p.ID)
			e.requireServed(t, bapiGoodAK)

			// One warning for the whole flood, then one per 10 s at most.
			assert.Equal(t, 1, e.log.count("WARN"), "%s", e.log)
			assert.Contains(t, e.log.String(), "reason=max_calls_per_second")
			assert.Contains(t, e.log.String(), "tier=new")
			assert.NotContains(t, e.log.String(), "ak_flood")
			e.clock.Advance(10 * time.Second)
			for i := range newShare {
				_, err := e.b.VerifyMachineToken(context.Background(), fmt.Sprintf("ak_later_%08d", i))
				require.ErrorIs(t, err, ErrMachineTokenInvalid)
			}
			e.requireRefusedLocally(t, "ak_later_refused", ErrBackendAPIRateLimited)
			assert.Equal(t, 2, e.log.count("WARN"), "%s", e.log)
			assert.Contains(t, e.log.String(), fmt.Sprintf("suppressed=%d", extra))
		})
	}
}

func TestBackendAPIRetriedTokenTakesTheReserve(t *testing.T) {
	// F3: under a flood of made-up tokens, a valid token never seen before is refused
	// once (the new tokens' share is spent), then accepted when presented again, from the
	// reserve a flood of distinct tokens cannot spend; the clock does not move.
	e := newBAPIEnv(t, nil)
	for i := 0; e.fake.hits.Load() < DefaultMaxBackendAPICallsPerSecond; i++ {
		_, err := e.b.VerifyMachineToken(context.Background(), fmt.Sprintf("ak_flood_%08d", i))
		require.ErrorIs(t, err, ErrMachineTokenInvalid)
	}
	for i := range 100 {
		e.requireRefusedLocally(t, fmt.Sprintf("ak_more_flood_%08d", i), ErrBackendAPIRateLimited)
	}
	e.setGood(bapiAK)
	e.requireRefusedLocally(t, bapiAK, ErrBackendAPIRateLimited)
	e.requireRefusedLocally(t, "ak_even_more_flood_0", ErrBackendAPIRateLimited)
	p, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.NoError(t, err, "presented again: the retried tier's reserve")
	assert.Equal(t, "ak_good", p.ID)

	// The retried tier may spend down to a quarter of the bucket (10 of 40): of the
	// flood's tokens presented again, 9 more reach Clerk, then they are refused too.
	for i := range 9 {
		_, err := e.b.VerifyMachineToken(context.Background(), fmt.Sprintf("ak_more_flood_%08d", i))
		require.ErrorIs(t, err, ErrMachineTokenInvalid, "retried token %d", i)
	}
	e.requireRefusedLocally(t, "ak_more_flood_00000009", ErrBackendAPIRateLimited)
	assert.Contains(t, e.log.String(), "tier=new")
	assert.EqualValues(t, DefaultMaxBackendAPICallsPerSecond+10, e.fake.hits.Load())
}

func TestBackendAPIConcurrentFloodIsBounded(t *testing.T) {
	// The review's reproduction: 500 distinct tokens at once. With the defaults, at most
	// the new tokens' share of the bucket (20 of 40) reaches Clerk, at most 4 at a time
	// (half of the 8 slots).
	e := newBAPIEnv(t, nil)
	e.setGood(bapiGoodAK)
	_, err := e.b.VerifyMachineToken(context.Background(), bapiGoodAK)
	require.NoError(t, err)
	const n = 500
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := e.b.VerifyMachineToken(context.Background(), fmt.Sprintf("ak_conc_%08d", i))
			errs <- err
			_, err = e.b.VerifyMachineToken(context.Background(), bapiGoodAK)
			if err != nil {
				errs <- fmt.Errorf("cache hit refused: %w", err)
			}
		})
	}
	wg.Wait()
	close(errs)
	var invalid, limited int
	for err := range errs {
		switch {
		case errors.Is(err, ErrMachineTokenInvalid):
			invalid++
		case errors.Is(err, ErrBackendAPIRateLimited) && errors.Is(err, ErrBackendAPI):
			limited++
		default:
			t.Errorf("unexpected result %v", err)
		}
	}
	assert.Equal(t, n, invalid+limited)
	assert.EqualValues(t, invalid+1, e.fake.hits.Load(), "every call that was made was answered")
	assert.LessOrEqual(t, e.fake.hits.Load(), int64(DefaultMaxBackendAPICallsPerSecond))
	assert.LessOrEqual(t, e.fake.maxInFlight.Load(), int64(DefaultMaxConcurrentBackendAPICalls/2))
	assert.GreaterOrEqual(t, limited, n-DefaultMaxBackendAPICallsPerSecond)
}

func TestBackendAPIConcurrencyCap(t *testing.T) {
	// Eight slots: tokens presented for the first time may hold 4, retried ones 6, the
	// revalidation of a known credential all 8.
	const slots, n = 8, 10
	e := newBAPIEnv(t, func(c *BackendAPIConfig) { c.MaxConcurrentCalls = slots; c.MaxCallsPerSecond = 1000 })
	e.setGood(bapiGoodAK)
	_, err := e.b.VerifyMachineToken(context.Background(), bapiGoodAK)
	require.NoError(t, err)
	e.fake.fallback = func(_, token string) bapiAnswer {
		return bapiAnswer{body: `{"object":"api_key","id":"` + token + `","subject":"user_1"}`}
	}
	e.fake.arrived = make(chan struct{}, 2*n)
	e.fake.release = make(chan struct{})

	type result struct {
		token string
		err   error
	}
	results := make(chan result, 2*n)
	verify := func(token string) {
		_, err := e.b.VerifyMachineToken(context.Background(), token)
		results <- result{token, err}
	}
	for i := range n {
		go verify(fmt.Sprintf("ak_slow_%08d", i))
	}
	// Clerk holds the first 4; the others are refused without waiting for them.
	for range slots / 2 {
		<-e.fake.arrived
	}
	var refused []string
	for range n - slots/2 {
		r := <-results
		require.ErrorIs(t, r.err, ErrBackendAPI)
		require.ErrorIs(t, r.err, ErrBackendAPIRateLimited)
		refused = append(refused, r.token)
	}
	assert.EqualValues(t, slots/2+1, e.fake.hits.Load())
	assert.EqualValues(t, slots/2, e.fake.inFlight.Load())
	e.requireServed(t, bapiGoodAK) // while the new tokens' slots are taken
	e.requireRefusedLocally(t, "ak_one_more_token", ErrBackendAPIRateLimited)
	assert.Contains(t, e.log.String(), "reason=max_concurrent_calls")

	// Refused tokens presented again take two more slots, not a third.
	go verify(refused[0])
	go verify(refused[1])
	<-e.fake.arrived
	<-e.fake.arrived
	e.requireRefusedLocally(t, refused[2], ErrBackendAPIRateLimited)
	assert.EqualValues(t, slots/2+2, e.fake.inFlight.Load())

	// A known credential due for revalidation is served at once, and its revalidation
	// takes one of the two slots left.
	e.clock.Advance(e.b.refresh)
	p, err := e.b.VerifyMachineToken(context.Background(), bapiGoodAK)
	require.NoError(t, err)
	assert.Equal(t, "ak_good", p.ID)
	<-e.fake.arrived
	assert.EqualValues(t, slots/2+3, e.fake.inFlight.Load())

	close(e.fake.release)
	for range slots/2 + 2 {
		require.NoError(t, (<-results).err)
	}
	e.settle()
	assert.EqualValues(t, slots/2+3, e.fake.maxInFlight.Load())

	// The slots are free again (a refused token was not cached).
	e.fake.arrived = nil
	p, err = e.b.VerifyMachineToken(context.Background(), "ak_one_more_token")
	require.NoError(t, err)
	assert.Equal(t, "ak_one_more_token", p.ID)
}

func TestBackendAPILimitsCountRealCalls(t *testing.T) {
	// One slot and a burst of one: 50 concurrent requests with one token share one call
	// and all succeed.
	e := newBAPIEnv(t, func(c *BackendAPIConfig) { c.MaxConcurrentCalls = 1; c.MaxCallsPerSecond = 0.01; c.MaxCallBurst = 1 })
	e.setGood(bapiAK)
	e.fake.arrived = make(chan struct{}, 64)
	e.fake.release = make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
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
	assert.EqualValues(t, 1, e.fake.hits.Load())
	e.requireRefusedLocally(t, bapiMT, ErrBackendAPIRateLimited) // the burst is spent
}

func TestBackendAPIRetryAfter(t *testing.T) {
	start := newBAPIClock().Now()
	tests := []struct {
		name       string
		retryAfter []string
		want       time.Duration
	}{
		{"absent", nil, DefaultBackendAPIRetryAfter},
		{"seconds", []string{"7"}, 7 * time.Second},
		{"one second", []string{"1"}, time.Second},
		{"zero", []string{"0"}, time.Second},
		{"capped", []string{"3600"}, MaxBackendAPIRetryAfter},
		{"exactly the cap", []string{"60"}, MaxBackendAPIRetryAfter},
		{"overflowing", []string{"99999999999999999999999999"}, MaxBackendAPIRetryAfter},
		{"HTTP date", []string{start.Add(20 * time.Second).Format(http.TimeFormat)}, 20 * time.Second},
		{"RFC 850 date", []string{start.Add(30 * time.Second).Format(time.RFC850)}, 30 * time.Second},
		{"ANSI C date", []string{start.Add(9 * time.Second).Format(time.ANSIC)}, 9 * time.Second},
		{"past date", []string{start.Add(-time.Hour).Format(http.TimeFormat)}, time.Second},
		{"far date", []string{start.Add(24 * time.Hour).Format(http.TimeFormat)}, MaxBackendAPIRetryAfter},
		{"garbage", []string{"soon"}, DefaultBackendAPIRetryAfter},
		{"negative", []string{"-5"}, DefaultBackendAPIRetryAfter},
		{"fraction", []string{"1.5"}, DefaultBackendAPIRetryAfter},
		{"empty", []string{""}, DefaultBackendAPIRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newBAPIEnv(t, nil)
			e.setGood(bapiGoodAK)
			_, err := e.b.VerifyMachineToken(context.Background(), bapiGoodAK)
			require.NoError(t, err)
			const trigger = "ak_trigger_token"
			e.fake.set(trigger, bapiAnswer{status: http.StatusTooManyRequests, header: http.Header{"Retry-After": tt.retryAfter},
				body: `{"errors":[{"message":"Too many requests","long_message":"Too many requests","code":"too_many_requests"}]}`})

			_, err = e.b.VerifyMachineToken(context.Background(), trigger)
			require.ErrorIs(t, err, ErrBackendAPI)
			require.ErrorIs(t, err, ErrBackendAPIThrottled)
			require.NotErrorIs(t, err, ErrBackendAPIRateLimited)
			require.EqualValues(t, 2, e.fake.hits.Load())
			assert.Contains(t, e.log.String(), "retry_after="+tt.want.String())
			assert.Contains(t, e.log.String(), "too_many_requests")

			// During the pause: no call for any token not in the cache (the one that
			// met the 429 included), cache hits served.
			e.setGood(bapiMT)
			for i := range 20 {
				e.requireRefusedLocally(t, fmt.Sprintf("ak_paused_%08d", i), ErrBackendAPIThrottled)
				e.requireServed(t, bapiGoodAK)
			}
			e.requireRefusedLocally(t, trigger, ErrBackendAPIThrottled)
			e.clock.Advance(tt.want - time.Millisecond)
			e.requireRefusedLocally(t, bapiMT, ErrBackendAPIThrottled)
			e.requireServed(t, bapiGoodAK)
			assert.Contains(t, e.log.String(), "reason=clerk_retry_after")

			// When it has passed, a legitimate token works.
			e.clock.Advance(time.Millisecond)
			p, err := e.b.VerifyMachineToken(context.Background(), bapiMT)
			require.NoError(t, err)
			assert.Equal(t, "mt_good", p.ID)
			assert.EqualValues(t, 3, e.fake.hits.Load())
		})
	}
}

func TestBackendAPIPauseSpendsNoCallBudget(t *testing.T) {
	// A bucket of 6, of which new tokens may spend 3, and next to no refill: the
	// refusals during a pause spend none of it.
	e := newBAPIEnv(t, func(c *BackendAPIConfig) { c.MaxCallsPerSecond = 0.001; c.MaxCallBurst = 6 })
	e.setGood(bapiGoodAK)
	_, err := e.b.VerifyMachineToken(context.Background(), bapiGoodAK) // 1 of 3
	require.NoError(t, err)
	e.fake.set("ak_trigger_token", bapiAnswer{status: 429, header: http.Header{"Retry-After": {"2"}}})
	_, err = e.b.VerifyMachineToken(context.Background(), "ak_trigger_token") // 2 of 3
	require.ErrorIs(t, err, ErrBackendAPIThrottled)
	for i := range 100 {
		e.requireRefusedLocally(t, fmt.Sprintf("ak_paused_%08d", i), ErrBackendAPIThrottled)
	}
	e.clock.Advance(2 * time.Second)
	e.setGood(bapiMT)
	_, err = e.b.VerifyMachineToken(context.Background(), bapiMT) // 3 of 3
	require.NoError(t, err)
	e.requireRefusedLocally(t, bapiOAT, ErrBackendAPIRateLimited)
	assert.EqualValues(t, 3, e.fake.hits.Load())
}

func TestBackendAPIPauseTakesTheLongerRetryAfter(t *testing.T) {
	e := newBAPIEnv(t, nil)
	e.fake.set("ak_long_retry_after", bapiAnswer{status: 429, header: http.Header{"Retry-After": {"30"}}})
	e.fake.set("ak_short_retry_after", bapiAnswer{status: 429, header: http.Header{"Retry-After": {"5"}}})
	e.fake.arrived = make(chan struct{}, 2)
	e.fake.release = make(chan struct{})
	errs := make(chan error, 2)
	for _, token := range []string{"ak_long_retry_after", "ak_short_retry_after"} {
		go func() {
			_, err := e.b.VerifyMachineToken(context.Background(), token)
			errs <- err
		}()
	}
	<-e.fake.arrived
	<-e.fake.arrived
	close(e.fake.release) // both answered, in either order
	for range 2 {
		require.ErrorIs(t, <-errs, ErrBackendAPIThrottled)
	}
	e.fake.arrived, e.fake.release = nil, nil
	e.clock.Advance(30*time.Second - time.Millisecond)
	e.requireRefusedLocally(t, bapiAK, ErrBackendAPIThrottled)
	e.clock.Advance(time.Millisecond)
	e.setGood(bapiAK)
	_, err := e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.NoError(t, err)
}

func TestBackendAPIPauseIsBoundedWhenTheClockMovesBack(t *testing.T) {
	e := newBAPIEnv(t, nil)
	e.fake.set("ak_trigger_token", bapiAnswer{status: 429, header: http.Header{"Retry-After": {"60"}}})
	_, err := e.b.VerifyMachineToken(context.Background(), "ak_trigger_token")
	require.ErrorIs(t, err, ErrBackendAPIThrottled)
	e.clock.Advance(-time.Hour) // a wall clock stepped back
	e.requireRefusedLocally(t, bapiAK, ErrBackendAPIThrottled)
	e.clock.Advance(MaxBackendAPIRetryAfter)
	e.setGood(bapiAK)
	_, err = e.b.VerifyMachineToken(context.Background(), bapiAK)
	require.NoError(t, err, "the pause lasted no more than MaxBackendAPIRetryAfter from the stepped-back clock")
}

// clerkErrorBodyOracle is an independent statement of Clerk's error format.
func clerkErrorBodyOracle(data []byte) bool {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return false
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	list, ok := obj["errors"].([]any)
	if !ok || len(list) == 0 {
		return false
	}
	for _, item := range list {
		e, ok := item.(map[string]any)
		if !ok {
			return false
		}
		if code, ok := e["code"].(string); !ok || code == "" {
			return false
		}
	}
	return true
}

func FuzzClerkErrorBody(f *testing.F) {
	for _, s := range []string{
		clerkNotFound, `{"errors":[{"code":"x"}]}`, `{"errors":[{"code":"a"},{"code":"b","meta":{}}],"meta":{}}`,
		"", "404 page not found\n", `<html></html>`, `{}`, `[]`, `null`, `{"errors":null}`, `{"errors":[]}`,
		`{"errors":"x"}`, `{"errors":[null]}`, `{"errors":[{"code":""}]}`, `{"errors":[{"code":1}]}`,
		`{"errors":[{"code":"x"},{}]}`, `{"Errors":[{"code":"x"}]}`, `{"errors":[{"CODE":"x"}]}`,
		`{"errors":[{"code":"x"}]`, `{"errors":[{"code":"x"}]} trailing`, `{"errors":[{"code":"x"}],"errors":[]}`,
		`{"errors":[{"code":"\u0000"}]}`, "{\"errors\":[{\"code\":\"\xff\"}]}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := isClerkErrorBody(data), clerkErrorBodyOracle(data); got != want {
			t.Fatalf("isClerkErrorBody(%q) = %v, want %v", data, got, want)
		}
	})
}

func FuzzBackendAPIRetryAfter(f *testing.F) {
	now := newBAPIClock().Now()
	for _, s := range []string{
		"", "0", "1", "5", "60", "61", "3600", "99999999999999999999999", "-1", "1.5", " 7 ", "+7", "0x10", "soon",
		now.Add(20 * time.Second).Format(http.TimeFormat), now.Add(-time.Hour).Format(http.TimeFormat),
		now.Add(30 * time.Second).Format(time.RFC850), now.Add(9 * time.Second).Format(time.ANSIC),
		"Mon, 01 Jan 0001 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "\x00", "７",
	} {
		f.Add(s)
	}
	digits := regexp.MustCompile(`^[0-9]+$`)
	f.Fuzz(func(t *testing.T, v string) {
		d := bapiRetryAfter(v, now)
		if d < time.Second || d > MaxBackendAPIRetryAfter {
			t.Fatalf("bapiRetryAfter(%q) = %s, out of [1s, %s]", v, d, MaxBackendAPIRetryAfter)
		}
		s := strings.TrimSpace(v)
		if digits.MatchString(s) {
			want := MaxBackendAPIRetryAfter
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && n <= 60 {
				want = max(time.Duration(n)*time.Second, time.Second)
			}
			if d != want {
				t.Fatalf("bapiRetryAfter(%q) = %s, want %s", v, d, want)
			}
		}
		if s == "" && d != DefaultBackendAPIRetryAfter {
			t.Fatalf("bapiRetryAfter(%q) = %s, want the default", v, d)
		}
	})
}

// FuzzBackendAPIAnswer checks parseBackendAPIAnswer against an independent statement of
// F6: a principal only from the endpoint's object (member "object", exactly), with an id
// and a subject; a refusal only as one of the refusal sentinels; an answer without the
// endpoint's object is errNotClerkAnswer, except the OAuth endpoint's {"active":false}.
func FuzzBackendAPIAnswer(f *testing.F) {
	for _, s := range []string{
		`{"object":"api_key","id":"ak_1","subject":"user_1","scopes":["a"],"claims":{"k":1},"expiration":null}`,
		`{"object":"machine_to_machine_token","id":"mt_1","subject":"mch_1","revoked":true}`,
		`{"object":"clerk_idp_oauth_access_token","id":"oat_1","client_id":"c","subject":"user_1","expired":true}`,
		`{"object":"api_key","id":"ak_1","subject":"user_1","expiration":1}`,
		`{"active":false}`, `{"active":null}`, `{"active":false,"id":"x"}`, `{"active":true}`,
		`{}`, `{"id":"x"}`, `{"id":"x","subject":"user_1"}`, `{"Object":"api_key","id":"x","subject":"u"}`,
		`{"object":"api_key","object":"session","id":"x","subject":"u"}`, `{"object":null,"id":"x","subject":"u"}`,
		`{"object":"api_key","id":"x"}`, `{"object":"api_key","id":"x","subject":""}`, `{"object":"api_key","ID":"x","Subject":"u"}`,
		`{"object":"api_key","id":"x","subject":"u","revoked":"no"}`, `null`, `[]`, `"api_key"`, ``, `<html>`,
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(2))
	}
	b, err := NewBackendAPI(BackendAPIConfig{SecretKey: bapiTestSecret})
	require.NoError(f, err)
	now := newBAPIClock().Now()
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		ep := &b.endpoints[int(which)%len(b.endpoints)]
		v, err := parseBackendAPIAnswer(ep, data, now)
		var m map[string]any
		isObject := json.Unmarshal(data, &m) == nil && m != nil
		object, _ := m["object"].(string)
		active, hasActive := m["active"].(bool)
		oauthInactive := isObject && ep.kind == KindOAuthToken && len(m) == 1 && hasActive && !active
		switch {
		case err != nil:
			if v.p != nil || v.err != nil {
				t.Fatalf("an error with a verdict: %+v", v)
			}
			if (!isObject || object != ep.object) && !oauthInactive && !errors.Is(err, errNotClerkAnswer) {
				t.Fatalf("%q for %s: %v, want errNotClerkAnswer", data, ep.kind, err)
			}
		case v.p != nil:
			if !isObject || object != ep.object {
				t.Fatalf("%q for %s: a principal without the endpoint's object", data, ep.kind)
			}
			if v.p.Kind != ep.kind || v.p.ID == "" || v.p.Subject == "" {
				t.Fatalf("%q for %s: principal %+v", data, ep.kind, *v.p)
			}
		case v.err != nil:
			if !errors.Is(v.err, ErrMachineTokenInvalid) && !errors.Is(v.err, ErrMachineTokenRevoked) &&
				!errors.Is(v.err, ErrMachineTokenExpired) {
				t.Fatalf("%q: refusal %v", data, v.err)
			}
			if !oauthInactive && (!isObject || object != ep.object) {
				t.Fatalf("%q for %s: a refusal without the endpoint's object", data, ep.kind)
			}
		default:
			t.Fatalf("%q: neither verdict nor error", data)
		}
	})
}
