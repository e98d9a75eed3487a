package clerkauth

import (
	"context"
	"log/slog"
	"strings"

	"github.com/unioneyes/authkit/audit"
)

// The middleware tells the audit record (when an audit middleware is in the chain) who
// the request is, or why it was refused: Reason's text, never the token.

func annotateSuccess(ctx context.Context, s *Session) {
	audit.Annotate(ctx, func(r *audit.Record) {
		r.AuthOutcome, r.AuthFailure = audit.AuthSuccess, ""
		r.PrincipalKind = string(KindSession)
		r.UserID, r.SessionID = s.UserID, s.SessionID
		r.OrgID, r.OrgRole = s.Org.ID, s.Org.Role
	})
}

func annotatePrincipal(ctx context.Context, p *Principal) {
	audit.Annotate(ctx, func(r *audit.Record) {
		r.AuthOutcome, r.AuthFailure = audit.AuthSuccess, ""
		r.PrincipalKind = string(p.Kind)
		switch {
		case strings.HasPrefix(p.Subject, "user_"):
			r.UserID = p.Subject
		case strings.HasPrefix(p.Subject, "org_"):
			r.OrgID = p.Subject
		}
	})
	audit.AddAttrs(ctx, slog.String("authkit.principal.id", p.ID), slog.String("authkit.principal.subject", p.Subject))
}

func annotateAnonymous(ctx context.Context) {
	audit.Annotate(ctx, func(r *audit.Record) { r.AuthOutcome = audit.AuthAnonymous })
}

func annotateFailure(ctx context.Context, err error) {
	reason := Reason(err)
	audit.Annotate(ctx, func(r *audit.Record) { r.AuthOutcome, r.AuthFailure = audit.AuthFailure, reason })
}
