// Command chi shows authkit with the chi router: the Clerk middleware on a route group,
// organization guards per route, and the active organization scoping every query.
//
//	CLERK_PUBLISHABLE_KEY=pk_test_… go run ./examples/chi
//
// Routes:
//
//	GET    /healthz                       public
//	GET    /api/me                        any signed-in user
//	GET    /api/orgs/{org_id}/projects    members of {org_id} (404 for another org)
//	POST   /api/orgs/{org_id}/projects    members holding org:projects:create
//	DELETE /api/orgs/{org_id}             admins of {org_id}
package main

import (
	"context"
	"encoding/json"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/jwks"
	"github.com/unioneyes/authkit/orgctx"
)

func main() {
	pk, err := jwks.ParsePublishableKey(os.Getenv("CLERK_PUBLISHABLE_KEY"))
	if err != nil {
		log.Fatalf("CLERK_PUBLISHABLE_KEY: %v", err)
	}
	keys, err := jwks.NewRemote(context.Background(), jwks.RemoteConfig{URL: pk.JWKSURL()})
	if err != nil {
		log.Fatal(err)
	}
	defer keys.Close()
	cfg := clerkauth.Config{Keys: keys, Issuer: pk.Issuer()}
	if parties := os.Getenv("CLERK_AUTHORIZED_PARTIES"); parties != "" {
		cfg.AuthorizedParties = strings.Split(parties, ",")
	}
	verifier, err := clerkauth.NewVerifier(cfg)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: ":8000", Handler: newRouter(verifier), ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// newRouter builds the routes; the Clerk middleware covers the /api group only.
func newRouter(verifier *clerkauth.Verifier) http.Handler {
	r := chi.NewRouter()
	// Refusals in authkit's one shape, {"error","detail"}, also for what has no route.
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		orgctx.Refuse(w, r, orgctx.Failure{Status: http.StatusNotFound, Code: orgctx.CodeNotFound, Detail: "not found"})
	})
	r.MethodNotAllowed(methodNotAllowed(r))
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, map[string]string{"status": "ok"}) })
	r.Route("/api", func(r chi.Router) {
		r.Use(verifier.Middleware())
		r.Get("/me", func(w http.ResponseWriter, r *http.Request) {
			s, _ := clerkauth.SessionFromContext(r.Context())
			writeJSON(w, map[string]any{"user_id": s.UserID, "org_id": s.Org.ID, "org_role": s.Org.Role})
		})
		r.Route("/orgs/{org_id}", func(r chi.Router) {
			r.Use(orgctx.RequireOrgParam("org_id")) // a token for another org gets 404 here
			r.Get("/projects", listProjects)
			r.With(orgctx.RequireAllPermissions("org:projects:create")).Post("/projects", createProject)
			r.With(orgctx.RequireAnyRole("admin")).Delete("/", deleteOrg)
		})
	})
	return r
}

func listProjects(w http.ResponseWriter, r *http.Request) {
	orgID, err := orgctx.OrgID(r.Context()) // scope every query by the active org
	if err != nil {
		orgctx.Refuse(w, r, orgctx.Failure{Status: http.StatusForbidden, Code: orgctx.CodeInsufficientScope, Detail: "an active organization is required", Err: err})
		return
	}
	writeJSON(w, map[string]any{"org_id": orgID, "projects": []string{}})
}

func createProject(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }

func deleteOrg(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }

// methodNotAllowed answers 405 with the methods routes has for the path in Allow (chi's
// own 405 sets Allow, a custom one must find them itself).
func methodNotAllowed(routes chi.Routes) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
			if routes.Match(chi.NewRouteContext(), m, r.URL.Path) {
				allow = append(allow, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		orgctx.Refuse(w, r, orgctx.Failure{Status: http.StatusMethodNotAllowed, Code: orgctx.CodeMethodNotAllowed, Detail: "method not allowed"})
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
