package app

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Requests without a route get the module's refusal body; every other request, redirects
// included, is ServeMux's own answer, with r.Pattern set for the audit record.
func TestRefuseUnrouted(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/items/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	mux.HandleFunc("POST /api/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	})
	h := refuseUnrouted(mux)
	serve := func(method, target string) (*httptest.ResponseRecorder, *http.Request) {
		rec, req := httptest.NewRecorder(), httptest.NewRequest(method, target, nil)
		h.ServeHTTP(rec, req)
		return rec, req
	}

	t.Run("routed", func(t *testing.T) {
		rec, req := serve(http.MethodGet, "/api/items/")
		assert.Equal(t, http.StatusTeapot, rec.Code)
		assert.Equal(t, "GET /api/items/{$}", req.Pattern, "CaptureRoute reads it")
		rec, _ = serve(http.MethodPost, "/api/items/7")
		assert.Equal(t, http.StatusAccepted, rec.Code)
	})
	t.Run("redirect", func(t *testing.T) {
		rec, _ := serve(http.MethodGet, "/api/items")
		want := httptest.NewRecorder()
		mux.ServeHTTP(want, httptest.NewRequest(http.MethodGet, "/api/items", nil))
		require.GreaterOrEqual(t, want.Code, 300)
		require.Less(t, want.Code, 400)
		assert.Equal(t, want.Code, rec.Code)
		assert.Equal(t, want.Header().Get("Location"), rec.Header().Get("Location"))
	})
	for _, tc := range []struct {
		name, method, target string
		status               int
		body, allow          string
	}{
		{"no such path", http.MethodGet, "/nothing", http.StatusNotFound, `{"error":"not_found","detail":"not found"}`, ""},
		{"no such method", http.MethodDelete, "/api/items/", http.StatusMethodNotAllowed,
			`{"error":"method_not_allowed","detail":"method not allowed"}`, "GET, HEAD"},
		{"no such method, path value", http.MethodGet, "/api/items/7", http.StatusMethodNotAllowed,
			`{"error":"method_not_allowed","detail":"method not allowed"}`, "POST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, _ := serve(tc.method, tc.target)
			assert.Equal(t, tc.status, rec.Code)
			assert.JSONEq(t, tc.body, rec.Body.String())
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			assert.Equal(t, tc.allow, rec.Header().Get("Allow"))
			assert.Empty(t, rec.Header().Values("WWW-Authenticate"))
		})
	}
}
