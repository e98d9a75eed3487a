package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// devRequest is a request a developer's browser on this machine sends.
func devRequest(method, path string) *http.Request {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = "127.0.0.1:50000"
	r.Host = "127.0.0.1:8000"
	return r
}

// httptestServe sends r through the whole chain.
func httptestServe(a *App, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	a.Handler().ServeHTTP(w, r)
	return w
}

// GET / is the dev console in dev mode: a page, its script and its style from the
// binary, locked down by a CSP, for this machine only; a 404 outside dev mode.
func TestConsole(t *testing.T) {
	a, _, _ := newDevApp(t, nil)
	for path, want := range map[string]struct{ contentType, contains string }{
		"/":                {"text/html; charset=utf-8", `<script src="/dev/console.js" defer></script>`},
		"/dev/console.js":  {"text/javascript; charset=utf-8", "'/dev/token'"},
		"/dev/console.css": {"text/css; charset=utf-8", "font-family: system-ui"},
	} {
		w := httptestServe(a, devRequest("GET", path))
		require.Equal(t, http.StatusOK, w.Code, path)
		h := w.Header()
		assert.Equal(t, want.contentType, h.Get("Content-Type"), path)
		assert.Contains(t, w.Body.String(), want.contains, path)
		assert.Equal(t, consoleCSP, h.Get("Content-Security-Policy"), path)
		assert.Equal(t, "DENY", h.Get("X-Frame-Options"), path)
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), path)
		assert.Equal(t, "no-store", h.Get("Cache-Control"), path)
		// Nothing from elsewhere: no absolute URL in any file.
		assert.NotRegexp(t, `(?i)(src|href)=["']?(https?:)?//`, w.Body.String(), path)
		assert.NotContains(t, w.Body.String(), "http://", path)
		assert.NotContains(t, w.Body.String(), "https://", path)
	}
	assert.Equal(t, http.StatusNotFound, httptestServe(a, devRequest("GET", "/index.html")).Code)
	assert.Equal(t, http.StatusMethodNotAllowed, httptestServe(a, devRequest("POST", "/")).Code)

	// The guard of the dev endpoints: DNS rebinding, a proxy, another machine, framing
	// by a page elsewhere.
	for name, mutate := range map[string]func(*http.Request){
		"foreign Host":    func(r *http.Request) { r.Host = "evil.example:8000" },
		"forwarded":       func(r *http.Request) { r.Header.Set("X-Forwarded-For", "203.0.113.7") },
		"remote peer":     func(r *http.Request) { r.RemoteAddr = "192.0.2.1:4000" },
		"foreign Origin":  func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") },
		"sandboxed frame": func(r *http.Request) { r.Header.Set("Origin", "null") },
	} {
		for _, path := range []string{"/", "/dev/console.js"} {
			r := devRequest("GET", path)
			mutate(r)
			w := httptestServe(a, r)
			assert.Equal(t, http.StatusForbidden, w.Code, "%s %s", name, path)
			assert.False(t, strings.Contains(w.Body.String(), "<html"), "%s %s", name, path)
		}
	}

	prod := newPEMApp(t, nil)
	for _, path := range []string{"/", "/dev/console.js", "/dev/console.css", "/dev/audit"} {
		assert.Equal(t, http.StatusNotFound, httptestServe(prod, devRequest("GET", path)).Code, path)
	}
}
