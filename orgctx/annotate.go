package orgctx

import (
	"errors"
	"net/http"

	"github.com/unioneyes/authkit/audit"
)

// annotateFailure records why a guard refused the request in the audit record, if an
// audit middleware is in the chain: the sentinel's text, without the details.
func annotateFailure(r *http.Request, err error) {
	reason := "orgctx: refused"
	for _, s := range []error{ErrUnauthenticated, ErrNoOrg, ErrRole, ErrPermission, ErrOrgMismatch} {
		if errors.Is(err, s) {
			reason = s.Error()
			break
		}
	}
	audit.Annotate(r.Context(), func(rec *audit.Record) { rec.AuthOutcome, rec.AuthFailure = audit.AuthFailure, reason })
}
