package clerkauth_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/jwks"
)

// benchFixture is a realistic v2 session token with an active organization, and a
// verifier for it.
type benchFixture struct {
	iss    *clerkauthtest.Issuer
	token  string
	v      *clerkauth.Verifier // token cache off
	cached *clerkauth.Verifier // token cache on (the default)
	now    time.Time
}

func newBenchFixture(b *testing.B) *benchFixture {
	b.Helper()
	iss := clerkauthtest.NewIssuer()
	b.Cleanup(iss.Close)
	now := time.Unix(1_800_000_000, 0)
	iss.SetClock(func() time.Time { return now })
	token := iss.Token().AuthorizedParty("https://app.example.com").
		Org("org_2abcdefghijklmnopqrstuvwxyz", "acme", "admin", "org:posts:read", "org:posts:write", "org:billing:manage").
		Plan("o:pro").Sign()
	keys, err := jwks.ParseJSON(iss.JWKS())
	if err != nil {
		b.Fatal(err)
	}
	// The token cache is off: these benchmarks measure full verification; the cache has
	// its own (BenchmarkTokenCacheHit).
	v, err := clerkauth.NewVerifier(clerkauth.Config{
		Keys: keys, Issuer: iss.Issuer(), AuthorizedParties: []string{"https://app.example.com"},
		Now: func() time.Time { return now }, DisableTokenCache: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	cached, err := clerkauth.NewVerifier(clerkauth.Config{
		Keys: keys, Issuer: iss.Issuer(), AuthorizedParties: []string{"https://app.example.com"},
		Now: func() time.Time { return now },
	})
	if err != nil {
		b.Fatal(err)
	}
	return &benchFixture{iss: iss, token: token, v: v, cached: cached, now: now}
}

// floor returns the work no verifier can skip for f.token: SHA-256 of its signing input
// and rsa.VerifyPKCS1v15 over it. It is the baseline the ratios are measured against.
func (f *benchFixture) floor(b *testing.B) func() {
	i := strings.LastIndexByte(f.token, '.')
	input := f.token[:i]
	sig, err := base64.RawURLEncoding.DecodeString(f.token[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	pub := &f.iss.SigningKey().Private.PublicKey
	return func() {
		h := sha256.Sum256([]byte(input))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify compares, in one run, the floor (SHA-256 and rsa.VerifyPKCS1v15 over
// the token's signing input: the work no verifier can skip) with Verify on the same
// token. The "x-floor" metric is Verify's time over the floor's.
func BenchmarkVerify(b *testing.B) {
	f := newBenchFixture(b)
	floor := f.floor(b)
	verify := func() {
		if _, err := f.v.Verify(b.Context(), f.token); err != nil {
			b.Fatal(err)
		}
	}
	runRatio(b, floor, verify)
}

// runRatio measures baseline and subject three ways in one run: each alone (ns/op and
// allocs/op of its own), then interleaved, call after call, so that both see the same
// machine load; the interleaved sub-benchmark reports subject's time over baseline's as
// "x-floor".
func runRatio(b *testing.B, baseline, subject func()) {
	runRatioNamed(b, "floor", baseline, subject)
}

// runRatioNamed is runRatio with another name for the baseline ("x-<name>").
func runRatioNamed(b *testing.B, name string, baseline, subject func()) {
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
		b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), name+"-ns/op")
		b.ReportMetric(float64(subj.Nanoseconds())/float64(b.N), "subject-ns/op")
	})
}

// BenchmarkMiddleware compares the floor with the whole middleware serving an httptest
// request with the token in its Authorization header (extraction, verification, context,
// a trivial handler). The "x-floor" metric is the middleware's time over the floor's.
func BenchmarkMiddleware(b *testing.B) {
	f := newBenchFixture(b)
	floor := f.floor(b)
	h := f.v.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := clerkauth.SessionFromContext(r.Context()); !ok {
			b.Fatal("no session")
		}
	}))
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+f.token)
	w := &discardWriter{h: http.Header{}}
	serve := func() {
		h.ServeHTTP(w, req)
		if w.code != 0 {
			b.Fatalf("status %d", w.code)
		}
	}
	runRatio(b, floor, serve)
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// BenchmarkMiddlewareWithUsers compares the middleware without a store (the baseline) with
// the middleware with a users store whose cache knows the user: "x-no-store" is the cost of
// the store on the hot path.
func BenchmarkMiddlewareWithUsers(b *testing.B) {
	f := newBenchFixture(b)
	keys, err := jwks.ParseJSON(f.iss.JWKS())
	if err != nil {
		b.Fatal(err)
	}
	withUsers, err := clerkauth.NewVerifier(clerkauth.Config{
		Keys: keys, Issuer: f.iss.Issuer(), AuthorizedParties: []string{"https://app.example.com"},
		Now: func() time.Time { return f.now }, Users: newBenchUsers(), DisableTokenCache: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	plain, users := f.v.Middleware()(ok), withUsers.Middleware()(ok)
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+f.token)
	w := &discardWriter{h: http.Header{}}
	users.ServeHTTP(w, req) // provisions the user: the cache is warm from here on
	if w.code != 0 {
		b.Fatalf("status %d", w.code)
	}
	runRatioNamed(b, "no-store",
		func() { plain.ServeHTTP(w, req) },
		func() {
			users.ServeHTTP(w, req)
			if w.code != 0 {
				b.Fatalf("status %d", w.code)
			}
		})
}

// benchUsers is a map-backed store.Users; after the first request the cache answers.
type benchUsers struct {
	mu sync.Mutex
	m  map[string]store.User
}

func newBenchUsers() *benchUsers { return &benchUsers{m: map[string]store.User{}} }

func (s *benchUsers) GetUser(_ context.Context, id string) (*store.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.m[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	return &u, nil
}

func (s *benchUsers) UpsertUser(_ context.Context, u *store.User) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[u.ID] = *u
	return true, nil
}

func (s *benchUsers) DeactivateUser(context.Context, string, time.Time) (bool, error) {
	return false, nil
}

// BenchmarkTokenCacheHit compares the floor with Verify on a token the verifier has
// already verified (the default MemoryTokenCache answers): "x-floor" is the hit's time
// over the floor's; the goal is at least 20 times faster (x-floor ≤ 0.05).
func BenchmarkTokenCacheHit(b *testing.B) {
	f := newBenchFixture(b)
	floor := f.floor(b)
	if _, err := f.cached.Verify(b.Context(), f.token); err != nil { // fills the cache
		b.Fatal(err)
	}
	runRatio(b, floor, func() {
		if _, err := f.cached.Verify(b.Context(), f.token); err != nil {
			b.Fatal(err)
		}
	})
}
