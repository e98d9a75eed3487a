//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/webhook"
)

const (
	appOrigin   = "https://app.example.com" // CLERK_AUTHORIZED_PARTIES and CORS_ALLOWED_ORIGINS
	otherOrigin = "https://evil.example.com"
	forwarded   = "203.0.113.7" // a client behind the trusted proxy (127.0.0.1)

	pathHealth  = "/api/auth_core/health/"
	pathMe      = "/api/auth_core/me/"
	pathWebhook = "/api/auth_core/webhooks/clerk/"
)

// membersPath and adminPath are the organization endpoints of org.
func membersPath(org string) string { return "/api/auth_core/orgs/" + org + "/members/" }
func adminPath(org string) string   { return "/api/auth_core/orgs/" + org + "/admin/" }

// fixture is the test's fake Clerk instance: its issuer, its webhook secret, and every
// token the test sent (none may ever appear in the server's output).
type fixture struct {
	iss    *clerkauthtest.Issuer
	secret string
	signer *clerkauthtest.WebhookSigner

	mu     sync.Mutex
	tokens []string
}

// newFixture starts a fake Clerk instance for one test.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{iss: clerkauthtest.NewIssuer(), secret: clerkauthtest.NewWebhookSecret()}
	t.Cleanup(f.iss.Close)
	f.signer = clerkauthtest.NewWebhookSigner(f.secret)
	return f
}

// env is the configuration of a server verifying this instance's tokens through its
// JWKS URL, on the given database.
func (f *fixture) env(databaseURL string) map[string]string {
	return map[string]string{
		"ADDR":                     "127.0.0.1:0",
		"CLERK_JWKS_URL":           f.iss.JWKSURL(),
		"CLERK_ISSUER":             f.iss.Issuer(),
		"CLERK_AUTHORIZED_PARTIES": appOrigin,
		"CLERK_WEBHOOK_SECRET":     f.secret,
		"DATABASE_URL":             databaseURL,
		"TRUSTED_PROXIES":          "127.0.0.1/32",
		"CORS_ALLOWED_ORIGINS":     appOrigin + ", http://localhost:3000",
	}
}

// sign signs b and remembers the token.
func (f *fixture) sign(b *clerkauthtest.TokenBuilder) string {
	tok := b.Sign()
	f.mu.Lock()
	f.tokens = append(f.tokens, tok)
	f.mu.Unlock()
	return tok
}

// user starts a token for user id, requested from the app's origin, with the profile
// claims a session token template adds.
func (f *fixture) user(id, email, first, last string) *clerkauthtest.TokenBuilder {
	return f.iss.Token().User(id).AuthorizedParty(appOrigin).
		Claim("email", email).Claim("first_name", first).Claim("last_name", last)
}

// event is the body of a Clerk webhook.
func event(t *testing.T, typ string, data any) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"type": typ, "object": "event", "timestamp": time.Now().UnixMilli(), "data": data,
	})
	require.NoError(t, err)
	return body
}

// deliver posts a webhook signed as Svix would, under message id msgID ("" for a fresh
// one).
func (f *fixture) deliver(s *server, msgID string, body []byte) (*http.Response, []byte) {
	if msgID == "" {
		msgID = clerkauthtest.NewID("msg_")
	}
	h := f.signer.Sign(msgID, time.Now(), body)
	h.Set("Content-Type", "application/json")
	return s.do(http.MethodPost, pathWebhook, h, body)
}

// webhookOK delivers an event and requires it to be applied.
func (f *fixture) webhookOK(t *testing.T, s *server, typ string, data any) {
	t.Helper()
	resp, body := f.deliver(s, "", event(t, typ, data))
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", typ, body)
	require.JSONEq(t, `{"status":"ok"}`, string(body), typ)
}

// clerkUser is the data of a user.created or user.updated event.
func clerkUser(id, email, first, last string) webhook.User {
	now := time.Now()
	return webhook.User{
		ID: id, Object: "user", FirstName: first, LastName: last,
		PrimaryEmailAddressID: "idn_" + id,
		EmailAddresses:        []webhook.EmailAddress{{ID: "idn_" + id, EmailAddress: email}},
		CreatedAt:             now.Add(-time.Hour), UpdatedAt: now,
	}
}

