package clerkauth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
	"github.com/unioneyes/authkit/orgctx"
)

func TestMiddlewareHTTPLayer(t *testing.T) {
	f := newFixture(t, nil)
	good := f.iss.Token().User("user_good").Sign()
	other := f.iss.Token().User("user_cookie").Sign()
	const bare = `Bearer realm="api"`
	const invalidToken = `Bearer realm="api", error="invalid_token"`
	const invalidRequest = `Bearer realm="api", error="invalid_request"`

	for _, tc := range []struct {
		name      string
		req       func() *http.Request
		opts      []clerkauth.MiddlewareOption
		status    int
		challenge string
		body      string
	}{
		{name: "H1 no credentials", req: get, status: 401, challenge: bare},
		{name: "H2 Bearer", req: withAuth("Bearer " + good), status: 200, body: "user_good"},
		{name: "H2 bearer", req: withAuth("bearer " + good), status: 200, body: "user_good"},
		{name: "H2 BEARER", req: withAuth("BEARER " + good), status: 200, body: "user_good"},
		{name: "H3 two spaces", req: withAuth("Bearer  " + good), status: 200, body: "user_good"},
		{name: "H4 tab", req: withAuth("Bearer\t" + good), status: 400, challenge: invalidRequest},
		{name: "H4 trailing space", req: withAuth("Bearer " + good + " "), status: 400, challenge: invalidRequest},
		{name: "H4 junk after the token", req: withAuth("Bearer " + good + " junk"), status: 400, challenge: invalidRequest},
		{name: "H4 scheme only", req: withAuth("Bearer"), status: 400, challenge: invalidRequest},
		{name: "H4 scheme and spaces", req: withAuth("Bearer   "), status: 400, challenge: invalidRequest},
		{name: "H4 empty header", req: withAuth(""), status: 400, challenge: invalidRequest},
		{name: "H5 Basic", req: withAuth("Basic dXNlcjpwYXNz"), status: 401, challenge: bare},
		{name: "H5 Basic (a proxy's) with a session cookie", req: func() *http.Request {
			r := withAuth("Basic dXNlcjpwYXNz")()
			r.AddCookie(&http.Cookie{Name: "__session", Value: other})
			return r
		}, status: 200, body: "user_cookie"},
		{name: "H5 Basic with a bad session cookie", req: func() *http.Request {
			r := withAuth("Basic dXNlcjpwYXNz")()
			r.AddCookie(&http.Cookie{Name: "__session", Value: "bad.bad.bad"})
			return r
		}, status: 401, challenge: invalidToken},
		{name: "H14 optional: Basic is anonymous", opts: []clerkauth.MiddlewareOption{clerkauth.Optional()},
			req: withAuth("Basic dXNlcjpwYXNz"), status: 200, body: "anonymous"},
		{name: "H5 a bare token without a scheme", req: withAuth(good), status: 401, challenge: bare},
		{name: "H5 Token scheme", req: withAuth("Token " + good), status: 401, challenge: bare},
		{name: "H6 two Authorization headers", req: func() *http.Request {
			r := get()
			r.Header.Add("Authorization", "Bearer "+good)
			r.Header.Add("Authorization", "Bearer "+good)
			return r
		}, status: 400, challenge: invalidRequest},
		{name: "H7 access_token in the query is never read", req: func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/api/thing?access_token="+good, nil)
		}, status: 401, challenge: bare},
		{name: "H8 header wins over the cookie", req: func() *http.Request {
			r := withAuth("Bearer " + good)()
			r.AddCookie(&http.Cookie{Name: "__session", Value: other})
			return r
		}, status: 200, body: "user_good"},
		{name: "H8 a bad header is not rescued by a good cookie", req: func() *http.Request {
			r := withAuth("Bearer garbage.garbage.garbage")()
			r.AddCookie(&http.Cookie{Name: "__session", Value: other})
			return r
		}, status: 401, challenge: invalidToken},
		{name: "cookie only", req: withCookie("__session", other), status: 200, body: "user_cookie"},
		{name: "two different session cookies", req: func() *http.Request {
			r := withCookie("__session", other)()
			r.AddCookie(&http.Cookie{Name: "__session", Value: good})
			return r
		}, status: 400, challenge: invalidRequest},
		{name: "the same session cookie twice", req: func() *http.Request {
			r := withCookie("__session", other)()
			r.AddCookie(&http.Cookie{Name: "__session", Value: other})
			return r
		}, status: 200, body: "user_cookie"},
		{name: "empty session cookie", req: withCookie("__session", ""), status: 401, challenge: bare},
		{name: "another cookie name", opts: []clerkauth.MiddlewareOption{clerkauth.WithCookie("__session_app")},
			req: withCookie("__session_app", other), status: 200, body: "user_cookie"},
		{name: "cookies disabled", opts: []clerkauth.MiddlewareOption{clerkauth.WithCookie("")},
			req: withCookie("__session", other), status: 401, challenge: bare},
		{name: "H9 a token over the size limit", req: withAuth("Bearer " + strings.Repeat("a", 9000) + ".b.c"), status: 400, challenge: invalidRequest},
		{name: "H10 expired", req: withAuth("Bearer " + f.iss.Token().ExpiresAt(testNow.Add(-time.Hour)).Sign()), status: 401, challenge: invalidToken},
		{name: "H12 preflight is authenticated by default", req: preflight, status: 401, challenge: bare},
		{name: "H12 preflight skipped when asked", opts: []clerkauth.MiddlewareOption{clerkauth.SkipPreflight()},
			req: preflight, status: 200, body: "anonymous"},
		{name: "H12 a plain OPTIONS is still authenticated", opts: []clerkauth.MiddlewareOption{clerkauth.SkipPreflight()},
			req: func() *http.Request { return httptest.NewRequest(http.MethodOptions, "/x", nil) }, status: 401, challenge: bare},
		{name: "H12 an OPTIONS with Origin only is still authenticated", opts: []clerkauth.MiddlewareOption{clerkauth.SkipPreflight()},
			req: func() *http.Request { r := preflight(); r.Header.Del("Access-Control-Request-Method"); return r }, status: 401, challenge: bare},
		{name: "H12 an OPTIONS without Origin is still authenticated", opts: []clerkauth.MiddlewareOption{clerkauth.SkipPreflight()},
			req: func() *http.Request { r := preflight(); r.Header.Del("Origin"); return r }, status: 401, challenge: bare},
		{name: "H12 a GET with preflight headers is still authenticated", opts: []clerkauth.MiddlewareOption{clerkauth.SkipPreflight()},
			req: func() *http.Request { r := preflight(); r.Method = http.MethodGet; return r }, status: 401, challenge: bare},
		{name: "H12 a skipped preflight carries no session, even with a token", opts: []clerkauth.MiddlewareOption{clerkauth.SkipPreflight()},
			req: func() *http.Request { r := preflight(); r.Header.Set("Authorization", "Bearer "+good); return r }, status: 200, body: "anonymous"},
		{name: "H14 optional: anonymous", opts: []clerkauth.MiddlewareOption{clerkauth.Optional()}, req: get, status: 200, body: "anonymous"},
		{name: "H14 optional: a bad token is still refused", opts: []clerkauth.MiddlewareOption{clerkauth.Optional()},
			req: withAuth("Bearer " + f.iss.Token().ExpiresAt(testNow.Add(-time.Hour)).Sign()), status: 401, challenge: invalidToken},
		{name: "H14 optional: malformed header refused", opts: []clerkauth.MiddlewareOption{clerkauth.Optional()},
			req: withAuth("Bearer"), status: 400, challenge: invalidRequest},
		{name: "H14 optional: a valid token", opts: []clerkauth.MiddlewareOption{clerkauth.Optional()},
			req: withAuth("Bearer " + good), status: 200, body: "user_good"},
		{name: "realm", opts: []clerkauth.MiddlewareOption{clerkauth.WithRealm("example")}, req: get, status: 401, challenge: `Bearer realm="example"`},
		{name: "a realm with a quote falls back", opts: []clerkauth.MiddlewareOption{clerkauth.WithRealm(`a"b`)}, req: get, status: 401, challenge: bare},
		{name: "custom extractor", opts: []clerkauth.MiddlewareOption{clerkauth.WithExtractor(func(r *http.Request) (string, error) {
			if v := r.Header.Get("X-Session"); v != "" {
				return v, nil
			}
			return "", clerkauth.ErrTokenMissing
		})}, req: func() *http.Request { r := get(); r.Header.Set("X-Session", good); return r }, status: 200, body: "user_good"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.serve(tc.req(), tc.opts...)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			require.Equal(t, tc.challenge, rec.Header().Get("WWW-Authenticate"))
			if tc.body != "" {
				require.Equal(t, tc.body, rec.Body.String())
			}
			if tc.status >= 400 {
				require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
				require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
				requireNoLeak(t, rec.Body.String(), good)
				requireNoLeak(t, rec.Body.String(), other)
			}
		})
	}
}

