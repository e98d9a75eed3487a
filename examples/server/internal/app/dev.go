package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/template"
	"time"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/orgctx"
)

// Limits and defaults of the dev endpoints.
const (
	devDefaultLifetime = time.Hour
	devMaxLifetime     = 24 * time.Hour
	devMaxIDBytes      = 64
	devMaxPermissions  = 32
	devMaxTokenBody    = 64 << 10
	devMaxWebhookBody  = 1 << 20 // the webhook verifier's default limit
	devWebhookPath     = "/api/auth_core/webhooks/clerk/"
	devDemoLifetime    = time.Hour
)

// devClerk is dev mode's local fake Clerk: a clerkauthtest issuer serving its JWKS on its
// own 127.0.0.1 server (the verifier fetches it like Clerk's), the endpoints that mint
// tokens and sign webhooks for you, and the start-up banner.
type devClerk struct {
	issuer          *clerkauthtest.Issuer
	secret          string // the webhook signing secret /dev/webhook signs with
	secretGenerated bool   // generated at start (printed) rather than configured (never printed)
	signer          *clerkauthtest.WebhookSigner
	parties         []string     // CLERK_AUTHORIZED_PARTIES: the default azp is the first
	hooks           http.Handler // the webhook endpoint /dev/webhook feeds
	demoUser        string
	audit           *auditRing // the last audit records, for the console
}

// newDevClerk starts the fake Clerk. It signs webhooks with the first configured secret,
// or with a fresh one.
func newDevClerk(secrets, parties []string) *devClerk {
	d := &devClerk{issuer: clerkauthtest.NewIssuer(), parties: parties, demoUser: clerkauthtest.NewID("user_"),
		audit: newAuditRing(devAuditRecords)}
	if len(secrets) > 0 {
		d.secret = secrets[0]
		if !strings.HasPrefix(d.secret, "whsec_") { // the prefix is optional in the variable
			d.secret = "whsec_" + d.secret
		}
	} else {
		d.secret, d.secretGenerated = clerkauthtest.NewWebhookSecret(), true
	}
	d.signer = clerkauthtest.NewWebhookSigner(d.secret)
	return d
}

// Close stops the fake Clerk's server.
func (d *devClerk) Close() { d.issuer.Close() }

// routes registers the dev endpoints and the console behind devGuard: in dev mode anyone
// who can get a request through /dev/token can sign in as anyone.
func (d *devClerk) routes(mux *router) {
	d.consoleRoutes(mux)
	mux.Handle("POST /dev/token", devGuard(http.HandlerFunc(d.handleToken)))
	mux.Handle("POST /dev/webhook", devGuard(http.HandlerFunc(d.handleWebhook)))
	mux.Handle("GET /dev/jwks.json", devGuard(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(d.issuer.JWKS())
	})))
}

// devTokenRequest is the body of POST /dev/token; every field is optional.
type devTokenRequest struct {
	UserID          string   `json:"user_id"`    // default: a random "user_…"
	SessionID       string   `json:"session_id"` // default: a random "sess_…"
	Email           string   `json:"email"`      // provisioning claims, as a session token template adds them
	FirstName       string   `json:"first_name"`
	LastName        string   `json:"last_name"`
	OrgID           string   `json:"org_id"`      // the active organization; the org fields need it
	OrgSlug         string   `json:"org_slug"`    // default: the org id
	Role            string   `json:"role"`        // default "org:member"; "admin" means "org:admin"
	Permissions     []string `json:"permissions"` // "org:<feature>:<permission>"
	LifetimeSeconds int      `json:"lifetime_seconds"`
	AuthorizedParty string   `json:"azp"` // default: the first of CLERK_AUTHORIZED_PARTIES
}

// devTokenResponse is the answer of POST /dev/token.
type devTokenResponse struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"` // RFC 3339
	UserID    string `json:"user_id"`
	SessionID string `json:"session_id"`
}

