package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newDevApp builds the server in dev mode on an in-memory database.
func newDevApp(t *testing.T, extra env) (*App, *syncBuffer, *syncBuffer) {
	t.Helper()
	e := env{EnvAddr: "127.0.0.1:0", EnvDatabaseURL: "sqlite::memory:"}
	for k, v := range extra {
		e[k] = v
	}
	cfg, err := LoadConfig(e.lookup)
	require.NoError(t, err)
	var audit, logs, banner syncBuffer
	a, err := New(context.Background(), cfg, Options{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Audit: &audit, Banner: &banner,
	})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, a.Close()) })
	return a, &audit, &logs
}

// serve sends one request through the whole chain, from remote.
func serve(a *App, method, path, remote, token string, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = remote
	r.Host = "127.0.0.1:8000" // as a client on this machine sends it
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	a.Handler().ServeHTTP(w, r)
	return w
}

func TestAppDevMode(t *testing.T) {
	a, audit, logs := newDevApp(t, nil)
	const local = "127.0.0.1:50000"

	w := serve(a, "GET", "/api/auth_core/health/", local, "", "")
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"status":"healthy"}`, w.Body.String())

	// Only loopback clients may mint tokens.
	w = serve(a, "POST", "/dev/token", "192.0.2.10:40000", "", `{}`)
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Contains(t, w.Body.String(), "loopback clients only")
	w = serve(a, "POST", "/dev/webhook", "[2001:db8::1]:40000", "", `{}`)
	assert.Equal(t, http.StatusForbidden, w.Code)

	w = serve(a, "POST", "/dev/token", local, "", `{"user_id":"user_bob","email":"bob@example.com","org_id":"org_1","role":"admin"}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var minted devTokenResponse
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &minted))

	w = serve(a, "GET", "/api/auth_core/me/", local, minted.Token, "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.JSONEq(t, `{"id":"user_bob","email":"bob@example.com","first_name":"","last_name":"","clerk_user_id":"user_bob",
		"organization":{"id":"org_1","slug":"org_1","role":"org:admin","permissions":[]}}`, w.Body.String())

	// A membership by signed webhook, then the admin view.
	w = serve(a, "POST", "/dev/webhook", local, "", `{"type":"organizationMembership.created","data":{"id":"orgmem_1",
		"role":"org:admin","organization":{"id":"org_1"},"public_user_data":{"user_id":"user_bob"},"updated_at":1700000000000}}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = serve(a, "GET", "/api/auth_core/orgs/org_1/admin/", local, minted.Token, "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.JSONEq(t, `{"organization_id":"org_1","members":[{"user_id":"user_bob","role":"org:admin","permissions":[],
		"email":"bob@example.com","first_name":"","last_name":""}]}`, w.Body.String())

	for body, want := range map[string]string{
		`[]`:                            "a Clerk event",
		`{"data":{}}`:                   "the event has no",
		`not json`:                      "a Clerk event",
		`{"type":"x"`:                   "a Clerk event",
		`{"type":"x","object":"event"}`: "",
	} {
		w = serve(a, "POST", "/dev/webhook", local, "", body)
		if want == "" {
			assert.Equal(t, http.StatusOK, w.Code, body) // an unknown type is acknowledged
			continue
		}
		assert.Equal(t, http.StatusBadRequest, w.Code, body)
		assert.Contains(t, w.Body.String(), want, body)
	}

	w = serve(a, "POST", "/dev/webhook", local, "", `{"type":"user.deleted","data":{"id":"user_bob"}}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = serve(a, "GET", "/api/auth_core/me/", local, minted.Token, "")
	assert.Equal(t, http.StatusForbidden, w.Code)

	assert.NotContains(t, audit.String(), minted.Token)
	assert.NotContains(t, logs.String(), minted.Token)
	assert.Contains(t, logs.String(), "DEV MODE")
}

// Serve listens where ADDR says, reports the URL and shuts down when the context ends.
func TestServe(t *testing.T) {
	cfg, err := LoadConfig(env{EnvAddr: "127.0.0.1:0", EnvDatabaseURL: "sqlite::memory:"}.lookup)
	require.NoError(t, err)
	var banner syncBuffer
	ready := make(chan string, 1)
	a, err := New(context.Background(), cfg, Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Audit: io.Discard, Banner: &banner,
		Ready: func(u string) { ready <- u },
	})
	require.NoError(t, err)
	defer a.Close()

	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx) }()
	var url string
	select {
	case url = <-ready:
	case err := <-served:
		t.Fatal(err)
	}
	assert.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), url)
	resp, err := http.Get(url + "/api/auth_core/health/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, banner.String(), url+"/api/auth_core/me/")

	cancel()
	select {
	case err := <-served:
		assert.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after the context ended")
	}
	_, err = http.Get(url + "/api/auth_core/health/")
	assert.Error(t, err, "still listening after shutdown")
}

// A database that cannot be opened fails New, closing what was opened.
func TestNewFailsOnDatabase(t *testing.T) {
	cfg, err := LoadConfig(env{EnvDatabaseURL: "sqlite:" + t.TempDir() + "/missing/a.db"}.lookup)
	require.NoError(t, err)
	_, err = New(context.Background(), cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	assert.ErrorContains(t, err, "database sqlite:")
}

func TestBaseURL(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8000}, "http://127.0.0.1:8000"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8000}, "http://[::1]:8000"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8000}, "http://localhost:8000"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 41234}, "http://localhost:41234"},
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 80}, "http://192.0.2.1:80"},
	} {
		assert.Equal(t, tc.want, baseURL(tc.addr))
	}
}
