package clerkauth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/unioneyes/authkit/clerkauth"
)

// BenchmarkMiddlewareRefusal compares net/http's own refusal (http.Error with a
// WWW-Authenticate header: the baseline) with the middleware refusing a request without
// credentials, its cheapest and most frequent refusal, with the default settings and with
// a realm of its own: "x-http-error" is the middleware's time over the baseline's.
func BenchmarkMiddlewareRefusal(b *testing.B) {
	f := newBenchFixture(b)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { b.Fatal("not refused") })
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	baseline := func() {
		w := &discardWriter{h: http.Header{}}
		w.h.Set("WWW-Authenticate", `Bearer realm="api"`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
	}
	for _, tc := range []struct {
		name string
		opts []clerkauth.MiddlewareOption
	}{{"default", nil}, {"realm", []clerkauth.MiddlewareOption{clerkauth.WithRealm("example")}}} {
		h := f.v.Middleware(tc.opts...)(next)
		b.Run(tc.name, func(b *testing.B) {
			runRatioNamed(b, "http-error", baseline, func() {
				w := &discardWriter{h: http.Header{}}
				h.ServeHTTP(w, req)
				if w.code != http.StatusUnauthorized {
					b.Fatalf("status %d", w.code)
				}
			})
		})
	}
}
