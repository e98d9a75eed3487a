package clerkauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/unioneyes/authkit/orgctx"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
)

// fakeMachine accepts "ak_good", "mt_good" and "svc_good", refuses the rest of their
// kinds, and counts calls.
type fakeMachine struct{ calls atomic.Int64 }

func (f *fakeMachine) VerifyMachineToken(ctx context.Context, token string) (*clerkauth.Principal, error) {
	f.calls.Add(1)
	switch token {
	case "ak_good":
		return &clerkauth.Principal{Kind: clerkauth.KindAPIKey, ID: "ak_1", Subject: "user_1", Scopes: []string{"posts:read"}}, nil
	case "mt_good":
		return &clerkauth.Principal{Kind: clerkauth.KindM2MToken, ID: "mt_1", Subject: "mch_1", Scopes: []string{"mch_2"}}, nil
	case "svc_good":
		return &clerkauth.Principal{Kind: clerkauth.KindServiceAccount, ID: "billing", Subject: "billing", Scopes: []string{"posts:read", "posts:write"}}, nil
	case "ak_down":
		return nil, clerkauth.ErrBackendAPI
	case "ak_liar":
		return &clerkauth.Principal{Kind: clerkauth.KindOAuthToken}, nil
	}
	return nil, clerkauth.ErrMachineTokenInvalid
}

func TestMachineCredentials(t *testing.T) {
	machine := &fakeMachine{}
	f := newFixture(t, func(c *clerkauth.Config) { c.Machine = machine })
	session := f.iss.Token().User("user_s").Sign()
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := clerkauth.PrincipalFromContext(r.Context())
		if !ok {
			http.Error(w, "no principal", 500)
			return
		}
		_, _ = w.Write([]byte(string(p.Kind) + " " + p.Subject))
	})
	both := f.v.Middleware(clerkauth.Accept(clerkauth.KindSession, clerkauth.KindAPIKey, clerkauth.KindServiceAccount))(echo)
	sessionsOnly := f.v.Middleware()(echo)
	machinesOnly := f.v.Middleware(clerkauth.Accept(clerkauth.KindM2MToken))(echo)
	do := func(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}

	for _, tc := range []struct {
		name   string
		h      http.Handler
		req    *http.Request
		status int
		body   string
	}{
		{"session on a mixed route", both, bearer(session), 200, "session_token user_s"},
		{"api key on a mixed route", both, bearer("ak_good"), 200, "api_key user_1"},
		{"service account on a mixed route", both, bearer("svc_good"), 200, "service_account billing"},
		{"unknown api key", both, bearer("ak_bad"), 401, ""},
		{"unknown service key", both, bearer("svc_bad"), 401, ""},
		{"Backend API down", both, bearer("ak_down"), 503, ""},
		{"a verifier returning another kind", both, bearer("ak_liar"), 401, ""},
		{"api key on a sessions-only route", sessionsOnly, bearer("ak_good"), 401, ""},
		{"m2m token on a route without m2m", both, bearer("mt_good"), 401, ""},
		{"m2m token on an m2m route", machinesOnly, bearer("mt_good"), 200, "m2m_token mch_1"},
		{"session on an m2m-only route", machinesOnly, bearer(session), 401, ""},
		{"api key in the session cookie", both, withCookie("__session", "ak_good")(), 401, ""},
		{"service key in the session cookie", both, withCookie("__session", "svc_good")(), 401, ""},
		{"session in the cookie", both, withCookie("__session", session)(), 200, "session_token user_s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(tc.h, tc.req)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			if tc.body != "" {
				require.Equal(t, tc.body, rec.Body.String())
			}
			if tc.status == 401 {
				require.Equal(t, `Bearer realm="api", error="invalid_token"`, rec.Header().Get("WWW-Authenticate"))
				require.NotContains(t, rec.Body.String(), "good")
			}
		})
	}

	// Kinds the route does not take are refused before anything is verified.
	calls := machine.calls.Load()
	do(sessionsOnly, bearer("ak_good"))
	do(both, withCookie("__session", "ak_good")())
	require.Equal(t, calls, machine.calls.Load())

	// Without Config.Machine every machine credential is refused.
	plain := newFixture(t, nil)
	rec := do(plain.v.Middleware(clerkauth.Accept(clerkauth.KindAPIKey))(echo), bearer("ak_good"))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
}