func get() *http.Request { return httptest.NewRequest(http.MethodGet, "/api/thing", nil) }

func withAuth(v string) func() *http.Request {
	return func() *http.Request {
		r := get()
		r.Header["Authorization"] = []string{v}
		return r
	}
}

func withCookie(name, value string) func() *http.Request {
	return func() *http.Request {
		r := get()
		r.AddCookie(&http.Cookie{Name: name, Value: value})
		return r
	}
}

func preflight() *http.Request {
	r := httptest.NewRequest(http.MethodOptions, "/api/thing", nil)
	r.Header.Set("Origin", testOrigin)
	r.Header.Set("Access-Control-Request-Method", "POST")
	return r
}

func TestMiddlewarePutsSessionAndOrgInContext(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.iss.Token().User("user_1").Org("org_1", "acme", "admin", "org:posts:read").Sign()
	var got *clerkauth.Session
	var org orgctx.Org
	h := f.v.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = clerkauth.SessionFromContext(r.Context())
		org, _ = orgctx.FromContext(r.Context())
	}))
	h.ServeHTTP(httptest.NewRecorder(), bearer(tok))
	require.Equal(t, "user_1", got.UserID)
	require.Equal(t, orgctx.Org{ID: "org_1", Slug: "acme", Role: "org:admin", Permissions: []string{"org:posts:read"}}, org)
	require.Equal(t, got.Org, org)
}