// membership is the data of an organizationMembership event.
func membership(orgID, userID, role string, perms ...string) webhook.Membership {
	now := time.Now()
	return webhook.Membership{
		ID: "orgmem_" + userID, Object: "organization_membership", Role: role, Permissions: perms,
		Organization:   webhook.Organization{ID: orgID, Object: "organization", Slug: "acme", Name: "Acme"},
		PublicUserData: webhook.PublicUserData{UserID: userID},
		CreatedAt:      now, UpdatedAt: now,
	}
}

// decode unmarshals a JSON body.
func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(body, &v), "%s", body)
	return v
}

// walk exercises every endpoint of a server configured by fixture.env, valid and invalid,
// then breaks its database (breakDB) to see the health check fail, stops it and checks
// the audit trail.
func walk(t *testing.T, s *server, f *fixture, breakDB func(t *testing.T)) {
	// Health, once the key set has loaded.
	require.JSONEq(t, `{"status":"healthy"}`, string(s.waitHealthy()))
	assert.NotContains(t, s.stderr.String(), "CLERK_AUTHORIZED_PARTIES is not set", "parties are set")

	// /me refuses anything but a valid session of this instance, from the app's origin.
	other := clerkauthtest.NewIssuer()
	defer other.Close()
	for name, tok := range map[string]string{
		"garbage":        "garbage",
		"malformed":      "a.b.c",
		"expired":        f.sign(f.user("user_x", "", "", "").ExpiresAt(time.Now().Add(-time.Minute))),
		"other instance": f.sign(other.Token().User("user_x").AuthorizedParty(appOrigin)),
		"forged":         f.sign(f.user("user_x", "", "", "").SignWith(clerkauthtest.NewKey().Private)),
		"no azp":         f.sign(f.iss.Token().User("user_x")),
		"foreign azp":    f.sign(f.iss.Token().User("user_x").AuthorizedParty(otherOrigin)),
	} {
		resp, body := s.get(pathMe, tok)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, name)
		assert.Equal(t, `Bearer realm="api", error="invalid_token"`, resp.Header.Get("WWW-Authenticate"), name)
		assert.NotContains(t, string(body), tok, name)
	}
	resp, body := s.get(pathMe, "")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, `Bearer realm="api"`, resp.Header.Get("WWW-Authenticate"))
	assert.JSONEq(t, `{"error":"unauthorized","detail":"authentication required"}`, string(body))

	// First request: the user is provisioned from the token's claims.
	alice := f.sign(f.user("user_alice", "alice@example.com", "Alice", "Liddell"))
	resp, body = s.get(pathMe, alice)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	require.JSONEq(t, `{"id":"user_alice","email":"alice@example.com","first_name":"Alice","last_name":"Liddell",
		"clerk_user_id":"user_alice","organization":null}`, string(body))
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))

	aliceAdmin := f.sign(f.user("user_alice", "alice@example.com", "Alice", "Liddell").
		Org("org_acme", "acme", "admin", "org:members:manage", "org:billing:read"))
	resp, body = s.get(pathMe, aliceAdmin)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	require.JSONEq(t, `{"id":"user_alice","email":"alice@example.com","first_name":"Alice","last_name":"Liddell",
		"clerk_user_id":"user_alice","organization":{"id":"org_acme","slug":"acme","role":"org:admin",
		"permissions":["org:members:manage","org:billing:read"]}}`, string(body))

	// A signed user.updated webhook changes what /me answers.
	f.webhookOK(t, s, "user.updated", clerkUser("user_alice", "alice@wonderland.example", "Alice", "Pleasance"))
	resp, body = s.get(pathMe, alice)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, `{"id":"user_alice","email":"alice@wonderland.example","first_name":"Alice","last_name":"Pleasance",
		"clerk_user_id":"user_alice","organization":null}`, string(body))

	// The webhook endpoint refuses what Svix would not send.
	created := event(t, "user.created", clerkUser("user_bob", "bob@example.com", "Bob", "Builder"))
	forged := clerkauthtest.NewWebhookSigner(clerkauthtest.NewWebhookSecret()).Sign("msg_forged", time.Now(), created)
	resp, _ = s.do(http.MethodPost, pathWebhook, forged, created)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "bad signature")
	resp, _ = s.do(http.MethodPost, pathWebhook, http.Header{}, created)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "no signature")
	resp, _ = s.get(pathWebhook, "")
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, http.MethodPost, resp.Header.Get("Allow"))
	huge := bytes.Repeat([]byte("x"), 1<<20+1) // over the webhook verifier's default limit, 1 MiB
	resp, _ = s.do(http.MethodPost, pathWebhook, f.signer.Sign("msg_huge", time.Now(), huge), huge)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	resp, body = f.deliver(s, "msg_bob_created", created)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, `{"status":"ok"}`, string(body))
	resp, body = f.deliver(s, "msg_bob_created", created) // Svix's retry of the same message
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, `{"status":"duplicate"}`, string(body))

	// Memberships arrive by webhook; the members endpoint lists them from the store.
	f.webhookOK(t, s, "organizationMembership.created", membership("org_acme", "user_alice", "org:admin", "org:members:manage"))
	f.webhookOK(t, s, "organizationMembership.created", membership("org_acme", "user_bob", "basic_member"))
	f.webhookOK(t, s, "organizationMembership.created", membership("org_acme", "user_carol", "org:member"))
	resp, body = s.get(membersPath("org_acme"), aliceAdmin)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	require.JSONEq(t, `{"organization_id":"org_acme","members":[
		{"user_id":"user_alice","role":"org:admin","permissions":["org:members:manage"]},
		{"user_id":"user_bob","role":"org:member","permissions":[]},
		{"user_id":"user_carol","role":"org:member","permissions":[]}]}`, string(body))
	f.webhookOK(t, s, "organizationMembership.deleted", membership("org_acme", "user_carol", "org:member"))

	bobMember := f.sign(f.user("user_bob", "bob@example.com", "Bob", "Builder").Org("org_acme", "acme", "member"))
	resp, body = s.get(membersPath("org_acme"), bobMember)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	require.Len(t, decode[struct{ Members []any }](t, body).Members, 2, "carol's membership was deleted")

	// The admin view adds profiles, for admins only.
	resp, body = s.get(adminPath("org_acme"), aliceAdmin)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	require.JSONEq(t, `{"organization_id":"org_acme","members":[
		{"user_id":"user_alice","role":"org:admin","permissions":["org:members:manage"],
		 "email":"alice@wonderland.example","first_name":"Alice","last_name":"Pleasance"},
		{"user_id":"user_bob","role":"org:member","permissions":[],
		 "email":"bob@example.com","first_name":"Bob","last_name":"Builder"}]}`, string(body))
	resp, body = s.get(adminPath("org_acme"), bobMember)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s", body)
	assert.Equal(t, `Bearer realm="api", error="insufficient_scope"`, resp.Header.Get("WWW-Authenticate"))

	// No active organization: 403; another organization's id: 404; no session: 401.
	for _, path := range []string{membersPath("org_acme"), adminPath("org_acme")} {
		resp, _ = s.get(path, alice)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, path)
		resp, _ = s.get(path, "")
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, path)
	}
	for _, path := range []string{membersPath("org_other"), adminPath("org_other")} {
		resp, _ = s.get(path, aliceAdmin)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}

	// session.revoked: that session's still-valid token is refused at once, not others.
	carolS1 := f.sign(f.user("user_carol", "carol@example.com", "Carol", "C").Session("sess_carol_1"))
	carolS2 := f.sign(f.user("user_carol", "carol@example.com", "Carol", "C").Session("sess_carol_2"))
	resp, _ = s.get(pathMe, carolS1)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	f.webhookOK(t, s, "session.revoked", webhook.Session{ID: "sess_carol_1", Object: "session", UserID: "user_carol",
		Status: "revoked", UpdatedAt: time.Now()})
	resp, _ = s.get(pathMe, carolS1)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "revoked session")
	resp, _ = s.get(pathMe, carolS2)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "another session of the same user")

	// user.deleted: the user's next request is refused at once, though the token and the
	// user cache were fresh.
	dave := f.sign(f.user("user_dave", "dave@example.com", "Dave", "D"))
	resp, _ = s.get(pathMe, dave)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	f.webhookOK(t, s, "user.deleted", webhook.DeletedObject{Object: "user", ID: "user_dave", Deleted: true})
	resp, body = s.get(pathMe, dave)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.JSONEq(t, `{"error":"access_denied","detail":"account deactivated"}`, string(body))

	// No dev endpoints outside dev mode.
	for _, path := range []string{"/dev/token", "/dev/webhook"} {
		resp, _ = s.do(http.MethodPost, path, http.Header{}, []byte(`{}`))
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}

	// CORS: the listed origins only, with credentials.
	withOrigin := func(origin string) http.Header {
		return http.Header{"Origin": {origin}, "Authorization": {"Bearer " + alice}}
	}
	resp, _ = s.do(http.MethodGet, pathMe, withOrigin(appOrigin), nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, appOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
	assert.Contains(t, resp.Header.Values("Vary"), "Origin")
	resp, _ = s.do(http.MethodGet, pathMe, withOrigin(otherOrigin), nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Credentials"))
	assert.Contains(t, resp.Header.Values("Vary"), "Origin")
	preflight := func(origin string) http.Header {
		return http.Header{"Origin": {origin}, "Access-Control-Request-Method": {"GET"},
			"Access-Control-Request-Headers": {"authorization"}}
	}
	resp, _ = s.do(http.MethodOptions, pathMe, preflight("http://localhost:3000"), nil)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "http://localhost:3000", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "GET")
	assert.Contains(t, strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "authorization") // names are case-insensitive
	assert.Equal(t, "600", resp.Header.Get("Access-Control-Max-Age"))
	resp, _ = s.do(http.MethodOptions, pathMe, preflight(otherOrigin), nil)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Methods"))

	// Behind the trusted proxy, the audit trail records the forwarded client.
	resp, _ = s.do(http.MethodGet, pathHealth, http.Header{"X-Forwarded-For": {forwarded}}, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// The database stops answering: the health check says so.
	breakDB(t)
	resp, body = s.get(pathHealth, "")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	health := decode[struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}](t, body)
	assert.Equal(t, "unhealthy", health.Status)
	assert.Equal(t, "failing", health.Checks["database"], "%s", body)
	assert.Equal(t, "ok", health.Checks["keys"], "%s", body)

	// SIGTERM: a graceful shutdown, exit status 0.
	require.Equal(t, 0, s.stop(), "exit status after SIGTERM; stderr:\n%s", s.stderr)
	assert.Contains(t, s.stderr.String(), "shut down cleanly")

	checkAudit(t, s, f)
}

