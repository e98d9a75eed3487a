package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/orgctx"
)

// healthTimeout bounds the database (and Redis) checks of one health request.
const healthTimeout = 2 * time.Second

// pinger is a dependency the health check asks: the SQL store, the Redis store, a remote
// key set.
type pinger interface {
	Ping(ctx context.Context) error
}

// Health check verdicts, per dependency.
const (
	checkOK            = "ok"
	checkFailing       = "failing"
	checkNotLoadedYet  = "not loaded yet"
	healthStatusOK     = "healthy"
	healthStatusFailed = "unhealthy"
)

// healthHandler answers GET /api/auth_core/health/: 200 {"status":"healthy"} (the Django
// endpoint's answer) when every dependency answers, else 503 {"status":"unhealthy",
// "checks":{…}} with a verdict per dependency: "ok", "failing", or for the keys "not
// loaded yet". The reason of a failure goes to the log, once per change of state, never
// to the client. Its 503 is a status report for load balancers and monitors, not a
// refusal of the request: it keeps the Django endpoint's body rather than the
// {"error","detail"} of every refusal (orgctx.Refuse).
type healthHandler struct {
	deps      map[string]pinger // "database", "redis", "keys"
	log       *slog.Logger
	unhealthy atomic.Bool
}

// healthResponse is the body of the health answer.
type healthResponse struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks,omitempty"` // when unhealthy
}

// ServeHTTP pings every dependency at once, within healthTimeout.
func (h *healthHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs = make(map[string]error, len(h.deps))
	)
	for name, dep := range h.deps {
		wg.Go(func() {
			err := dep.Ping(ctx)
			mu.Lock()
			errs[name] = err
			mu.Unlock()
		})
	}
	wg.Wait()

	checks := make(map[string]string, len(errs))
	var failures []any
	level := slog.LevelWarn // only keys not loaded yet: starting
	for name, err := range errs {
		switch {
		case err == nil:
			checks[name] = checkOK
			continue
		case errors.Is(err, errKeysNotLoaded):
			checks[name] = checkNotLoadedYet
		default:
			checks[name] = checkFailing
			level = slog.LevelError
		}
		failures = append(failures, slog.String(name, err.Error()))
	}
	if len(failures) > 0 {
		if !h.unhealthy.Swap(true) {
			h.log.Log(r.Context(), level, "health: unhealthy", slog.Group("checks", failures...))
		}
		writeJSON(w, http.StatusServiceUnavailable, healthResponse{Status: healthStatusFailed, Checks: checks})
		return
	}
	if h.unhealthy.Swap(false) {
		h.log.Info("health: every dependency answers")
	}
	writeJSON(w, http.StatusOK, healthResponse{Status: healthStatusOK})
}

// meResponse is the body of GET /api/auth_core/me/, the Django endpoint's shape.
type meResponse struct {
	// ID is the Clerk user id. The Django backend answered its own integer primary key
	// here; this server keys its users by the Clerk id, so both fields carry it.
	ID          string       `json:"id"`
	Email       string       `json:"email"`
	FirstName   string       `json:"first_name"`
	LastName    string       `json:"last_name"`
	ClerkUserID string       `json:"clerk_user_id"`
	Org         *orgResponse `json:"organization"` // null without an active organization
}

// orgResponse is the active organization of the session.
type orgResponse struct {
	ID          string   `json:"id"`
	Slug        string   `json:"slug"`
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
}

// handleMe answers the signed-in user: the local record the middleware provisioned on
// the user's first request (and webhooks keep up to date), with the session's active
// organization. A deactivated user never gets here: the middleware answers 403.
func handleMe(w http.ResponseWriter, r *http.Request) {
	u, ok := clerkauth.UserFromContext(r.Context())
	if !ok { // cannot happen: the verifier has a user cache
		orgctx.Refuse(w, r, orgctx.Failure{Status: http.StatusInternalServerError, Code: orgctx.CodeInternal, Detail: "no user"})
		return
	}
	resp := meResponse{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, ClerkUserID: u.ID}
	if org, ok := orgctx.FromContext(r.Context()); ok {
		resp.Org = &orgResponse{ID: org.ID, Slug: org.Slug, Role: org.Role, Permissions: nonNil(org.Permissions)}
	}
	writeJSON(w, http.StatusOK, resp)
}

// memberResponse is one member in the members and admin answers. The admin answer adds
// the member's profile from the user store.
type memberResponse struct {
	UserID      string   `json:"user_id"`
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
	Email       *string  `json:"email,omitempty"`
	FirstName   *string  `json:"first_name,omitempty"`
	LastName    *string  `json:"last_name,omitempty"`
}

// membersResponse is the body of the members and admin endpoints.
type membersResponse struct {
	OrganizationID string           `json:"organization_id"`
	Members        []memberResponse `json:"members"`
}

// membersHandler answers GET /api/auth_core/orgs/{org_id}/members/ (any member of the
// active organization) and, with users, …/admin/ (its admins). The guards in front of
// it have checked that {org_id} is the session's active organization (404 otherwise) and,
// for admin, the role; the list comes from the store the membership webhooks keep.
type membersHandler struct {
	orgs  store.Orgs
	users store.Users // profiles, for the admin view; nil for the members view
	log   *slog.Logger
}

// ServeHTTP lists the active organization's members, with profiles for the admin view.
func (h *membersHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	orgID, err := orgctx.OrgID(ctx) // the guards made sure it is {org_id}
	if err != nil {
		orgctx.Refuse(w, r, orgctx.Failure{Status: http.StatusForbidden, Code: orgctx.CodeInsufficientScope, Detail: "an active organization is required", Err: err})
		return
	}
	members, err := h.orgs.ListMembers(ctx, orgID)
	if err != nil {
		h.unavailable(w, r, "listing members", err)
		return
	}
	resp := membersResponse{OrganizationID: orgID, Members: make([]memberResponse, 0, len(members))}
	for _, m := range members {
		mr := memberResponse{UserID: m.UserID, Role: m.Role, Permissions: nonNil(m.Permissions)}
		if h.users != nil {
			var email, first, last string
			u, err := h.users.GetUser(ctx, m.UserID)
			switch {
			case err == nil:
				email, first, last = u.Email, u.FirstName, u.LastName
			case !errors.Is(err, store.ErrNotFound): // not synced yet: empty profile
				h.unavailable(w, r, "reading a member's profile", err)
				return
			}
			mr.Email, mr.FirstName, mr.LastName = &email, &first, &last
		}
		resp.Members = append(resp.Members, mr)
	}
	writeJSON(w, http.StatusOK, resp)
}

// unavailable logs a store failure and answers 503.
func (h *membersHandler) unavailable(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.Error("members: store failed", "operation", what, "error", err)
	orgctx.Refuse(w, r, orgctx.Failure{Status: http.StatusServiceUnavailable, Code: orgctx.CodeUnavailable, Detail: "store temporarily unavailable", Err: err, RetryAfter: 5 * time.Second})
}

// writeJSON writes v as the JSON body of a status answer that no cache may keep.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// nonNil returns s, or an empty slice for nil, so that JSON shows [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
