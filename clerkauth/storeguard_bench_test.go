package clerkauth

import (
	"context"
	"sync"
	"testing"
	"time"
)

// BenchmarkStoreGuard compares a revocation check of an in-memory store called directly
// (the baseline) with the same check through guardedRead (the breaker and the
// StoreReadTimeout context), as the middleware makes it on every request: "x-direct" is
// the guard's cost relative to the fastest store there is; "guard-ns/op" minus
// "direct-ns/op" is its cost in absolute terms, what it adds to a Redis or SQL round trip.
func BenchmarkStoreGuard(b *testing.B) {
	var mu sync.Mutex
	revoked := map[string]time.Time{"sess_other": time.Now().Add(time.Hour)}
	check := func(ctx context.Context) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		mu.Lock()
		_, ok := revoked["sess_1"]
		mu.Unlock()
		return ok, nil
	}
	g := &breaker{now: time.Now}
	ctx := context.Background()
	direct := func() {
		if r, err := check(ctx); err != nil || r {
			b.Fatal(r, err)
		}
	}
	guarded := func() {
		if r, err := guardedRead(ctx, g, "revocations", check); err != nil || r {
			b.Fatal(r, err)
		}
	}
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			direct()
		}
	})
	b.Run("guard", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			guarded()
		}
	})
	b.Run("ratio", func(b *testing.B) {
		var base, subj time.Duration
		for b.Loop() {
			t0 := time.Now()
			direct()
			t1 := time.Now()
			guarded()
			subj += time.Since(t1)
			base += t1.Sub(t0)
		}
		b.ReportMetric(float64(subj)/float64(base), "x-direct")
		b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "direct-ns/op")
		b.ReportMetric(float64(subj.Nanoseconds())/float64(b.N), "guard-ns/op")
	})
}
