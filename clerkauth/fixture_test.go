package clerkauth_test

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

// testNow is the fixed clock of the tests.
var testNow = time.Unix(1_800_000_000, 0)

const testOrigin = "https://app.example.com"

// fixture is a fake instance and a verifier for it, on a fixed clock.
type fixture struct {
	iss  *clerkauthtest.Issuer
	keys *jwks.Static
	v    *clerkauth.Verifier
	now  time.Time
}

func newFixture(t testing.TB, cfg func(*clerkauth.Config)) *fixture {
	t.Helper()
	iss := clerkauthtest.NewIssuer()
	t.Cleanup(iss.Close)
	return fixtureFor(t, iss, cfg)
}

func fixtureFor(t testing.TB, iss *clerkauthtest.Issuer, cfg func(*clerkauth.Config)) *fixture {
	t.Helper()
	iss.SetClock(func() time.Time { return testNow })
	keys, err := jwks.ParseJSON(iss.JWKS())
	require.NoError(t, err)
	c := clerkauth.Config{Keys: keys, Issuer: iss.Issuer(), Now: func() time.Time { return testNow }}
	if cfg != nil {
		cfg(&c)
	}
	v, err := clerkauth.NewVerifier(c)
	require.NoError(t, err)
	return &fixture{iss: iss, keys: keys, v: v, now: testNow}
}

func (f *fixture) verify(t testing.TB, token string) (*clerkauth.Session, error) {
	t.Helper()
	return f.v.Verify(context.Background(), token)
}

// serve runs req through the verifier's middleware in front of a handler that answers
// 200 with the user id.
func (f *fixture) serve(req *http.Request, opts ...clerkauth.MiddlewareOption) *httptest.ResponseRecorder {
	h := f.v.Middleware(opts...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := clerkauth.SessionFromContext(r.Context())
		if !ok {
			_, _ = w.Write([]byte("anonymous"))
			return
		}
		_, _ = w.Write([]byte(s.UserID))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func bearer(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/thing", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// rawToken signs header and payload JSON exactly as given with the issuer's key.
func (f *fixture) rawToken(header, payload string) string {
	return f.iss.SignRaw([]byte(header), []byte(payload))
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// validPayload is a minimal valid v2 payload for the fixture's issuer at testNow, with
// extra members spliced in (a JSON fragment starting with a comma, or "").
func (f *fixture) validPayload(extra string) string {
	return `{"iss":"` + f.iss.Issuer() + `","sub":"user_1","sid":"sess_1","iat":1800000000,"nbf":1799999990,"exp":1800000060,"v":2` + extra + `}`
}

func (f *fixture) header(extra string) string {
	return `{"alg":"RS256","kid":"` + f.iss.KeyID() + `","typ":"JWT"` + extra + `}`
}

func requireNoLeak(t *testing.T, body, token string) {
	t.Helper()
	if len(token) > 20 {
		require.NotContains(t, body, token[len(token)-20:], "the body must not echo the token")
	}
	require.NotContains(t, body, "clerkauth:", "the body must not carry the internal reason")
	require.False(t, strings.Contains(body, "jwks:"))
}

// jwkNoAlg renders k's public key as a JWK without alg (usable with any RSA algorithm).
func jwkNoAlg(k *clerkauthtest.Key) string {
	doc := string(clerkauthtest.JWKSDocument(k))
	doc = strings.Replace(doc, `"alg":"RS256",`, "", 1)
	return doc[len(`{"keys":[`) : len(doc)-2]
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
