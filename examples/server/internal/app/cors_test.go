package app

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCORS(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	cors := newCORS([]string{"https://app.example.com", "http://localhost:3000"})(next)

	tests := []struct {
		name                      string
		method, origin, reqMethod string
		wantStatus                int
		wantOrigin                string // Access-Control-Allow-Origin, "" for none
		wantVary                  []string
		wantPreflightHeaders      bool
	}{
		{"same-origin request", "GET", "", "", http.StatusTeapot, "", []string{"Origin"}, false},
		{"listed origin", "GET", "https://app.example.com", "", http.StatusTeapot, "https://app.example.com", []string{"Origin"}, false},
		{"second listed origin", "POST", "http://localhost:3000", "", http.StatusTeapot, "http://localhost:3000", []string{"Origin"}, false},
		{"unlisted origin", "GET", "https://evil.example.com", "", http.StatusTeapot, "", []string{"Origin"}, false},
		{"origin differing by case", "GET", "https://APP.example.com", "", http.StatusTeapot, "", []string{"Origin"}, false},
		{"origin with a trailing slash", "GET", "https://app.example.com/", "", http.StatusTeapot, "", []string{"Origin"}, false},
		{"null origin", "GET", "null", "", http.StatusTeapot, "", []string{"Origin"}, false},
		{"preflight from a listed origin", "OPTIONS", "https://app.example.com", "GET", http.StatusNoContent, "https://app.example.com",
			[]string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}, true},
		{"preflight from an unlisted origin", "OPTIONS", "https://evil.example.com", "GET", http.StatusNoContent, "",
			[]string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}, false},
		{"OPTIONS that is no preflight goes on", "OPTIONS", "https://app.example.com", "", http.StatusTeapot, "https://app.example.com", []string{"Origin"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/api/auth_core/me/", nil)
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			if tc.reqMethod != "" {
				r.Header.Set("Access-Control-Request-Method", tc.reqMethod)
				r.Header.Set("Access-Control-Request-Headers", "authorization")
			}
			w := httptest.NewRecorder()
			cors.ServeHTTP(w, r)
			h := w.Header()
			assert.Equal(t, tc.wantStatus, w.Code)
			assert.Equal(t, tc.wantOrigin, h.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, tc.wantVary, h.Values("Vary"))
			if tc.wantOrigin != "" {
				assert.Equal(t, "true", h.Get("Access-Control-Allow-Credentials"))
			} else {
				assert.Empty(t, h.Get("Access-Control-Allow-Credentials"))
			}
			if tc.wantPreflightHeaders {
				assert.Equal(t, "GET, POST, OPTIONS", h.Get("Access-Control-Allow-Methods"))
				assert.Equal(t, "Authorization, Content-Type", h.Get("Access-Control-Allow-Headers"))
				assert.Equal(t, "600", h.Get("Access-Control-Max-Age"))
			} else {
				assert.Empty(t, h.Get("Access-Control-Allow-Methods"))
				assert.Empty(t, h.Get("Access-Control-Allow-Headers"))
			}
			if tc.wantOrigin != "" && !tc.wantPreflightHeaders {
				assert.Equal(t, "X-Request-Id", h.Get("Access-Control-Expose-Headers"))
			}
		})
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
	newCORS(nil)(next).ServeHTTP(w, r)
	assert.Equal(t, http.StatusTeapot, w.Code)
	assert.Empty(t, w.Header())
}
