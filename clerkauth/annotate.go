package clerkauth

import "context"

// annotateSuccess records the authenticated identity in the audit record, if an audit
// middleware is in the chain.
func annotateSuccess(ctx context.Context, s *Session) {}

// annotateAnonymous records an anonymous request (optional mode, no token).
func annotateAnonymous(ctx context.Context) {}

// annotateFailure records why authentication failed: Reason(err), never the token.
func annotateFailure(ctx context.Context, err error) {}

// annotatePrincipal records a machine principal.
func annotatePrincipal(ctx context.Context, p *Principal) {}
