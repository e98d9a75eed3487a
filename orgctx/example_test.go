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

func ExampleRequireRole() {
	mux := http.NewServeMux()
	mux.Handle("POST /orgs/{org_id}/invitations", orgctx.RequireOrgParam("org_id")(orgctx.RequireRole("admin")(
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
