package audit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/audit/audittest"
)

// withContextValue is a middleware that replaces the request, as an
// authentication middleware does.
func withContextValue(next http.Handler) http.Handler {
	type k struct{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), k{}, 1)))
	})
}

func TestRoute(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /annotated/{id}", func(w http.ResponseWriter, r *http.Request) {
		audit.Annotate(r.Context(), func(rec *audit.Record) { rec.Route = "custom" })
	})
	outer := http.NewServeMux()
	outer.Handle("/api/", http.StripPrefix("/api", mux))

	for _, tc := range []struct {
		name, path, want string
		h                http.Handler
	}{
		{"mux directly inside", "/users/7", "GET /users/{id}", mux},
		{"request replaced, no CaptureRoute", "/users/7", "", withContextValue(mux)},
		{"request replaced, CaptureRoute", "/users/7", "GET /users/{id}", withContextValue(audit.CaptureRoute(mux))},
		{"no match", "/nope", "", withContextValue(audit.CaptureRoute(mux))},
		{"annotated route kept", "/annotated/1", "custom", withContextValue(audit.CaptureRoute(mux))},
		{"nested muxes record the outer pattern", "/api/users/7", "/api/", outer},
		{"nested muxes, CaptureRoute on inner", "/api/users/7", "GET /users/{id}", func() http.Handler {
			o := http.NewServeMux()
			o.Handle("/api/", http.StripPrefix("/api", audit.CaptureRoute(mux)))
			return o
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := record(t, tc.h, httptest.NewRequest("GET", tc.path, nil))
			assert.Equal(t, tc.want, got.Route)
		})
	}
}

func TestCaptureRouteWithoutMiddleware(t *testing.T) {
	mux := http.NewServeMux()
	called := false
	mux.HandleFunc("GET /x", func(http.ResponseWriter, *http.Request) { called = true })
	audit.CaptureRoute(mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil))
	require.True(t, called, "CaptureRoute did not call next")
}

func TestMiddlewareAsRouteHandler(t *testing.T) {
	// The audit middleware mounted inside a mux route sees r.Pattern on entry.
	var rec audittest.Recorder
	mux := http.NewServeMux()
	mux.Handle("GET /items/{id}", middleware(t, &rec)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/items/3", nil))
	r, ok := rec.Last()
	require.True(t, ok)
	assert.Equal(t, "GET /items/{id}", r.Route, "the mux pattern")
}
