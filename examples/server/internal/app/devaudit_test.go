package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/audit/audittest"
)

// The ring is an audit sink like any other: it passes the conformance kit (with room for
// the kit's 200 concurrent records).
func TestAuditRingConformance(t *testing.T) {
	audittest.Run(t, func(t *testing.T) (audit.Sink, func() []map[string]any) {
		ring := newAuditRing(1000)
		return ring, func() []map[string]any {
			recs := ring.Records()
			var lines bytes.Buffer
			for i := len(recs) - 1; i >= 0; i-- { // oldest first
				lines.Write(recs[i])
				lines.WriteByte('\n')
			}
			maps, err := audittest.JSONLines(lines.Bytes())
			require.NoError(t, err)
			return maps
		}
	})
}

// The ring keeps the last records, newest first, and leaves out the console's own
// requests.
func TestAuditRing(t *testing.T) {
	ring := newAuditRing(devAuditRecords)
	ids := func() []string {
		var out []string
		for _, raw := range ring.Records() {
			var m map[string]any
			require.NoError(t, json.Unmarshal(raw, &m))
			id, _ := m["http.request.id"].(string)
			out = append(out, id)
		}
		return out
	}
	assert.Empty(t, ring.Records())
	write := func(route string, n int) {
		rec := &audit.Record{Method: "GET", Route: route, Path: "/x", Status: 200, RequestID: fmt.Sprint("req_", n)}
		require.NoError(t, ring.Write(context.Background(), rec))
	}
	write("GET /api/auth_core/me/{$}", 0)
	write("GET /api/auth_core/me/{$}", 1)
	assert.Equal(t, []string{"req_1", "req_0"}, ids())

	for _, route := range []string{routeConsolePage, routeConsoleScript, routeConsoleStyle, routeDevAudit} {
		write(route, 99)
	}
	assert.Equal(t, []string{"req_1", "req_0"}, ids(), "the console's own requests are left out")

	for n := 2; n < 130; n++ {
		write("", n)
	}
	got := ids()
	require.Len(t, got, devAuditRecords)
	assert.Equal(t, "req_129", got[0])
	assert.Equal(t, "req_30", got[devAuditRecords-1])
}

// GET /dev/audit serves the last records to the console, in dev mode, to this machine
// only; never a token.
func TestDevAuditEndpoint(t *testing.T) {
	a, _, _ := newDevApp(t, nil)
	const local = "127.0.0.1:50000"
	w := serve(a, "POST", "/dev/token", local, "", `{"user_id":"user_audit"}`)
	require.Equal(t, http.StatusOK, w.Code)
	var minted devTokenResponse
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &minted))
	require.Equal(t, http.StatusOK, serve(a, "GET", "/api/auth_core/me/", local, minted.Token, "").Code)
	require.Equal(t, http.StatusUnauthorized, serve(a, "GET", "/api/auth_core/me/", local, "", "").Code)

	w = serve(a, "GET", "/dev/audit", local, "", "")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	assert.NotContains(t, w.Body.String(), minted.Token)
	var resp struct {
		Records []map[string]any `json:"records"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
	require.Len(t, resp.Records, 3, "the token, /me twice; not /dev/audit itself")
	assert.EqualValues(t, 401, resp.Records[0]["http.response.status_code"])
	assert.Equal(t, "failure", resp.Records[0]["event.outcome"])
	assert.EqualValues(t, 200, resp.Records[1]["http.response.status_code"])
	assert.Equal(t, "user_audit", resp.Records[1]["user.id"])
	assert.Equal(t, "/dev/token", resp.Records[2]["url.path"])

	// Guarded like the other dev endpoints.
	r := devRequest("GET", "/dev/audit")
	r.Host = "evil.example:8000"
	w = httptestServe(a, r)
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.False(t, strings.Contains(w.Body.String(), "records"))
	w = serve(a, "GET", "/dev/audit", "192.0.2.1:4000", "", "")
	assert.Equal(t, http.StatusForbidden, w.Code)

	// Outside dev mode there is no such endpoint.
	prod := newPEMApp(t, nil)
	assert.Equal(t, http.StatusNotFound, serve(prod, "GET", "/dev/audit", local, "", "").Code)
}
