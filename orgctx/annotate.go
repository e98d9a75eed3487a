package orgctx

import "net/http"

// annotateFailure records why a guard refused the request in the audit record, if an
// audit middleware is in the chain.
func annotateFailure(r *http.Request, err error) {
	_ = r
	_ = err
}
