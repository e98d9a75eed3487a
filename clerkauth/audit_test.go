package clerkauth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/audit/audittest"
	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/orgctx"
)

func TestAuditRecordsIdentityAndReasons(t *testing.T) {
	f := newFixture(t, func(c *clerkauth.Config) { c.Machine = &fakeMachine{} })
	rec := &audittest.Recorder{}
	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.Handle("GET /orgs/{org_id}/admin", orgctx.RequireOrgParam("org_id")(orgctx.RequireAnyRole("admin")(ok)))
	mux.Handle("GET /me", ok)
	auditor, err := audit.New(audit.Config{Sink: rec})
	require.NoError(t, err)
	h := auditor.Handler(f.v.Middleware(clerkauth.Optional(), clerkauth.Accept(clerkauth.KindSession, clerkauth.KindAPIKey))(audit.CaptureRoute(mux)))
	do := func(path, auth string) audit.Record {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		last, found := rec.Last()
		require.True(t, found)
		return last
	}

	good := f.iss.Token().User("user_1").Session("sess_1").Org("org_1", "acme", "admin").Sign()
	r := do("/me", "Bearer "+good)
	require.Equal(t, audit.AuthSuccess, r.AuthOutcome)
	require.Equal(t, "user_1", r.UserID)
	require.Equal(t, "sess_1", r.SessionID)
	require.Equal(t, "org_1", r.OrgID)
	require.Equal(t, "org:admin", r.OrgRole)
	require.Equal(t, "session_token", r.PrincipalKind)
	require.Equal(t, "GET /me", r.Route)
	require.Equal(t, http.StatusNoContent, r.Status)

	expired := f.iss.Token().KeyID("ins_secret_kid").ExpiresAt(testNow.Add(-time.Hour)).Sign()
	r = do("/me", "Bearer "+expired)
	require.Equal(t, audit.AuthFailure, r.AuthOutcome)
	require.Equal(t, "jwks: no key with the token's kid", r.AuthFailure, "the sentinel's text only")
	require.Equal(t, http.StatusUnauthorized, r.Status)
	r = do("/me", "Bearer "+f.iss.Token().ExpiresAt(testNow.Add(-time.Hour)).Sign())
	require.Equal(t, "clerkauth: token expired", r.AuthFailure)

	r = do("/me", "")
	require.Equal(t, audit.AuthAnonymous, r.AuthOutcome)

	r = do("/me", "Bearer ak_good")
	require.Equal(t, audit.AuthSuccess, r.AuthOutcome)
	require.Equal(t, "api_key", r.PrincipalKind)
	require.Equal(t, "user_1", r.UserID)

	r = do("/orgs/org_2/admin", "Bearer "+good)
	require.Equal(t, http.StatusNotFound, r.Status)
	require.Equal(t, audit.AuthFailure, r.AuthOutcome)
	require.Equal(t, "orgctx: not the active organization", r.AuthFailure)
	require.Equal(t, "user_1", r.UserID, "who was refused stays in the record")

	member := f.iss.Token().Org("org_1", "acme", "member").Sign()
	r = do("/orgs/org_1/admin", "Bearer "+member)
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Equal(t, "orgctx: role not allowed", r.AuthFailure)

	// No token ever reaches the sink.
	all, err := json.Marshal(rec.Maps())
	require.NoError(t, err)
	for _, tok := range []string{good, expired, member} {
		require.False(t, strings.Contains(string(all), tok[len(tok)-30:]))
	}
	require.NotContains(t, string(all), "ak_good")
}

func TestAuditNamesWhoAStoreRefused(t *testing.T) {
	revs := &fakeRevocations{revoked: map[string]bool{"sess_revoked": true}}
	users := newFakeUsers()
	users.users["user_gone"] = store.User{ID: "user_gone", DeletedAt: testNow}
	f := newFixture(t, func(c *clerkauth.Config) { c.Revocations = revs; c.Users = users })
	rec := &audittest.Recorder{}
	auditor, err := audit.New(audit.Config{Sink: rec})
	require.NoError(t, err)
	h := auditor.Handler(f.v.Middleware()(http.NotFoundHandler()))
	for _, tc := range []struct {
		token, user, session, reason string
		status                       int
	}{
		{f.iss.Token().User("user_gone").Session("sess_1").Sign(), "user_gone", "sess_1", "clerkauth: user deactivated", http.StatusForbidden},
		{f.iss.Token().User("user_2").Session("sess_revoked").Sign(), "user_2", "sess_revoked", "clerkauth: session revoked", http.StatusUnauthorized},
	} {
		h.ServeHTTP(httptest.NewRecorder(), bearer(tc.token))
		r, ok := rec.Last()
		require.True(t, ok)
		require.Equal(t, tc.status, r.Status)
		require.Equal(t, audit.AuthFailure, r.AuthOutcome)
		require.Equal(t, tc.reason, r.AuthFailure)
		require.Equal(t, tc.user, r.UserID, "the record says who was refused")
		require.Equal(t, tc.session, r.SessionID)
	}
}
