package clerkauth_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
)

// BenchmarkBackendAPI compares a cached verification (the baseline: no call to Clerk)
// with a cold one, a new token each time, against a local fake of the Backend API over
// loopback HTTP. "x-cache-hit" is the cold call's time over the cache hit's; against
// the real Backend API the cold call adds a network round trip on top.
func BenchmarkBackendAPI(b *testing.B) {
	var hits atomic.Int64
	clerk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"object":"api_key","id":"ak_0123456789abcdef0123456789abcdef","type":"api_key",`+
			`"name":"CI","subject":"org_2abc","scopes":["builds:read","builds:write"],"claims":{"env":"prod"},`+
			`"revoked":false,"revocation_reason":null,"expired":false,"expiration":null}`)
	}))
	b.Cleanup(clerk.Close)
	backend, err := clerkauth.NewBackendAPI(clerkauth.BackendAPIConfig{
		SecretKey: "sk_test_bench", URL: clerk.URL + "/v1", CacheSize: 1 << 20,
		Logger: slog.New(slog.DiscardHandler),
		// Cold calls are measured here, not the limits (BenchmarkBackendAPIFlood).
		MaxCallsPerSecond: 1e9, MaxConcurrentCalls: 1 << 10,
	})
	if err != nil {
		b.Fatal(err)
	}
	const hot = "ak_hot_2b8c0e0f5d6a4b1c9e7f3a2d1c0b9a8f"
	if _, err := backend.VerifyMachineToken(b.Context(), hot); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	hit := func() {
		if _, err := backend.VerifyMachineToken(b.Context(), hot); err != nil {
			b.Fatal(err)
		}
	}
	cold := func() {
		if _, err := backend.VerifyMachineToken(b.Context(), "ak_cold_"+strconv.FormatInt(n.Add(1), 10)); err != nil {
			b.Fatal(err)
		}
	}
	before := hits.Load()
	runRatioNamed(b, "cache-hit", hit, cold)
	if got := hits.Load() - before; got != n.Load() {
		b.Fatalf("%d calls for %d cold verifications: cache hits reached the server", got, n.Load())
	}
}

// BenchmarkBackendAPIFlood compares a cached verification (the baseline) with the
// refusal of a made-up token once the calls-per-second budget is spent: what each
// request of a flood of distinct tokens costs. "x-cache-hit" is the refusal's time over
// the cache hit's; no call reaches the fake Backend API during either.
func BenchmarkBackendAPIFlood(b *testing.B) {
	var hits atomic.Int64
	clerk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"object":"api_key","id":"ak_0123456789abcdef0123456789abcdef","type":"api_key",`+
			`"name":"CI","subject":"org_2abc","scopes":["builds:read","builds:write"],"claims":{"env":"prod"},`+
			`"revoked":false,"revocation_reason":null,"expired":false,"expiration":null}`)
	}))
	b.Cleanup(clerk.Close)
	// A stopped clock: the cached token never expires, the spent budget never refills.
	stopped := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
	backend, err := clerkauth.NewBackendAPI(clerkauth.BackendAPIConfig{
		SecretKey: "sk_test_bench", URL: clerk.URL + "/v1", CacheSize: 1 << 20,
		Logger:            slog.New(slog.DiscardHandler),
		MaxCallsPerSecond: 1, MaxCallBurst: 1,
		Now: func() time.Time { return stopped },
	})
	if err != nil {
		b.Fatal(err)
	}
	const hot = "ak_hot_2b8c0e0f5d6a4b1c9e7f3a2d1c0b9a8f"
	if _, err := backend.VerifyMachineToken(b.Context(), hot); err != nil { // the burst's only call
		b.Fatal(err)
	}
	var n atomic.Int64
	hit := func() {
		if _, err := backend.VerifyMachineToken(b.Context(), hot); err != nil {
			b.Fatal(err)
		}
	}
	refused := func() {
		_, err := backend.VerifyMachineToken(b.Context(), "ak_flood_"+strconv.FormatInt(n.Add(1), 10))
		if !errors.Is(err, clerkauth.ErrBackendAPIRateLimited) {
			b.Fatalf("a flooding token: %v, want ErrBackendAPIRateLimited", err)
		}
	}
	runRatioNamed(b, "cache-hit", hit, refused)
	if got := hits.Load(); got != 1 {
		b.Fatalf("%d calls reached the Backend API, want 1", got)
	}
}

// BenchmarkStaticAPIKeys compares the floor (the SHA-256 of the key, which any
// verification of a hashed key must compute) with StaticAPIKeys holding 1 and 20
// accounts, the matching one last. "x-sha256" is the verification's time over the floor's.
func BenchmarkStaticAPIKeys(b *testing.B) {
	for _, accounts := range []int{1, 20} {
		b.Run(fmt.Sprintf("accounts=%d", accounts), func(b *testing.B) {
			list := make([]clerkauth.ServiceAccount, accounts)
			var key string
			for i := range list {
				k, err := clerkauth.GenerateAPIKey("svc_")
				if err != nil {
					b.Fatal(err)
				}
				key = k
				list[i] = clerkauth.ServiceAccount{Name: fmt.Sprint("svc-", i), KeyHash: clerkauth.HashAPIKey(k),
					Scopes: []string{"jobs:read", "jobs:write"}}
			}
			s, err := clerkauth.NewStaticAPIKeys(list...)
			if err != nil {
				b.Fatal(err)
			}
			var sink [sha256.Size]byte
			floor := func() { sink = sha256.Sum256([]byte(key)) }
			verify := func() {
				if _, err := s.VerifyMachineToken(b.Context(), key); err != nil {
					b.Fatal(err)
				}
			}
			runRatioNamed(b, "sha256", floor, verify)
			_ = sink
		})
	}
}