// handleToken mints a session token of the fake Clerk.
func (d *devClerk) handleToken(w http.ResponseWriter, r *http.Request) {
	var req devTokenRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, devMaxTokenBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) { // no body: all defaults
		devBadRequest(w, r, "the body must be a JSON object of known fields: "+err.Error())
		return
	}
	token, resp, err := d.mint(req, time.Now())
	if err != nil {
		devBadRequest(w, r, err.Error())
		return
	}
	resp.Token = token
	writeJSON(w, http.StatusOK, resp)
}

// mint validates req, fills in the defaults and signs the token.
func (d *devClerk) mint(req devTokenRequest, now time.Time) (string, devTokenResponse, error) {
	if req.UserID == "" {
		req.UserID = clerkauthtest.NewID("user_")
	}
	if req.SessionID == "" {
		req.SessionID = clerkauthtest.NewID("sess_")
	}
	for name, id := range map[string]string{"user_id": req.UserID, "session_id": req.SessionID, "org_id": req.OrgID} {
		if id != "" && !validDevID(id) {
			return "", devTokenResponse{}, fmt.Errorf("%s must be 1 to %d of [A-Za-z0-9_-]", name, devMaxIDBytes)
		}
	}
	if strings.HasPrefix(req.UserID, "mch_") {
		return "", devTokenResponse{}, errors.New(`user_id must not start with "mch_" (a machine's id)`)
	}
	life := devDefaultLifetime
	switch {
	case req.LifetimeSeconds < 0 || req.LifetimeSeconds > int(devMaxLifetime/time.Second): // in seconds: no overflow
		return "", devTokenResponse{}, fmt.Errorf("lifetime_seconds must be between 1 and %d", int(devMaxLifetime/time.Second))
	case req.LifetimeSeconds > 0:
		life = time.Duration(req.LifetimeSeconds) * time.Second
	}
	b := d.issuer.Token().User(req.UserID).Session(req.SessionID).IssuedAt(now).Lifetime(life)
	for claim, v := range map[string]string{"email": req.Email, "first_name": req.FirstName, "last_name": req.LastName} {
		if v != "" {
			b.Claim(claim, v)
		}
	}
	if req.OrgID == "" {
		if req.OrgSlug != "" || req.Role != "" || len(req.Permissions) > 0 {
			return "", devTokenResponse{}, errors.New("org_slug, role and permissions need an org_id")
		}
	} else {
		if req.OrgSlug == "" {
			req.OrgSlug = req.OrgID
		}
		if req.Role == "" {
			req.Role = "org:member"
		}
		role := orgctx.NormalizeRole(req.Role)
		if !validDevID(strings.TrimPrefix(role, "org:")) || !validDevID(req.OrgSlug) {
			return "", devTokenResponse{}, fmt.Errorf("role and org_slug must be 1 to %d of [A-Za-z0-9_-] (role with an optional org: prefix)", devMaxIDBytes)
		}
		if len(req.Permissions) > devMaxPermissions {
			return "", devTokenResponse{}, fmt.Errorf("at most %d permissions", devMaxPermissions)
		}
		for _, p := range req.Permissions {
			feature, name, ok := strings.Cut(strings.TrimPrefix(p, "org:"), ":")
			if !strings.HasPrefix(p, "org:") || !ok || !validDevID(feature) || !validDevID(name) {
				return "", devTokenResponse{}, fmt.Errorf("permission %q is not of the form org:<feature>:<permission>", p)
			}
		}
		b.Org(req.OrgID, req.OrgSlug, role, req.Permissions...)
	}
	azp := req.AuthorizedParty
	if azp == "" && len(d.parties) > 0 {
		azp = d.parties[0]
	}
	if azp != "" {
		if err := checkOrigin(azp); err != nil {
			return "", devTokenResponse{}, fmt.Errorf("azp: %w", err)
		}
		b.AuthorizedParty(azp)
	}
	resp := devTokenResponse{ExpiresAt: now.Add(life).UTC().Format(time.RFC3339), UserID: req.UserID, SessionID: req.SessionID}
	return b.Sign(), resp, nil
}

// validDevID accepts 1 to devMaxIDBytes of [A-Za-z0-9_-].
func validDevID(s string) bool {
	if s == "" || len(s) > devMaxIDBytes {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '-')
	})
}

