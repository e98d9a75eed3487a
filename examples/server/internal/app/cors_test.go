package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/orgctx"
)

func TestCORS(t *testing.T) {
	reached := false
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = true
		w.WriteHeader(http.StatusTeapot)
	})
	cors := newCORS([]string{"https://app.example.com", "http://localhost:3000"}, []string{"GET", "HEAD", "POST", "PUT"})(next)
	const preflightVary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

	tests := []struct {
		name           string
		method, origin string
		reqMethod      string // Access-Control-Request-Method: a preflight
		reqHeaders     string // Access-Control-Request-Headers, as Chromium sends them
		wantStatus     int
		wantReached    bool
		wantOrigin     string // Access-Control-Allow-Origin, "" for none
		wantVary       string
	}{
		{"same-origin request", "GET", "", "", "", http.StatusTeapot, true, "", "Origin"},
		{"listed origin", "GET", "https://app.example.com", "", "", http.StatusTeapot, true, "https://app.example.com", "Origin"},
		{"second listed origin", "POST", "http://localhost:3000", "", "", http.StatusTeapot, true, "http://localhost:3000", "Origin"},
		{"listed origin, a method no route uses", "DELETE", "http://localhost:3000", "", "", http.StatusTeapot, true, "", "Origin"},
		{"unlisted origin", "GET", "https://evil.example.com", "", "", http.StatusTeapot, true, "", "Origin"},
		{"another port of a listed host", "GET", "http://localhost:3001", "", "", http.StatusTeapot, true, "", "Origin"},
		{"origin with a trailing slash", "GET", "https://app.example.com/", "", "", http.StatusTeapot, true, "", "Origin"},
		{"null origin", "GET", "null", "", "", http.StatusTeapot, true, "", "Origin"},
		{"preflight: GET with Authorization", "OPTIONS", "https://app.example.com", "GET", "authorization", http.StatusNoContent, false, "https://app.example.com", preflightVary},
		{"preflight: POST with JSON", "OPTIONS", "http://localhost:3000", "POST", "authorization,content-type", http.StatusNoContent, false, "http://localhost:3000", preflightVary},
		{"preflight: PUT, a method a route uses", "OPTIONS", "http://localhost:3000", "PUT", "authorization", http.StatusNoContent, false, "http://localhost:3000", preflightVary},
		{"preflight: DELETE, which no route uses", "OPTIONS", "http://localhost:3000", "DELETE", "authorization", http.StatusNoContent, false, "", preflightVary},
		{"preflight: a header not allowed", "OPTIONS", "http://localhost:3000", "GET", "authorization,x-debug", http.StatusNoContent, false, "", preflightVary},
		{"preflight from an unlisted origin", "OPTIONS", "https://evil.example.com", "GET", "authorization", http.StatusNoContent, false, "", preflightVary},
		{"OPTIONS that is no preflight goes on", "OPTIONS", "https://app.example.com", "", "", http.StatusTeapot, true, "https://app.example.com", "Origin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reached = false
			r := httptest.NewRequest(tc.method, "/api/auth_core/me/", nil)
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			if tc.reqMethod != "" {
				r.Header.Set("Access-Control-Request-Method", tc.reqMethod)
				r.Header.Set("Access-Control-Request-Headers", tc.reqHeaders)
			}
			w := httptest.NewRecorder()
			cors.ServeHTTP(w, r)
			h := w.Header()
			assert.Equal(t, tc.wantStatus, w.Code)
			assert.Equal(t, tc.wantReached, reached, "preflights are answered here, everything else goes on")
			assert.Equal(t, tc.wantOrigin, h.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, tc.wantVary, strings.Join(h.Values("Vary"), ", "))
			allowed := tc.wantOrigin != ""
			preflight := tc.reqMethod != ""
			if allowed {
				assert.Equal(t, "true", h.Get("Access-Control-Allow-Credentials"))
			} else {
				assert.Empty(t, h.Get("Access-Control-Allow-Credentials"))
			}
			if allowed && preflight {
				assert.Equal(t, tc.reqMethod, h.Get("Access-Control-Allow-Methods"))
				assert.Equal(t, tc.reqHeaders, h.Get("Access-Control-Allow-Headers"))
				assert.Equal(t, "600", h.Get("Access-Control-Max-Age"))
			} else {
				assert.Empty(t, h.Get("Access-Control-Allow-Methods"))
				assert.Empty(t, h.Get("Access-Control-Allow-Headers"))
				assert.Empty(t, h.Get("Access-Control-Max-Age"))
			}
			if allowed && !preflight {
				assert.Equal(t, "Www-Authenticate, Retry-After, X-Request-Id", h.Get("Access-Control-Expose-Headers"))
			} else {
				assert.Empty(t, h.Get("Access-Control-Expose-Headers"))
			}
		})
	}
}

