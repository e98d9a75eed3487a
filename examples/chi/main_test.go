package main

import (
	"net/http/httptest"
	"testing"

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
