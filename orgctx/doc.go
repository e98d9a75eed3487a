// Package orgctx carries the active Clerk organization of a request, guards routes by it,
// and owns the module's one HTTP refusal writer.
//
// An authentication middleware (clerkauth's) calls [NewContext] for every authenticated
// request, with the session's organization, or the zero [Org] when none is active, and
// [WithFailureHandler] with the realm and failure handler it was configured with.
// Handlers read the organization with [FromContext], scope their queries with [OrgID] (an
// error, never "", when there is none) and check object ownership with [Owns], answering
// 404 for an object of another organization.
//
// The guards refuse what a route does not allow:
//
//	mux.Handle("GET /orgs/{org_id}/members",
//		orgctx.RequireOrgParam("org_id")(members)) // 404 for another org's id
//	mux.Handle("POST /orgs/{org_id}/invitations",
//		orgctx.RequireOrgParam("org_id")(orgctx.RequireAnyRole("admin")(invite)))
//	mux.Handle("DELETE /posts/{id}",
//		orgctx.RequireAllPermissions("org:posts:delete")(deletePost))
//	handler := verifier.Middleware()(mux)
//
// A request that is not authenticated at all is 401; one without an active organization,
// or without the role or permission, is 403 with error="insufficient_scope"; a path naming
// another organization is 404. Roles may be written "admin" or "org:admin".
//
// # Refusals
//
// Every refusal authkit writes is a [Failure], written by a [FailureHandler]: the one the
// authentication middleware is configured with, for its own refusals and, through
// [Refuse], for those of the guards downstream (these, clerkauth's RequireScope and
// RequireReverification); webhook.Handler has its own (HandlerConfig.OnFailure). The
// default, [WriteFailure], writes one shape:
//
//	HTTP/1.1 403 Forbidden
//	Content-Type: application/json
//	Cache-Control: no-store
//	WWW-Authenticate: Bearer realm="api", error="insufficient_scope"
//
//	{"error":"insufficient_scope","detail":"insufficient permissions"}
//
// "error" is one of the Code constants, for programs; "detail" is a short text for people.
// The one exception is clerkauth's reverification answer, which keeps Clerk's own body
// because Clerk's frontend parses it. The realm and the failure handler are configured
// once, on the authentication middleware, which puts them in the request context with
// [WithFailureHandler]; the guards downstream find them there.
//
// # Design notes
//
// The guards are plain middleware that find their settings in the request context rather
// than being configured per route, so that one setting on the authentication middleware
// reaches every refusal.
// A path naming another organization is answered 404, not 403, so that a token for
// organization A cannot probe which ids exist in organization B. The body never names the
// missing role or permission, never carries a token, a claim value or the reason a
// credential failed: that goes to [Failure.Err] and to the audit record. A guard given no
// roles or permissions refuses every request, failing closed on a configuration mistake.
package orgctx
