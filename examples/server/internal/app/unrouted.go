package app

import (
	"net/http"

	"github.com/unioneyes/authkit/orgctx"
)

// refuseUnrouted passes to mux every request it has a route for (or redirects to one) and
// answers the others with the module's refusal body (orgctx.Refuse) instead of
// ServeMux's text/plain: 405 with ServeMux's Allow header when the path has a route for
// another method, else 404.
func refuseUnrouted(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" { // ServeMux names a pattern for every route and redirect, none for 404 and 405
			mux.ServeHTTP(w, r)
			return
		}
		// Ask ServeMux's own refusal for its status and Allow header, then write ours.
		probe := &headerProbe{header: http.Header{}}
		h.ServeHTTP(probe, r)
		if probe.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.header.Get("Allow"))
			orgctx.Refuse(w, r, orgctx.Failure{Status: http.StatusMethodNotAllowed, Code: orgctx.CodeMethodNotAllowed, Detail: "method not allowed"})
			return
		}
		orgctx.Refuse(w, r, orgctx.Failure{Status: http.StatusNotFound, Code: orgctx.CodeNotFound, Detail: "not found"})
	})
}

// headerProbe is a ResponseWriter that keeps the status and headers and drops the body.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header { return p.header }

func (p *headerProbe) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}

func (p *headerProbe) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}