// handleWebhook signs a Clerk event with the dev secret and hands it to the webhook
// endpoint, as Svix would deliver it. "object" and "timestamp" are filled in when
// missing, so {"type":"user.deleted","data":{"id":"user_…"}} is enough.
func (d *devClerk) handleWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, devMaxWebhookBody))
	if err != nil {
		devBadRequest(w, r, "reading the body: "+err.Error())
		return
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil || env == nil {
		devBadRequest(w, r, "the body must be a Clerk event: a JSON object with type and data")
		return
	}
	if _, ok := env["type"]; !ok {
		devBadRequest(w, r, `the event has no "type"`)
		return
	}
	if _, ok := env["object"]; !ok {
		env["object"] = json.RawMessage(`"event"`)
	}
	if _, ok := env["timestamp"]; !ok {
		env["timestamp"] = json.RawMessage(fmt.Sprint(time.Now().UnixMilli()))
	}
	if body, err = json.Marshal(env); err != nil {
		devBadRequest(w, r, err.Error())
		return
	}
	signed := d.signer.Request(devWebhookPath, "", body).WithContext(r.Context())
	signed.RemoteAddr = r.RemoteAddr
	d.hooks.ServeHTTP(w, signed)
}

// devBadRequest answers 400 with a detail meant for the developer at the keyboard.
func devBadRequest(w http.ResponseWriter, r *http.Request, detail string) {
	orgctx.WriteFailure(w, r, orgctx.Failure{Status: http.StatusBadRequest, Code: orgctx.CodeInvalidRequest, Detail: detail})
}

// banner writes the DEV MODE banner: what runs, and curl commands that work as pasted.
func (d *devClerk) banner(w io.Writer, baseURL, database string) error {
	token, _, err := d.mint(devTokenRequest{
		UserID: d.demoUser, Email: "demo@example.com", FirstName: "Demo", LastName: "User",
		LifetimeSeconds: int(devDemoLifetime / time.Second),
	}, time.Now())
	if err != nil {
		return err
	}
	secret := "(from " + EnvWebhookSecret + ", not shown)"
	if d.secretGenerated {
		secret = d.secret + "  (generated for this run)"
	}
	tmpl, err := template.New("banner").Parse(bannerText)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	err = tmpl.Execute(&buf, map[string]string{
		"URL": baseURL, "Issuer": d.issuer.Issuer(), "JWKS": d.issuer.JWKSURL(), "Secret": secret,
		"Database": database, "Token": token, "DemoUser": d.demoUser, "KeyVars": keySourceVariablesInText,
	})
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// bannerText is the template of the DEV MODE banner.
const bannerText = `
==================================== DEV MODE ====================================
No key source is set ({{.KeyVars}}),
so this server runs a LOCAL FAKE CLERK and mints session tokens itself, for any user
you name. Never use it in production.

  console         {{.URL}}/   (open it in a browser: mint tokens, call the API, send webhooks, read the audit)
  server          {{.URL}}
  fake Clerk      issuer {{.Issuer}}
                  JWKS   {{.JWKS}}
  webhook secret  {{.Secret}}
  database        {{.Database}}

Who am I? (a token for the demo user {{.DemoUser}}, valid for one hour):

  curl -s -H "Authorization: Bearer {{.Token}}" {{.URL}}/api/auth_core/me/

More tokens: POST /dev/token, every field optional (user_id, session_id, email,
first_name, last_name, org_id, org_slug, role, permissions, lifetime_seconds, azp):

  TOKEN=$(curl -s {{.URL}}/dev/token -H 'Content-Type: application/json' -d '{"user_id":"user_alice","org_id":"org_acme","role":"org:admin"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
  curl -s -H "Authorization: Bearer $TOKEN" {{.URL}}/api/auth_core/orgs/org_acme/admin/

Webhooks, signed for you: POST /dev/webhook with a Clerk event. Deactivate the demo
user, and its next request is refused (403):

  curl -s {{.URL}}/dev/webhook -H 'Content-Type: application/json' -d '{"type":"user.deleted","data":{"id":"{{.DemoUser}}","deleted":true}}'

The /dev endpoints answer direct requests from this machine only: a loopback client
and Host, no proxy headers, a local Origin if any, and JSON bodies.
==================================================================================

`
