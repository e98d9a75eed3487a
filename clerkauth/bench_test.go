package clerkauth_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

// benchFixture is a realistic v2 session token with an active organization, and a
// verifier for it.
type benchFixture struct {
	iss   *clerkauthtest.Issuer
	token string
	v     *clerkauth.Verifier
	now   time.Time
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
	v, err := clerkauth.NewVerifier(clerkauth.Config{
		Keys: keys, Issuer: iss.Issuer(), AuthorizedParties: []string{"https://app.example.com"},
		Now: func() time.Time { return now },
	})
	if err != nil {
		b.Fatal(err)
	}
	return &benchFixture{iss: iss, token: token, v: v, now: now}
}

// BenchmarkVerify compares, in one run, the floor (SHA-256 and rsa.VerifyPKCS1v15 over
// the token's signing input: the work no verifier can skip) with Verify on the same
// token. The "x-floor" metric is Verify's time over the floor's.
func BenchmarkVerify(b *testing.B) {
	f := newBenchFixture(b)
	i := strings.LastIndexByte(f.token, '.')
	input := f.token[:i]
	sig, err := base64.RawURLEncoding.DecodeString(f.token[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	pub := &f.iss.SigningKey().Private.PublicKey
	floor := func() {
		h := sha256.Sum256([]byte(input))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
	}
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
	b.Run("floor", func(b *testing.B) {
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
		b.ReportMetric(float64(subj)/float64(base), "x-floor")
		b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "floor-ns/op")
		b.ReportMetric(float64(subj.Nanoseconds())/float64(b.N), "subject-ns/op")
	})
}
