// Package orgctx carries the active Clerk organization of a request, guards routes by it,
// and owns the module's one HTTP refusal writer.
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
//
// # Refusals
//
// Every refusal authkit writes (clerkauth's middleware and RequireScope, these guards,
// webhook.Handler, the example servers) is written here, by [WriteError] (with an RFC 6750
// Bearer challenge where one applies) or [Refuse] (without), in one shape:
//
//	HTTP/1.1 403 Forbidden
//	Content-Type: application/json
//	Cache-Control: no-store
//	WWW-Authenticate: Bearer realm="api", error="insufficient_scope"
//
//	{"error":"insufficient_scope","detail":"insufficient permissions"}
//
// "error" is one of the Code constants, for programs; "detail" is a short text for people,
// never a token, a claim value or the reason a credential failed (that goes to the audit
// record). The one exception is clerkauth's reverification answer, which keeps Clerk's own
// body because Clerk's frontend parses it. Use the same writer for the refusals of your own
// handlers, so that clients meet one shape.
package orgctx