func TestMiddlewareKeysUnavailableIs503(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	iss.SetDown(true)
	remote, err := jwks.NewRemote(t.Context(), jwks.RemoteConfig{URL: iss.JWKSURL(), Logger: discardLogger()})
	require.NoError(t, err)
	defer remote.Close()
	f := fixtureFor(t, iss, func(c *clerkauth.Config) { c.Keys = remote })
	rec := f.serve(bearer(iss.Token().Sign()))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Equal(t, "5", rec.Header().Get("Retry-After"))
	require.Empty(t, rec.Header().Get("WWW-Authenticate"))
	require.JSONEq(t, `{"error":"temporarily_unavailable","detail":"authentication temporarily unavailable"}`, rec.Body.String())
}

func TestMiddlewareErrorHandlerGetsTheTypedError(t *testing.T) {
	f := newFixture(t, nil)
	var got error
	h := f.v.Middleware(clerkauth.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		http.Error(w, "custom", http.StatusTeapot)
	}))(http.NotFoundHandler())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, bearer(f.iss.Token().ExpiresAt(testNow.Add(-time.Hour)).Sign()))
	require.Equal(t, http.StatusTeapot, rec.Code)
	require.ErrorIs(t, got, clerkauth.ErrTokenExpired)
	require.Equal(t, "clerkauth: token expired", clerkauth.Reason(got))
}

func TestReason(t *testing.T) {
	require.Equal(t, "", clerkauth.Reason(nil))
	require.Equal(t, "clerkauth: verification failed", clerkauth.Reason(errors.New("something")))
	f := newFixture(t, nil)
	_, err := f.verify(t, f.iss.Token().KeyID("ins_secret_kid_value").Sign())
	require.Equal(t, "jwks: no key with the token's kid", clerkauth.Reason(err))
	require.Contains(t, err.Error(), "ins_secret_kid_value", "the full error has the detail")
	_, err = clerkauth.BearerToken(withAuth("Bearer")())
	require.Equal(t, "clerkauth: malformed Authorization header", clerkauth.Reason(err))
	_, err = f.verify(t, strings.Repeat("a", 9000))
	require.Equal(t, "clerkauth: token too large", clerkauth.Reason(err))
}

