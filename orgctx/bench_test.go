package orgctx_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/unioneyes/authkit/orgctx"
)

// BenchmarkGuard compares RequireAnyRole with a hand-written role check (the baseline:
// FromContext, the comparison, and http.Error for a refusal), on a request it lets
// through and on one it refuses: "x-hand" is the guard's time over the baseline's. The
// pass path must not allocate.
func BenchmarkGuard(b *testing.B) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	guard := orgctx.RequireAnyRole("admin")(next)
	hand := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if org, ok := orgctx.FromContext(r.Context()); !ok || org.Role != "org:admin" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, tc := range []struct {
		name string
		role string
		code int
	}{{"pass", "org:admin", 0}, {"refuse", "org:member", http.StatusForbidden}} {
		r := req.WithContext(orgctx.NewContext(req.Context(), orgctx.Org{ID: "org_1", Role: tc.role}))
		serve := func(h http.Handler) func() {
			return func() {
				w := &discardWriter{h: make(http.Header, 8)}
				h.ServeHTTP(w, r)
				if w.code != tc.code {
					b.Fatalf("status %d", w.code)
				}
			}
		}
		b.Run(tc.name, func(b *testing.B) { runRatio(b, "hand", serve(hand), serve(guard)) })
	}
}

// runRatio measures baseline and subject alone (ns/op and allocs/op of each), then
// interleaved, call after call, so that both see the same machine load; the interleaved
// sub-benchmark reports subject's time over baseline's as "x-<name>".
func runRatio(b *testing.B, name string, baseline, subject func()) {
	b.Run(name, func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			baseline()
		}
	})
	b.Run("subject", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			subject()
		}
	})
	b.Run("ratio", func(b *testing.B) {
		var base, subj time.Duration
		for b.Loop() {
			t0 := time.Now()
			baseline()
			t1 := time.Now()
			subject()
			subj += time.Since(t1)
			base += t1.Sub(t0)
		}
		b.ReportMetric(float64(subj)/float64(base), "x-"+name)
	})
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
