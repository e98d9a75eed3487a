package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

func TestRouter(t *testing.T) {
	clerk := clerkauthtest.NewIssuer()
	defer clerk.Close()
	keys, err := jwks.ParsePEM(clerk.PEM())
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: clerk.Issuer()})
	if err != nil {
		t.Fatal(err)
	}
	h := newRouter(verifier)
	admin := clerk.Token().Org("org_a", "a", "admin", "org:projects:create").Sign()
	member := clerk.Token().Org("org_a", "a", "member").Sign()

	for _, tc := range []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/healthz", "", 200},
		{"GET", "/api/me", "", 401},
		{"GET", "/api/me", member, 200},
		{"GET", "/api/orgs/org_a/projects", member, 200},
		{"GET", "/api/orgs/org_b/projects", member, 404},
		{"POST", "/api/orgs/org_a/projects", admin, 201},
		{"POST", "/api/orgs/org_a/projects", member, 403},
		{"DELETE", "/api/orgs/org_a/", admin, 204},
		{"DELETE", "/api/orgs/org_a/", member, 403},
		{"DELETE", "/api/orgs/org_b/", admin, 404},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s %s: %d, want %d (%s)", tc.method, tc.path, rec.Code, tc.want, rec.Body)
		}
	}
}

// Every refusal, the router's 404 and 405 included, has authkit's one body shape.
func TestRefusals(t *testing.T) {
	clerk := clerkauthtest.NewIssuer()
	defer clerk.Close()
	keys, err := jwks.ParsePEM(clerk.PEM())
	require.NoError(t, err)
	verifier, err := clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: clerk.Issuer()})
	require.NoError(t, err)
	h := newRouter(verifier)
	noOrg := clerk.Token().Sign()
	member := clerk.Token().Org("org_a", "a", "member").Sign()

	for _, tc := range []struct {
		method, path, token string
		status              int
		code, allow         string
	}{
		{"GET", "/nothing", "", 404, "not_found", ""},
		{"PUT", "/healthz", "", 405, "method_not_allowed", "GET"},
		{"PUT", "/api/orgs/org_a/projects", member, 405, "method_not_allowed", "GET, POST"},
		{"GET", "/api/me", "", 401, "unauthorized", ""},
		{"GET", "/api/orgs/org_b/projects", member, 404, "not_found", ""},
		{"POST", "/api/orgs/org_a/projects", member, 403, "insufficient_scope", ""},
		{"GET", "/api/orgs/org_a/projects", noOrg, 403, "insufficient_scope", ""},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		name := tc.method + " " + tc.path
		require.Equal(t, tc.status, rec.Code, name)
		assert.Equal(t, "application/json", rec.Header().Get("Content-Type"), name)
		assert.Equal(t, tc.allow, rec.Header().Get("Allow"), name)
		var body map[string]string
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), name)
		assert.Len(t, body, 2, name)
		assert.Equal(t, tc.code, body["error"], name)
	}
}

// listProjects refuses a request without an active organization (the guards in front of
// it in newRouter make that impossible; a route without them would not).
func TestListProjectsWithoutOrg(t *testing.T) {
	rec := httptest.NewRecorder()
	listProjects(rec, httptest.NewRequest("GET", "/", nil))
	require.Equal(t, http.StatusForbidden, rec.Code)
	assert.JSONEq(t, `{"error":"insufficient_scope","detail":"an active organization is required"}`, rec.Body.String())
}