func TestGuardsAfterTheMiddleware(t *testing.T) {
	f := newFixture(t, nil)
	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.Handle("GET /orgs/{org_id}/admin", orgctx.RequireOrgParam("org_id")(orgctx.RequireAnyRole("admin")(ok)))
	mux.Handle("GET /posts", orgctx.RequireAllPermissions("org:posts:read")(ok))
	h := f.v.Middleware(clerkauth.Optional())(mux)
	do := func(path, tok string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if tok != "" {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	admin := f.iss.Token().Org("org_a", "a", "admin", "org:posts:read").Sign()
	member := f.iss.Token().Org("org_a", "a", "member").Sign()
	noOrg := f.iss.Token().Sign()

	require.Equal(t, http.StatusNoContent, do("/orgs/org_a/admin", admin).Code)
	rec := do("/orgs/org_b/admin", admin)
	require.Equal(t, http.StatusNotFound, rec.Code, "another organization's id: not found, not forbidden")
	require.Empty(t, rec.Header().Get("WWW-Authenticate"))
	rec = do("/orgs/org_a/admin", member)
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Equal(t, `Bearer realm="api", error="insufficient_scope"`, rec.Header().Get("WWW-Authenticate"))
	require.Equal(t, http.StatusForbidden, do("/orgs/org_a/admin", noOrg).Code)
	rec = do("/orgs/org_a/admin", "")
	require.Equal(t, http.StatusUnauthorized, rec.Code, "anonymous (optional middleware)")
	require.Equal(t, `Bearer realm="api"`, rec.Header().Get("WWW-Authenticate"))
	require.Equal(t, http.StatusNoContent, do("/posts", admin).Code)
	require.Equal(t, http.StatusForbidden, do("/posts", member).Code, "H11 missing permission")
}

// The realm and the error handler configured on the middleware reach the refusals of the
// guards downstream of it: orgctx's, RequireScope and RequireReverification, for a
// session and for an anonymous request of an optional route.
func TestMiddlewareSettingsReachTheGuards(t *testing.T) {
	f := newFixture(t, nil)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux := http.NewServeMux()
	mux.Handle("GET /admin", orgctx.RequireAnyRole("admin")(ok))
	mux.Handle("GET /org", orgctx.RequireOrg(ok))
	mux.Handle("GET /scoped", clerkauth.RequireScope("read")(ok))
	mux.Handle("GET /sensitive", clerkauth.RequireReverification(clerkauth.ReverificationStrict)(ok))
	member := f.iss.Token().Org("org_a", "a", "member").Sign()
	do := func(h http.Handler, path, tok string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if tok != "" {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}

	realm := f.v.Middleware(clerkauth.Optional(), clerkauth.WithRealm("example"))(mux)
	for _, tc := range []struct {
		path, tok, challenge string
		status               int
	}{
		{"/admin", member, `Bearer realm="example", error="insufficient_scope"`, 403},
		{"/admin", "", `Bearer realm="example"`, 401},
		{"/org", "", `Bearer realm="example"`, 401},
		{"/scoped", member, `Bearer realm="example", error="insufficient_scope"`, 403},
		{"/scoped", "", `Bearer realm="example"`, 401},
		{"/sensitive", "", `Bearer realm="example"`, 401},
	} {
		rec := do(realm, tc.path, tc.tok)
		require.Equal(t, tc.status, rec.Code, tc.path)
		require.Equal(t, tc.challenge, rec.Header().Get("WWW-Authenticate"), "%s with a token: %t", tc.path, tc.tok != "")
	}

	var got []error
	handler := f.v.Middleware(clerkauth.Optional(), clerkauth.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
		got = append(got, err)
		w.WriteHeader(http.StatusTeapot)
	}))(mux)
	for _, tc := range []struct {
		path, tok string
		want      error
	}{
		{"/admin", member, orgctx.ErrRole},
		{"/admin", "", orgctx.ErrUnauthenticated},
		{"/scoped", member, clerkauth.ErrScope},
		{"/scoped", "", clerkauth.ErrTokenMissing},
		{"/sensitive", "", clerkauth.ErrTokenMissing},
	} {
		got = nil
		rec := do(handler, tc.path, tc.tok)
		require.Equal(t, http.StatusTeapot, rec.Code, tc.path)
		require.Len(t, got, 1, tc.path)
		require.ErrorIs(t, got[0], tc.want, tc.path)
	}
}
