package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every refusal of the server, whoever writes it (the server's routing, the dev
// endpoints, clerkauth's middleware, the orgctx guards, the webhook handler), has the
// module's one shape: a JSON body of exactly "error" (the code) and "detail", not cached.
// The health check's 503 is a status report, not a refusal (see healthHandler).
func TestRefusalsHaveOneShape(t *testing.T) {
	a, _, _ := newDevApp(t, nil)
	token, _, err := a.dev.mint(devTokenRequest{UserID: "user_refused"}, time.Now())
	require.NoError(t, err)
	const local = "127.0.0.1:50000"
	jsonType := http.Header{"Content-Type": {"application/json"}}
	for _, tc := range []struct {
		name, method, path, remote, body string
		header                           http.Header
		status                           int
		code                             string
	}{
		{"no route", "GET", "/nothing", local, "", nil, 404, "not_found"},
		{"no route, outside the API", "GET", "/dev/nothing", local, "", nil, 404, "not_found"},
		{"another method", "DELETE", "/api/auth_core/me/", local, "", nil, 405, "method_not_allowed"},
		{"no credentials", "GET", "/api/auth_core/me/", local, "", nil, 401, "unauthorized"},
		{"a bad token", "GET", "/api/auth_core/me/", local, "", http.Header{"Authorization": {"Bearer x.y.z"}}, 401, "invalid_token"},
		{"two credentials", "GET", "/api/auth_core/me/", local, "", http.Header{"Authorization": {"Bearer a", "Bearer b"}}, 400, "invalid_request"},
		{"no active organization", "GET", "/api/auth_core/orgs/org_1/members/", local, "",
			http.Header{"Authorization": {"Bearer " + token}}, 403, "insufficient_scope"},
		{"dev: a bad request", "POST", "/dev/token", local, `{"lifetime_seconds":-1}`, jsonType, 400, "invalid_request"},
		{"dev: not JSON", "POST", "/dev/token", local, `{}`, http.Header{"Content-Type": {"text/plain"}}, 415, "invalid_request"},
		{"dev: another machine", "POST", "/dev/token", "203.0.113.7:40000", `{}`, jsonType, 403, "access_denied"},
		{"webhook: GET", "GET", devWebhookPath, local, "", nil, 405, "method_not_allowed"},
		{"webhook: unsigned", "POST", devWebhookPath, local, `{"type":"user.created","data":{}}`, jsonType, 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			r.RemoteAddr, r.Host = tc.remote, "127.0.0.1:8000"
			for k, v := range tc.header {
				r.Header[k] = v
			}
			w := httptest.NewRecorder()
			a.Handler().ServeHTTP(w, r)
			require.Equal(t, tc.status, w.Code, "%s", w.Body)
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			var body map[string]string
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), "%s", w.Body)
			assert.Len(t, body, 2, "%s", w.Body)
			assert.Equal(t, tc.code, body["error"])
			assert.NotEmpty(t, body["detail"])
			if tc.status == http.StatusUnauthorized {
				assert.True(t, strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer "))
			}
			if tc.status == http.StatusMethodNotAllowed {
				assert.NotEmpty(t, w.Header().Get("Allow"))
			}
		})
	}
}
