package machine

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
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

func cmpOrDuration(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
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
	require.ErrorIs(t, err, clerkauth.ErrBackendAPI)
	require.ErrorIs(t, err, sentinel)
	require.NotErrorIs(t, err, clerkauth.ErrMachineTokenInvalid)
	require.NotContains(t, err.Error(), token)
	require.Nil(t, p)
	require.Equal(t, before, e.fake.hits.Load(), "no call to Clerk")
}
