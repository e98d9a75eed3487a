package orgctx_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/orgctx"
)

var acme = orgctx.Org{ID: "org_acme", Slug: "acme", Role: "org:admin", Permissions: []string{"org:posts:read", "org:posts:write"}}

func TestContext(t *testing.T) {
	ctx := context.Background()
	_, ok := orgctx.FromContext(ctx)
	require.False(t, ok)
	require.False(t, orgctx.Authenticated(ctx))
	_, err := orgctx.OrgID(ctx)
	require.ErrorIs(t, err, orgctx.ErrNoOrg)
	require.False(t, orgctx.Owns(ctx, "org_acme"))

	none := orgctx.NewContext(ctx, orgctx.Org{})
	require.True(t, orgctx.Authenticated(none))
	_, ok = orgctx.FromContext(none)
	require.False(t, ok)
	id, err := orgctx.OrgID(none)
	require.ErrorIs(t, err, orgctx.ErrNoOrg)
	require.Empty(t, id)
	require.False(t, orgctx.Owns(none, ""), "no org owns the empty id")

	a := orgctx.NewContext(ctx, acme)
	got, ok := orgctx.FromContext(a)
	require.True(t, ok)
	require.Equal(t, acme, got)
	id, err = orgctx.OrgID(a)
	require.NoError(t, err)
	require.Equal(t, "org_acme", id)
	require.True(t, orgctx.Owns(a, "org_acme"))
	require.False(t, orgctx.Owns(a, "org_other"))
	require.False(t, orgctx.Owns(a, ""))
}

func TestOrgChecks(t *testing.T) {
	require.True(t, acme.HasRole("admin"))
	require.True(t, acme.HasRole("org:admin"))
	require.False(t, acme.HasRole("member"))
	require.False(t, acme.HasRole(""))
	require.True(t, acme.HasAnyRole("member", "admin"))
	require.False(t, acme.HasAnyRole())
	require.True(t, acme.HasPermission("org:posts:read"))
	require.False(t, acme.HasPermission("org:posts:delete"))
	require.True(t, acme.HasAllPermissions("org:posts:read", "org:posts:write"))
	require.False(t, acme.HasAllPermissions("org:posts:read", "org:posts:delete"))
	require.True(t, acme.HasAnyPermission("org:posts:delete", "org:posts:write"))
	require.False(t, acme.HasAnyPermission())
	var none orgctx.Org
	require.False(t, none.HasRole(""))
	require.False(t, none.HasAllPermissions(), "no active org: nothing is granted")
	require.Equal(t, "org:admin", orgctx.NormalizeRole("admin"))
	require.Equal(t, "org:admin", orgctx.NormalizeRole("org:admin"))
	require.Equal(t, "", orgctx.NormalizeRole(""))
}

// serve runs a request carrying ctxOrg (nil: unauthenticated) through h.
func serve(h http.Handler, path string, ctxOrg *orgctx.Org) *httptest.ResponseRecorder {
	mux := http.NewServeMux()
	mux.Handle("/orgs/{org_id}/x", h)
	mux.Handle("/other/{id}", h)
	mux.Handle("/", h)
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if ctxOrg != nil {
		r = r.WithContext(orgctx.NewContext(r.Context(), *ctxOrg))
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, r)
	return rec
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })

func TestGuards(t *testing.T) {
	noOrg := orgctx.Org{}
	member := orgctx.Org{ID: "org_acme", Role: "org:member", Permissions: []string{"org:posts:read"}}
	const forbidden = `Bearer realm="api", error="insufficient_scope"`
	for _, tc := range []struct {
		name      string
		guard     http.Handler
		path      string
		org       *orgctx.Org
		status    int
		challenge string
	}{
		{"RequireOrg: unauthenticated", orgctx.RequireOrg(ok), "/", nil, 401, `Bearer realm="api"`},
		{"RequireOrg: no active org", orgctx.RequireOrg(ok), "/", &noOrg, 403, forbidden},
		{"RequireOrg: active org", orgctx.RequireOrg(ok), "/", &acme, 204, ""},
		{"RequireRole: admin", orgctx.RequireRole("admin")(ok), "/", &acme, 204, ""},
		{"RequireRole: org:admin", orgctx.RequireRole("org:admin")(ok), "/", &acme, 204, ""},
		{"RequireRole: any of", orgctx.RequireRole("owner", "member")(ok), "/", &member, 204, ""},
		{"RequireRole: wrong role", orgctx.RequireRole("admin")(ok), "/", &member, 403, forbidden},
		{"RequireRole: no roles fails closed", orgctx.RequireRole()(ok), "/", &acme, 403, forbidden},
		{"RequireRole: no org", orgctx.RequireRole("admin")(ok), "/", &noOrg, 403, forbidden},
		{"RequireRole: unauthenticated", orgctx.RequireRole("admin")(ok), "/", nil, 401, `Bearer realm="api"`},
		{"RequirePermission: all held", orgctx.RequirePermission("org:posts:read", "org:posts:write")(ok), "/", &acme, 204, ""},
		{"RequirePermission: one missing", orgctx.RequirePermission("org:posts:read", "org:posts:write")(ok), "/", &member, 403, forbidden},
		{"RequirePermission: none given fails closed", orgctx.RequirePermission()(ok), "/", &acme, 403, forbidden},
		{"RequireAnyPermission: one held", orgctx.RequireAnyPermission("org:posts:write", "org:posts:read")(ok), "/", &member, 204, ""},
		{"RequireAnyPermission: none held", orgctx.RequireAnyPermission("org:posts:write")(ok), "/", &member, 403, forbidden},
		{"RequireAnyPermission: none given", orgctx.RequireAnyPermission()(ok), "/", &acme, 403, forbidden},
		{"RequireOrgParam: the active org", orgctx.RequireOrgParam("org_id")(ok), "/orgs/org_acme/x", &acme, 204, ""},
		{"RequireOrgParam: another org", orgctx.RequireOrgParam("org_id")(ok), "/orgs/org_other/x", &acme, 404, ""},
		{"RequireOrgParam: a prefix of the org id", orgctx.RequireOrgParam("org_id")(ok), "/orgs/org_ac/x", &acme, 404, ""},
		{"RequireOrgParam: no such path value", orgctx.RequireOrgParam("org_id")(ok), "/other/org_acme", &acme, 404, ""},
		{"RequireOrgParam: no active org", orgctx.RequireOrgParam("org_id")(ok), "/orgs/org_acme/x", &noOrg, 403, forbidden},
		{"RequireOrgParam: unauthenticated", orgctx.RequireOrgParam("org_id")(ok), "/orgs/org_acme/x", nil, 401, `Bearer realm="api"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(tc.guard, tc.path, tc.org)
			require.Equal(t, tc.status, rec.Code)
			require.Equal(t, tc.challenge, rec.Header().Get("WWW-Authenticate"))
			if tc.status >= 400 {
				var body map[string]string
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
				require.NotEmpty(t, body["error"])
				require.NotContains(t, rec.Body.String(), "org:", "the body never names the missing role or permission")
				require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			}
		})
	}
}

func TestGuardsOptions(t *testing.T) {
	var got error
	g := orgctx.Guards{Realm: "example", OnFailure: func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		w.WriteHeader(http.StatusTeapot)
	}}
	member := orgctx.Org{ID: "org_acme", Role: "org:member"}
	rec := serve(g.RequireRole("admin")(ok), "/", &member)
	require.Equal(t, http.StatusTeapot, rec.Code)
	require.ErrorIs(t, got, orgctx.ErrRole)
	for _, tc := range []struct {
		h    http.Handler
		path string
		org  *orgctx.Org
		want error
	}{
		{g.RequireOrg(ok), "/", nil, orgctx.ErrUnauthenticated},
		{g.RequireOrg(ok), "/", &orgctx.Org{}, orgctx.ErrNoOrg},
		{g.RequirePermission("org:a:b")(ok), "/", &member, orgctx.ErrPermission},
		{g.RequireAnyPermission("org:a:b")(ok), "/", &member, orgctx.ErrPermission},
		{g.RequireOrgParam("org_id")(ok), "/orgs/org_x/x", &member, orgctx.ErrOrgMismatch},
	} {
		got = nil
		serve(tc.h, tc.path, tc.org)
		require.ErrorIs(t, got, tc.want)
	}

	rec = serve(orgctx.Guards{Realm: "example"}.RequireRole("admin")(ok), "/", &member)
	require.Equal(t, `Bearer realm="example", error="insufficient_scope"`, rec.Header().Get("WWW-Authenticate"))
}

func TestWriteError(t *testing.T) {
	for _, tc := range []struct {
		status    int
		code      string
		realm     string
		challenge string
	}{
		{401, orgctx.CodeUnauthorized, "", `Bearer realm="api"`},
		{401, orgctx.CodeInvalidToken, "x", `Bearer realm="x", error="invalid_token"`},
		{400, orgctx.CodeInvalidRequest, "api", `Bearer realm="api", error="invalid_request"`},
		{403, orgctx.CodeInsufficientScope, "bad\"realm", `Bearer realm="api", error="insufficient_scope"`},
		{404, orgctx.CodeNotFound, "api", ""},
		{503, orgctx.CodeUnavailable, "api", ""},
	} {
		rec := httptest.NewRecorder()
		orgctx.WriteError(rec, tc.realm, tc.status, tc.code, `a "detail"`)
		require.Equal(t, tc.status, rec.Code)
		require.Equal(t, tc.challenge, rec.Header().Get("WWW-Authenticate"))
		var body map[string]string
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		require.Equal(t, map[string]string{"error": tc.code, "detail": `a "detail"`}, body)
	}
	require.True(t, orgctx.ValidRealm("api"))
	require.False(t, orgctx.ValidRealm("a\nb"))
	require.False(t, orgctx.ValidRealm(`a\b`))
	require.False(t, errors.Is(orgctx.ErrRole, orgctx.ErrPermission))
}

// Refuse writes the module's refusal body and headers without any challenge, whatever
// the status and code, and keeps the headers the caller set.
func TestRefuse(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
	}{
		{400, orgctx.CodeInvalidRequest},
		{403, orgctx.CodeInsufficientScope},
		{404, orgctx.CodeNotFound},
		{405, orgctx.CodeMethodNotAllowed},
		{409, orgctx.CodeConflict},
		{413, orgctx.CodeContentTooLarge},
		{500, orgctx.CodeInternal},
		{503, orgctx.CodeUnavailable},
	} {
		rec := httptest.NewRecorder()
		rec.Header().Set("Retry-After", "7")
		orgctx.Refuse(rec, tc.status, tc.code, `a "detail" <b>`)
		require.Equal(t, tc.status, rec.Code)
		h := rec.Header()
		require.Empty(t, h.Values("WWW-Authenticate"), "status %d", tc.status)
		require.Equal(t, "7", h.Get("Retry-After"))
		require.Equal(t, "application/json", h.Get("Content-Type"))
		require.Equal(t, "no-store", h.Get("Cache-Control"))
		require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
		require.Equal(t, strconv.Itoa(rec.Body.Len()), h.Get("Content-Length"))
		var body map[string]string
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		require.Equal(t, map[string]string{"error": tc.code, "detail": `a "detail" <b>`}, body)
	}
}

// WriteError is Refuse plus the challenge: same body and headers.
func TestWriteErrorIsRefusePlusChallenge(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 503} {
		challenged, plain := httptest.NewRecorder(), httptest.NewRecorder()
		orgctx.WriteError(challenged, "api", status, orgctx.CodeInvalidToken, "d")
		orgctx.Refuse(plain, status, orgctx.CodeInvalidToken, "d")
		challenged.Header().Del("WWW-Authenticate")
		require.Equal(t, plain.Header(), challenged.Header(), "status %d", status)
		require.Equal(t, plain.Body.String(), challenged.Body.String())
		require.Equal(t, plain.Code, challenged.Code)
	}
}