// Refusals carry the CORS headers, so that the frontend can read them: the status, the
// body, the challenge and Retry-After.
func TestCORSRefusals(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
	}{
		{http.StatusUnauthorized, orgctx.CodeUnauthorized},
		{http.StatusUnauthorized, orgctx.CodeInvalidToken},
		{http.StatusForbidden, orgctx.CodeInsufficientScope},
		{http.StatusServiceUnavailable, orgctx.CodeUnavailable},
	} {
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f := orgctx.Failure{Status: tc.status, Code: tc.code, Detail: "refused"}
			if tc.status == http.StatusServiceUnavailable {
				f.RetryAfter = 5 * time.Second
			}
			orgctx.Refuse(w, r, f)
		})
		r := httptest.NewRequest("GET", "/api/auth_core/me/", nil)
		r.Header.Set("Origin", "http://localhost:5173")
		w := httptest.NewRecorder()
		newCORS([]string{"http://localhost:5173"}, []string{"GET", "HEAD"})(next).ServeHTTP(w, r)
		assert.Equal(t, tc.status, w.Code)
		assert.Equal(t, "http://localhost:5173", w.Header().Get("Access-Control-Allow-Origin"), tc.code)
		assert.Equal(t, "true", w.Header().Get("Access-Control-Allow-Credentials"), tc.code)
		expose := strings.ToLower(w.Header().Get("Access-Control-Expose-Headers"))
		assert.Contains(t, expose, "www-authenticate", tc.code)
		assert.Contains(t, expose, "retry-after", tc.code)
	}
}

// Without configured origins the middleware changes nothing: no CORS header, no Vary,
// preflights reach the routes.
func TestCORSOff(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	r := httptest.NewRequest("OPTIONS", "/", nil)
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("Access-Control-Request-Method", "GET")
	w := httptest.NewRecorder()
	newCORS(nil, []string{"GET"})(next).ServeHTTP(w, r)
	assert.Equal(t, http.StatusTeapot, w.Code)
	assert.Empty(t, w.Header())
}

// The server's preflights allow the methods its routes use: GET everywhere, POST in dev
// mode (/dev/token, /dev/webhook), and nothing else.
func TestAppCORSMethods(t *testing.T) {
	preflight := func(a *App, method string) string {
		r := httptest.NewRequest("OPTIONS", "/api/auth_core/me/", nil)
		r.RemoteAddr = "127.0.0.1:50000"
		r.Header.Set("Origin", "http://localhost:5173")
		r.Header.Set("Access-Control-Request-Method", method)
		r.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		w := httptest.NewRecorder()
		a.Handler().ServeHTTP(w, r)
		require.Equal(t, http.StatusNoContent, w.Code)
		return w.Header().Get("Access-Control-Allow-Methods")
	}
	dev, _, _ := newDevApp(t, env{EnvCORSAllowedOrigins: "http://localhost:5173"})
	for method, want := range map[string]string{"GET": "GET", "HEAD": "HEAD", "POST": "POST", "PUT": "", "DELETE": "", "PATCH": ""} {
		assert.Equal(t, want, preflight(dev, method), "dev mode, %s", method)
	}

	prod := newPEMApp(t, env{EnvCORSAllowedOrigins: "http://localhost:5173"})
	for method, want := range map[string]string{"GET": "GET", "HEAD": "HEAD", "POST": "", "PUT": "", "DELETE": ""} {
		assert.Equal(t, want, preflight(prod, method), "CLERK_JWT_KEY, %s", method)
	}
}

func TestRouterMethods(t *testing.T) {
	r := newRouter()
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	r.Handle("GET /a/{$}", ok)
	r.Handle("POST /a/{$}", ok)
	r.HandleFunc("DELETE\t/a/{id}", ok)
	r.Handle("PUT  example.com/b", ok)
	r.Handle("/any/", ok) // every method, none recorded
	r.Handle("GET /c/", ok)
	assert.Equal(t, []string{"DELETE", "GET", "HEAD", "POST", "PUT"}, r.Methods())

	// It is still the ServeMux: the routes answer.
	for _, tc := range []struct{ method, path string }{{"GET", "/a/"}, {"DELETE", "/a/1"}, {"PATCH", "/any/x"}} {
		_, pattern := r.Handler(httptest.NewRequest(tc.method, tc.path, nil))
		assert.NotEmpty(t, pattern, "%s %s", tc.method, tc.path)
	}
	assert.Panics(t, func() { r.Handle("GET /a/{$}", ok) }, "a conflicting pattern must panic as ServeMux does")
}

// newPEMApp builds the server with a PEM key (no dev mode) on an in-memory database.
func newPEMApp(t *testing.T, extra env) *App {
	t.Helper()
	e := env{
		EnvAddr: "127.0.0.1:0", EnvDatabaseURL: "sqlite::memory:",
		EnvJWTKey: clerkauthtest.PublicKeyPEM(&clerkauthtest.NewKey().Private.PublicKey), EnvIssuer: "https://clerk.example.com",
	}
	for k, v := range extra {
		e[k] = v
	}
	cfg, err := LoadConfig(e.lookup)
	require.NoError(t, err)
	a, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Audit: io.Discard})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, a.Close()) })
	return a
}
