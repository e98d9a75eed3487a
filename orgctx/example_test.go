package orgctx_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/unioneyes/authkit/orgctx"
)

// An authentication middleware puts the organization in the context; here a stand-in
// does, so the example runs alone.
func withOrg(org orgctx.Org) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(orgctx.NewContext(r.Context(), org)))
		})
	}
}

func ExampleRequireAnyRole() {
	mux := http.NewServeMux()
	mux.Handle("POST /orgs/{org_id}/invitations", orgctx.RequireOrgParam("org_id")(orgctx.RequireAnyRole("admin")(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }))))

	for _, tc := range []struct {
		org  orgctx.Org
		path string
	}{
		{orgctx.Org{ID: "org_1", Role: "org:admin"}, "/orgs/org_1/invitations"},
		{orgctx.Org{ID: "org_1", Role: "org:member"}, "/orgs/org_1/invitations"},
		{orgctx.Org{ID: "org_1", Role: "org:admin"}, "/orgs/org_2/invitations"},
	} {
		rec := httptest.NewRecorder()
		withOrg(tc.org)(mux).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, tc.path, nil))
		fmt.Println(tc.org.Role, tc.path, rec.Code)
	}
	// Output:
	// org:admin /orgs/org_1/invitations 201
	// org:member /orgs/org_1/invitations 403
	// org:admin /orgs/org_2/invitations 404
}

func ExampleOwns() {
	type document struct{ ID, OrgID string }
	doc := document{ID: "doc_1", OrgID: "org_2"}
	ctx := orgctx.NewContext(context.Background(), orgctx.Org{ID: "org_1", Role: "org:admin"})

	// An object of another organization is "not found", not "forbidden".
	if !orgctx.Owns(ctx, doc.OrgID) {
		fmt.Println(http.StatusNotFound)
	}
	id, err := orgctx.OrgID(ctx) // scope every query by it
	fmt.Println(id, err)
	// Output:
	// 404
	// org_1 <nil>
}

// A failure handler of your own, configured once (here by hand; clerkauth's middleware
// does it for its routes), answers every guard's refusal.
func ExampleFailureHandler() {
	logRefusals := func(w http.ResponseWriter, r *http.Request, f orgctx.Failure) {
		fmt.Println("refused:", f.Status, f.Code, f.Err)
		orgctx.WriteFailure(w, r, f)
	}
	h := orgctx.RequireAllPermissions("org:posts:delete")(http.NotFoundHandler())

	r := httptest.NewRequest(http.MethodDelete, "/posts/1", nil)
	ctx := orgctx.WithFailureHandler(r.Context(), "blog", logRefusals)
	ctx = orgctx.NewContext(ctx, orgctx.Org{ID: "org_1", Role: "org:member"})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r.WithContext(ctx))
	fmt.Println(rec.Header().Get("WWW-Authenticate"))
	fmt.Print(rec.Body.String())
	// Output:
	// refused: 403 insufficient_scope orgctx: permission missing: need all of ["org:posts:delete"]
	// Bearer realm="blog", error="insufficient_scope"
	// {"error":"insufficient_scope","detail":"insufficient permissions"}
}
