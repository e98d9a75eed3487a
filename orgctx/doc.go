// Package orgctx carries the active Clerk organization of a request and guards routes by
// it.
//
// An authentication middleware (clerkauth's) calls [NewContext] for every authenticated
// request, with the session's organization, or the zero [Org] when none is active.
// Handlers read it with [FromContext], scope their queries with [OrgID] (an error, never
// "", when there is none) and check object ownership with [Owns], answering 404 for an
// object of another organization.
//
// The guards refuse what a route does not allow, with RFC 6750 answers:
//
//	mux.Handle("GET /orgs/{org_id}/members",
//		orgctx.RequireOrgParam("org_id")(members)) // 404 for another org's id
//	mux.Handle("POST /orgs/{org_id}/invitations",
//		orgctx.RequireOrgParam("org_id")(orgctx.RequireRole("admin")(invite))) // any of the roles
//	mux.Handle("DELETE /posts/{id}",
//		orgctx.RequirePermission("org:posts:delete")(deletePost)) // all of the permissions
//	handler := verifier.Middleware()(mux)
//
// A request that is not authenticated at all is 401; one without an active organization,
// or without the role or permission, is 403 with error="insufficient_scope"; a path naming
// another organization is 404. Roles may be written "admin" or "org:admin". [Guards] sets
// the realm and a failure handler of your own; the package-level guards use the defaults.
package orgctx