// checkAudit checks the audit trail of a walk: stdout holds one JSON record per request
// and nothing else, with the status, the user of authenticated requests, and never a
// token or the webhook secret.
func checkAudit(t *testing.T, s *server, f *fixture) {
	t.Helper()
	records := s.stdout.Lines()
	require.Len(t, records, int(s.requests.Load()), "one audit line per request")
	usersSeen := map[string]bool{}
	forwardedSeen := false
	for _, line := range records {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "audit line is not JSON: %s", line)
		assert.Equal(t, "audit", rec["msg"], line)
		assert.NotZero(t, rec["http.response.status_code"], line)
		assert.NotEmpty(t, rec["http.request.id"], line)
		route, _ := rec["http.route"].(string)
		if rec["http.response.status_code"] == float64(http.StatusOK) && strings.Contains(route, "/me/") {
			user, _ := rec["user.id"].(string)
			assert.True(t, strings.HasPrefix(user, "user_"), "an authenticated request without user.id: %s", line)
			assert.Equal(t, "success", rec["event.outcome"], line)
			usersSeen[user] = true
		}
		if rec["client.address"] == forwarded {
			forwardedSeen = true
			assert.Equal(t, "127.0.0.1", rec["network.peer.address"], line)
		}
	}
	for _, u := range []string{"user_alice", "user_carol", "user_dave"} {
		assert.True(t, usersSeen[u], "no audit record of %s", u)
	}
	assert.True(t, forwardedSeen, "no audit record with the forwarded client address")

	output := s.stdout.String() + "\n" + s.stderr.String()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, tok := range f.tokens {
		if strings.Contains(output, tok) {
			t.Errorf("a token appears in the server's output: %.20s…", tok)
		}
	}
	assert.NotContains(t, output, f.secret, "the webhook secret appears in the server's output")
	assert.False(t, slices.ContainsFunc(s.stderr.Lines(), func(l string) bool { return strings.Contains(l, "level=ERROR") && !strings.Contains(l, "health") }),
		"unexpected errors in the log:\n%s", s.stderr)
}
