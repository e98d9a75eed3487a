package webhook

import (
	"errors"
	"net/http"

	"github.com/unioneyes/authkit/audit"
)

// verificationFailures are the sentinels of a refused delivery, in the order they are
// looked for.
var verificationFailures = []error{
	ErrBodyTooLarge, ErrMissingHeaders, ErrInvalidHeaders, ErrInvalidMessageID,
	ErrInvalidTimestamp, ErrTimestampTooOld, ErrTimestampTooNew, ErrNoMatchingSignature,
}

// annotateFailure records why a delivery was refused in the audit record, if an audit
// middleware wraps the endpoint: the sentinel's text, never a signature or the body.
func annotateFailure(r *http.Request, err error) {
	reason := "webhook: verification failed"
	for _, s := range verificationFailures {
		if errors.Is(err, s) {
			reason = s.Error()
			break
		}
	}
	audit.Annotate(r.Context(), func(rec *audit.Record) {
		rec.AuthOutcome, rec.AuthFailure = audit.AuthFailure, reason
		rec.PrincipalKind = "webhook"
	})
}
