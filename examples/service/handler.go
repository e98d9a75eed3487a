package main

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/orgctx"
)

// scopeReportsWrite is the scope POST /v1/reports requires.
const scopeReportsWrite = "reports:write"

// newHandler builds the routes behind an audit middleware writing JSON lines to
// auditOut. Each route says which kinds of credential it takes.
func newHandler(v *clerkauth.Verifier, auditOut io.Writer) (http.Handler, error) {
	anyone := v.Middleware(clerkauth.Accept(clerkauth.KindSession, clerkauth.KindServiceAccount,
		clerkauth.KindAPIKey, clerkauth.KindM2MToken, clerkauth.KindOAuthToken))
	machines := v.Middleware(clerkauth.Accept(clerkauth.KindServiceAccount, clerkauth.KindAPIKey, clerkauth.KindM2MToken))

	mux := http.NewServeMux()
	mux.Handle("GET /v1/whoami", anyone(http.HandlerFunc(whoami)))
	mux.Handle("POST /v1/reports", machines(clerkauth.RequireScope(scopeReportsWrite)(http.HandlerFunc(createReport))))
	auditor, err := audit.New(audit.Config{Sink: audit.SlogSink(slog.New(slog.NewJSONHandler(auditOut, nil)))})
	if err != nil {
		return nil, err
	}
	return auditor.Handler(audit.CaptureRoute(refuseUnrouted(mux))), nil
}

// whoami answers who is calling: the credential's kind, id, subject, name and scopes.
func whoami(w http.ResponseWriter, r *http.Request) {
	p, _ := clerkauth.PrincipalFromContext(r.Context()) // the middleware put one there
	resp := map[string]any{
		"kind": p.Kind, "id": p.ID, "subject": p.Subject, "name": p.Name, "scopes": nonNil(p.Scopes),
	}
	if !p.ExpiresAt.IsZero() {
		resp["expires_at"] = p.ExpiresAt.UTC().Format(time.RFC3339)
	}
	writeJSON(w, http.StatusOK, resp)
}

// createReport accepts {"title": "…"} from a machine holding reports:write and answers the
// created report (this example keeps nothing).
func createReport(w http.ResponseWriter, r *http.Request) {
	p, _ := clerkauth.PrincipalFromContext(r.Context())
	var req struct {
		Title string `json:"title"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil || req.Title == "" {
		orgctx.WriteFailure(w, r, orgctx.Failure{Status: http.StatusBadRequest, Code: orgctx.CodeInvalidRequest, Detail: `want {"title":"…"}`, Err: err})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": "rep_" + rand.Text(), "title": req.Title, "created_by": p.Subject, "credential": p.Kind,
	})
}

// writeJSON writes v as a JSON answer no cache may keep.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// nonNil returns s, or an empty slice for nil (JSON [] rather than null).
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// refuseUnrouted passes to mux every request it has a route for (or redirects to one) and
// answers the others with authkit's refusal body (orgctx.Refuse) instead of ServeMux's
// text/plain: 405 with ServeMux's Allow header when the path has a route for another
// method, else 404.
func refuseUnrouted(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" { // ServeMux names a pattern for every route and redirect, none for 404 and 405
			mux.ServeHTTP(w, r)
			return
		}
		probe := &headerProbe{header: http.Header{}}
		h.ServeHTTP(probe, r) // ServeMux's own refusal: its status and Allow header
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