func TestRequireScope(t *testing.T) {
	f := newFixture(t, func(c *clerkauth.Config) { c.Machine = &fakeMachine{} })
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mw := f.v.Middleware(clerkauth.Accept(clerkauth.KindSession, clerkauth.KindAPIKey, clerkauth.KindServiceAccount))
	write := mw(clerkauth.RequireScope("posts:read", "posts:write")(ok))
	read := mw(clerkauth.RequireScope("posts:read")(ok))
	none := mw(clerkauth.RequireScope()(ok))
	do := func(h http.Handler, tok string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, bearer(tok))
		return rec
	}
	require.Equal(t, http.StatusNoContent, do(write, "svc_good").Code)
	require.Equal(t, http.StatusNoContent, do(read, "ak_good").Code)
	rec := do(write, "ak_good")
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Equal(t, `Bearer realm="api", error="insufficient_scope"`, rec.Header().Get("WWW-Authenticate"))
	require.Equal(t, http.StatusForbidden, do(read, f.iss.Token().Sign()).Code, "a session has no scopes")
	require.Equal(t, http.StatusForbidden, do(none, "svc_good").Code, "no scopes: fail closed")

	rec = httptest.NewRecorder()
	clerkauth.RequireScope("x")(ok).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
}

func TestPrincipalOfASession(t *testing.T) {
	f := newFixture(t, nil)
	var p *clerkauth.Principal
	h := f.v.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ = clerkauth.PrincipalFromContext(r.Context())
	}))
	h.ServeHTTP(httptest.NewRecorder(), bearer(f.iss.Token().User("user_1").Session("sess_1").Sign()))
	require.Equal(t, clerkauth.KindSession, p.Kind)
	require.Equal(t, "sess_1", p.ID)
	require.Equal(t, "user_1", p.Subject)
	require.Equal(t, "user_1", p.Session.UserID)
	require.False(t, p.HasScope("anything"))
	_, ok := clerkauth.PrincipalFromContext(t.Context())
	require.False(t, ok)
}

func TestMachineOnlyVerifier(t *testing.T) {
	v, err := clerkauth.NewVerifier(clerkauth.Config{Machine: &fakeMachine{}})
	require.NoError(t, err)
	h := v.Middleware(clerkauth.Accept(clerkauth.KindSession, clerkauth.KindAPIKey))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, bearer("ak_good"))
	require.Equal(t, http.StatusNoContent, rec.Code)

	f := newFixture(t, nil)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, bearer(f.iss.Token().Sign()))
	require.Equal(t, http.StatusUnauthorized, rec.Code, "no session keys: session tokens are refused")
	_, err = v.Verify(t.Context(), f.iss.Token().Sign())
	require.ErrorIs(t, err, clerkauth.ErrKindNotAccepted)

	_, err = clerkauth.NewVerifier(clerkauth.Config{Machine: &fakeMachine{}, Issuer: "https://clerk.example.com"})
	require.ErrorIs(t, err, clerkauth.ErrInvalidConfig, "an issuer without keys is a mistake")
}

func TestMachinePrincipalsMeetOrgGuardsWith403(t *testing.T) {
	f := newFixture(t, func(c *clerkauth.Config) { c.Machine = &fakeMachine{} })
	h := f.v.Middleware(clerkauth.Accept(clerkauth.KindAPIKey))(orgctx.RequireOrg(http.NotFoundHandler()))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, bearer("ak_good"))
	require.Equal(t, http.StatusForbidden, rec.Code, "authenticated, without an active organization")
}
