package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/clerkauth/machine"
)

// fakeBackendAPI stands in for Clerk's Backend API: it knows one API key with the
// reports:write scope and one M2M token without it.
func fakeBackendAPI(t *testing.T, secretKey string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		if r.Header.Get("Authorization") != "Bearer "+secretKey {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch {
		case r.URL.Path == "/v1/api_keys/verify" && body["secret"] == "ak_integration_key":
			fmt.Fprint(w, `{"object":"api_key","id":"ak_123","name":"CI","subject":"org_acme","scopes":["reports:write"],"revoked":false,"expired":false,"expiration":null}`)
		case r.URL.Path == "/v1/m2m_tokens/verify" && body["token"] == "mt_billing_token":
			fmt.Fprint(w, `{"object":"machine_to_machine_token","id":"mt_456","subject":"mch_billing","scopes":["mch_reports"],"revoked":false,"expired":false,"expiration":null}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"errors":[{"code":"resource_not_found"}]}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestService(t *testing.T) {
	clerk := clerkauthtest.NewIssuer()
	defer clerk.Close()
	writer, err := machine.GenerateAPIKey("svc_")
	require.NoError(t, err)
	reader, err := machine.GenerateAPIKey("svc_")
	require.NoError(t, err)
	backend := fakeBackendAPI(t, clerk.SecretKey())

	env := map[string]string{
		"CLERK_JWT_KEY":    clerk.PEM(),
		"CLERK_ISSUER":     clerk.Issuer(),
		"CLERK_SECRET_KEY": clerk.SecretKey(),
		"CLERK_API_URL":    backend.URL + "/v1",
		"SERVICE_API_KEY_HASHES": "reports-bot:" + machine.HashAPIKey(writer) + ":reports:write,reports:read;" +
			"dashboard:" + machine.HashAPIKey(reader) + ":reports:read",
	}
	cfg, err := loadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	require.NoError(t, err)
	v, closeKeys, err := newVerifier(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	defer closeKeys()
	var auditLog bytes.Buffer
	h, err := newHandler(v, &auditLog)
	require.NoError(t, err)
	session := clerk.Token().User("user_1").Sign()

	tests := []struct {
		name, method, path, token string
		want                      int
		wantKind, wantSubject     string
	}{
		{"session on whoami", "GET", "/v1/whoami", session, 200, "session_token", "user_1"},
		{"service key on whoami", "GET", "/v1/whoami", reader, 200, "service_account", "dashboard"},
		{"Clerk API key on whoami", "GET", "/v1/whoami", "ak_integration_key", 200, "api_key", "org_acme"},
		{"Clerk M2M token on whoami", "GET", "/v1/whoami", "mt_billing_token", 200, "m2m_token", "mch_billing"},
		{"unknown Clerk API key", "GET", "/v1/whoami", "ak_unknown", 401, "", ""},
		{"unknown service key", "GET", "/v1/whoami", "svc_guessed", 401, "", ""},
		{"no credential", "GET", "/v1/whoami", "", 401, "", ""},
		{"writer key creates a report", "POST", "/v1/reports", writer, 201, "service_account", "reports-bot"},
		{"Clerk API key with the scope", "POST", "/v1/reports", "ak_integration_key", 201, "api_key", "org_acme"},
		{"reader key lacks the scope", "POST", "/v1/reports", reader, 403, "", ""},
		{"M2M token lacks the scope", "POST", "/v1/reports", "mt_billing_token", 403, "", ""},
		{"a session is not a machine", "POST", "/v1/reports", session, 401, "", ""},
		{"no such route", "GET", "/v1/nothing", writer, 404, "", ""},
		{"another method", "DELETE", "/v1/whoami", writer, 405, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(`{"title":"Q3"}`))
			if tc.token != "" {
				r.Header.Set("Authorization", "Bearer "+tc.token)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			require.Equal(t, tc.want, w.Code, w.Body.String())
			if tc.want == http.StatusForbidden {
				assert.Contains(t, w.Header().Get("WWW-Authenticate"), `error="insufficient_scope"`)
			}
			if tc.want >= 400 {
				assertRefusal(t, w)
			}
			if tc.wantKind == "" {
				return
			}
			var body map[string]any
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
			if tc.path == "/v1/whoami" {
				assert.Equal(t, tc.wantKind, body["kind"])
				assert.Equal(t, tc.wantSubject, body["subject"])
			} else {
				assert.Equal(t, tc.wantKind, body["credential"])
				assert.Equal(t, tc.wantSubject, body["created_by"])
				assert.Equal(t, "Q3", body["title"])
			}
		})
	}

	// A body that is not a report is refused.
	r := httptest.NewRequest("POST", "/v1/reports", strings.NewReader(`{"name":"Q3"}`))
	r.Header.Set("Authorization", "Bearer "+writer)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assertRefusal(t, w)
	assert.JSONEq(t, `{"error":"invalid_request","detail":"want {\"title\":\"…\"}"}`, w.Body.String())

	// A machine token in the session cookie is refused.
	r = httptest.NewRequest("GET", "/v1/whoami", nil)
	r.AddCookie(&http.Cookie{Name: "__session", Value: writer})
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	assert.Equal(t, http.StatusUnauthorized, w.Code)

	// The audit trail names the credential kind, never the key.
	assert.Contains(t, auditLog.String(), `"authkit.principal.kind":"service_account"`)
	for _, secret := range []string{writer, reader, "ak_integration_key", "mt_billing_token", session} {
		assert.NotContains(t, auditLog.String(), secret)
	}
}

// assertRefusal checks that w is a refusal in authkit's one shape: a JSON body of exactly
// "error" and "detail".
func assertRefusal(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	var body map[string]string
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), w.Body.String())
	assert.Len(t, body, 2, w.Body.String())
	assert.NotEmpty(t, body["error"], w.Body.String())
	assert.NotEmpty(t, body["detail"], w.Body.String())
}

func TestParseAccounts(t *testing.T) {
	h1, h2 := machine.HashAPIKey("one"), machine.HashAPIKey("two")
	got, err := parseAccounts(" a:" + h1 + ":x:read,x:write ;\n b:" + h2 + " ")
	require.NoError(t, err)
	assert.Equal(t, []machine.ServiceAccount{
		{Name: "a", KeyHash: h1, Scopes: []string{"x:read", "x:write"}},
		{Name: "b", KeyHash: h2},
	}, got)
	got, err = parseAccounts("")
	require.NoError(t, err)
	assert.Empty(t, got)

	for _, bad := range []string{
		"a",                           // no hash
		"a:nothex",                    // not a hash
		"a:" + h1 + ";a:" + h2,        // duplicate name
		"a:" + h1 + ";b:" + h1,        // shared hash
		"a:" + h1 + ":x,,y",           // empty scope
		":" + h1,                      // no name
		"a:" + machine.HashAPIKey(""), // the empty key
		"a:" + h1 + ":read,read",      // duplicate scope
	} {
		_, err := parseAccounts(bad)
		assert.Error(t, err, bad)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	h := machine.HashAPIKey("k")
	for name, env := range map[string]map[string]string{
		"no machine credential": {"CLERK_PUBLISHABLE_KEY": "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k"},
		"no session keys":       {"SERVICE_API_KEY_HASHES": "a:" + h},
		"PEM without issuer":    {"SERVICE_API_KEY_HASHES": "a:" + h, "CLERK_JWT_KEY": "x"},
		"bad accounts":          {"SERVICE_API_KEY_HASHES": "a:zz", "CLERK_SECRET_KEY": "sk_test_TOPSECRET"},
	} {
		_, err := loadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		require.Error(t, err, name)
		assert.NotContains(t, err.Error(), "TOPSECRET", name)
	}
}

func TestGenKey(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, genKey(&out, []string{"reports-bot", "reports:write"}))
	lines := strings.Split(out.String(), "\n")
	require.GreaterOrEqual(t, len(lines), 4, out.String())
	key := strings.TrimSpace(lines[1])
	entry := strings.TrimSpace(lines[3])
	assert.True(t, strings.HasPrefix(key, "svc_"), key)
	assert.Equal(t, "reports-bot:"+machine.HashAPIKey(key)+":reports:write", entry)
	accounts, err := parseAccounts(entry)
	require.NoError(t, err)
	static, err := machine.NewStaticKeys(accounts...)
	require.NoError(t, err)
	p, err := static.VerifyMachineToken(context.Background(), key)
	require.NoError(t, err)
	assert.Equal(t, "reports-bot", p.Name)

	assert.Error(t, genKey(io.Discard, nil))
	assert.Error(t, genKey(io.Discard, []string{"bad name "}))
	assert.Error(t, genKey(io.Discard, []string{"a", "x,,y"}))
}
