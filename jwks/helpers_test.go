package jwks_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"

	"github.com/golang-jwt/jwt/v5"
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
