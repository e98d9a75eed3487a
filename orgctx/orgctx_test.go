package orgctx_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/orgctx"
)

var acme = orgctx.Org{ID: "org_acme", Slug: "acme", Role: "org:admin", Permissions: []string{"org:posts:read", "org:posts:write"}}

func TestContext(t *testing.T) {
	ctx := context.Background()
	_, ok := orgctx.FromContext(ctx)
	require.False(t, ok)
	_, err := orgctx.OrgID(ctx)
	require.ErrorIs(t, err, orgctx.ErrNoOrg)
	require.False(t, orgctx.Owns(ctx, "org_acme"))

	none := orgctx.NewContext(ctx, orgctx.Org{})
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
		{"RequireAnyRole: admin", orgctx.RequireAnyRole("admin")(ok), "/", &acme, 204, ""},
		{"RequireAnyRole: org:admin", orgctx.RequireAnyRole("org:admin")(ok), "/", &acme, 204, ""},
		{"RequireAnyRole: any of", orgctx.RequireAnyRole("owner", "member")(ok), "/", &member, 204, ""},
		{"RequireAnyRole: wrong role", orgctx.RequireAnyRole("admin")(ok), "/", &member, 403, forbidden},
		{"RequireAnyRole: no roles fails closed", orgctx.RequireAnyRole()(ok), "/", &acme, 403, forbidden},
		{"RequireAnyRole: no org", orgctx.RequireAnyRole("admin")(ok), "/", &noOrg, 403, forbidden},
		{"RequireAnyRole: unauthenticated", orgctx.RequireAnyRole("admin")(ok), "/", nil, 401, `Bearer realm="api"`},
		{"RequireAllPermissions: all held", orgctx.RequireAllPermissions("org:posts:read", "org:posts:write")(ok), "/", &acme, 204, ""},
		{"RequireAllPermissions: one missing", orgctx.RequireAllPermissions("org:posts:read", "org:posts:write")(ok), "/", &member, 403, forbidden},
		{"RequireAllPermissions: none given fails closed", orgctx.RequireAllPermissions()(ok), "/", &acme, 403, forbidden},
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

// The realm and the failure handler put in the context reach every guard, whichever of
// WithFailureHandler and NewContext comes first; the handler gets the guard's Failure.
func TestGuardsAnswerWithContextSettings(t *testing.T) {
	member := orgctx.Org{ID: "org_acme", Role: "org:member"}
	for _, tc := range []struct {
		name   string
		h      http.Handler
		path   string
		org    *orgctx.Org
		want   error
		status int
		code   string
	}{
		{"RequireOrg: unauthenticated", orgctx.RequireOrg(ok), "/", nil, orgctx.ErrUnauthenticated, 401, orgctx.CodeUnauthorized},
		{"RequireOrg: no org", orgctx.RequireOrg(ok), "/", &orgctx.Org{}, orgctx.ErrNoOrg, 403, orgctx.CodeInsufficientScope},
		{"RequireAnyRole", orgctx.RequireAnyRole("admin")(ok), "/", &member, orgctx.ErrRole, 403, orgctx.CodeInsufficientScope},
		{"RequireAllPermissions", orgctx.RequireAllPermissions("org:a:b")(ok), "/", &member, orgctx.ErrPermission, 403, orgctx.CodeInsufficientScope},
		{"RequireAnyPermission", orgctx.RequireAnyPermission("org:a:b")(ok), "/", &member, orgctx.ErrPermission, 403, orgctx.CodeInsufficientScope},
		{"RequireOrgParam", orgctx.RequireOrgParam("org_id")(ok), "/orgs/org_x/x", &member, orgctx.ErrOrgMismatch, 404, orgctx.CodeNotFound},
	} {
		for _, handlerFirst := range []bool{true, false} {
			t.Run(tc.name, func(t *testing.T) {
				var got *orgctx.Failure
				onFailure := func(w http.ResponseWriter, r *http.Request, f orgctx.Failure) {
					got = &f
					w.WriteHeader(http.StatusTeapot)
				}
				mux := http.NewServeMux()
				mux.Handle("/orgs/{org_id}/x", tc.h)
				mux.Handle("/", tc.h)
				r := httptest.NewRequest(http.MethodGet, tc.path, nil)
				ctx := r.Context()
				if handlerFirst {
					ctx = orgctx.WithFailureHandler(ctx, "example", onFailure)
				}
				if tc.org != nil {
					ctx = orgctx.NewContext(ctx, *tc.org)
				}
				if !handlerFirst {
					ctx = orgctx.WithFailureHandler(ctx, "example", onFailure)
				}
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, r.WithContext(ctx))

				require.Equal(t, http.StatusTeapot, rec.Code)
				require.NotNil(t, got)
				require.ErrorIs(t, got.Err, tc.want)
				require.Equal(t, tc.status, got.Status)
				require.Equal(t, tc.code, got.Code)
				require.Equal(t, "example", got.Realm)
				require.NotEmpty(t, got.Detail)
			})
		}
	}

	// A realm alone: the default writer with that realm.
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	ctx := orgctx.NewContext(orgctx.WithFailureHandler(r.Context(), "example", nil), member)
	rec := httptest.NewRecorder()
	orgctx.RequireAnyRole("admin")(ok).ServeHTTP(rec, r.WithContext(ctx))
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Equal(t, `Bearer realm="example", error="insufficient_scope"`, rec.Header().Get("WWW-Authenticate"))
}

// NewContext and WithFailureHandler keep what the other put in the context, and the rest
// of the context (values, cancellation, deadline) reaches through them.
func TestContextNodes(t *testing.T) {
	type otherKey struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), otherKey{}, "v"))
	ctx := orgctx.WithFailureHandler(orgctx.NewContext(parent, acme), "r1", nil)
	got, ok := orgctx.FromContext(ctx)
	require.True(t, ok)
	require.Equal(t, acme, got)
	require.Equal(t, "v", ctx.Value(otherKey{}))

	// A later NewContext replaces the org and keeps the realm.
	ctx2 := orgctx.NewContext(ctx, orgctx.Org{})
	_, ok = orgctx.FromContext(ctx2)
	require.False(t, ok)
	rec := httptest.NewRecorder()
	orgctx.RequireOrg(ok2()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx2))
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Equal(t, `Bearer realm="r1", error="insufficient_scope"`, rec.Header().Get("WWW-Authenticate"))

	// WithFailureHandler alone does not authenticate the request.
	anon := orgctx.WithFailureHandler(context.Background(), "r2", nil)
	rec = httptest.NewRecorder()
	orgctx.RequireOrg(ok2()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil).WithContext(anon))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.Equal(t, `Bearer realm="r2"`, rec.Header().Get("WWW-Authenticate"))

	require.NoError(t, ctx2.Err())
	cancel()
	<-ctx2.Done()
	require.ErrorIs(t, ctx2.Err(), context.Canceled)
	child, stop := context.WithCancel(ctx2) // a child of a node is canceled with its parent
	defer stop()
	<-child.Done()
}

func ok2() http.Handler { return ok }
