package audit

import "net/http"

// CaptureRoute records the route pattern of a request for the audit record
// when other middleware sits between the audit middleware and the
// http.ServeMux. ServeMux stores the matched pattern in r.Pattern of the
// *http.Request it receives; a middleware that calls r.WithContext (every
// authentication middleware does) passes a copy down, so the audit
// middleware never sees it. Wrap the mux itself:
//
//	auditor.Handler(auth(audit.CaptureRoute(mux)))
//
// CaptureRoute reads r.Pattern after mux returns (or panics) and sets
// [Record.Route] unless something inside already did, so nested muxes
// record the innermost pattern. Without an audit middleware in the chain it
// only calls next.
func CaptureRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if r.Pattern == "" {
				return
			}
			Annotate(r.Context(), func(rec *Record) {
				if rec.Route == "" {
					rec.Route = r.Pattern
				}
			})
		}()
		next.ServeHTTP(w, r)
	})
}
