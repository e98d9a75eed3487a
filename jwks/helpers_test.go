package jwks_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

// parseUnverified returns the token golang-jwt hands a Keyfunc.
func parseUnverified(t testing.TB, raw string) *jwt.Token {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{})
	if err != nil {
		t.Fatalf("parsing %q: %v", raw, err)
	}
	return tok
}

// headerToken builds an unsigned token object with the given header, for lookups.
func headerToken(header map[string]any) *jwt.Token {
	return &jwt.Token{Header: header, Claims: jwt.MapClaims{}}
}

// logBuffer is a concurrency-safe slog destination.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) Contains(s string) bool { return strings.Contains(l.String(), s) }

func newLogger() (*slog.Logger, *logBuffer) {
	lb := &logBuffer{}
	return slog.New(slog.NewTextHandler(lb, nil)), lb
}

func newFakeClock() *clerkauthtest.Clock { return clerkauthtest.NewClock(time.Unix(1_800_000_000, 0)) }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// handlerTransport serves requests with a handler in process, without a network: for a
// Remote inside a synctest bubble, whose fake clock only moves when every goroutine of
// the bubble waits on something of the bubble's own.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

// newBubbleRemote starts a Remote whose fetches h serves in process; call it inside a
// synctest bubble. cfg fields that are set override the defaults used here.
func newBubbleRemote(t *testing.T, h http.Handler, cfg jwks.RemoteConfig) *jwks.Remote {
	t.Helper()
	cfg.URL = "http://127.0.0.1" + clerkauthtest.FrontendJWKSPath
	cfg.HTTPClient = &http.Client{Transport: handlerTransport{h}}
	if cfg.Logger == nil {
		cfg.Logger = discardLogger()
	}
	r, err := jwks.NewRemote(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// kidToken is the unsigned token object a lookup gets for an RS256 token with this kid.
func kidToken(kid string) *jwt.Token { return headerToken(map[string]any{"alg": "RS256", "kid": kid}) }
