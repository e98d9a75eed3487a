package webhook_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/webhook"
)

// Published vectors: the canonical test vector of the Svix and Standard Webhooks
// libraries (V-A) and variants of it.
const (
	secretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // V-A, 24 key bytes
	idA     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	tsA     = 1614265330
	bodyA   = `{"test": 2432232314}`
	sigA    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

	secretB = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD" // V-B
	idB     = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"
	tsB     = 1649367553
	bodyB   = `{"email":"test@example.com","username":"test_user"}`
	sigB    = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="

	secretD = "whsec_plJ3nmyCDGBKInavdOK15jsl" // V-D, only 18 key bytes
	idD     = "msg_loFOjxBNrRLzqYUf"
	tsD     = 1731705121
	bodyD   = `{"event_type":"ping","data":{"success":true}}`
	sigD    = "v1,rAvfW3dJ/X/qxhsaXPOyyCGmRKsaKWcsNccKXlIktD0="

	sigE = "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="

	// V-A's message under V-B's secret (computed independently in Go and Python).
	sigAUnderB = "v1,78nXHjpFP0tVJQW5D0SBwmVyyW87BV/rL6MgfM/Bw44="

	// The Standard Webhooks spec's example message under V-A's secret (computed in Go and
	// Python; the spec's own example signature is illustrative only).
	idSpec   = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
	tsSpec   = 1674087231
	bodySpec = `{"type":"contact.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"1f81eb52-5198-4599-803e-771906343485"}}`
	sigSpec  = "v1,ARw42xaAApl/nxRo+iPGYwSaMQaOwMo2eyH5JBRA+bQ="

	wrongSig = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
)

// headerNames are the two header families a verifier must accept.
var headerNames = map[string][3]string{
	"svix":    {"svix-id", "svix-timestamp", "svix-signature"},
	"webhook": {"webhook-id", "webhook-timestamp", "webhook-signature"},
}

func headers(family, id, ts, sig string) http.Header {
	n := headerNames[family]
	h := http.Header{}
	for i, v := range []string{id, ts, sig} {
		if v != "" {
			h.Set(n[i], v)
		}
	}
	return h
}

func fixedClock(unix int64) func() time.Time {
	return func() time.Time { return time.Unix(unix, 0) }
}

func sign(t testing.TB, secret, id string, ts int64, body []byte) string {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	sig, err := wh.Sign(id, time.Unix(ts, 0), body)
	require.NoError(t, err)
	return sig
}

func newVerifier(t testing.TB, cfg webhook.VerifierConfig) *webhook.Verifier {
	t.Helper()
	v, err := webhook.NewVerifier(cfg)
	require.NoError(t, err)
	return v
}

func TestVerifyVectors(t *testing.T) {
	t.Parallel()
	mib := bytes.Repeat([]byte("a"), 1<<20)
	tests := []struct {
		name    string
		secrets []string
		minKey  int
		id      string
		ts      string
		sig     string
		body    []byte
		now     int64
		want    error // nil: verifies
	}{
		// Valid vectors.
		{name: "V-A", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: sigA, body: []byte(bodyA), now: tsA},
		{name: "V-B", secrets: []string{secretB}, id: idB, ts: "1649367553", sig: sigB, body: []byte(bodyB), now: tsB},
		{name: "V-C 1 MiB", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: "v1,txpEUxqWZJ5nteTnymUVa+7C4NHpBeXJ6CsBAW0c3/A=", body: mib, now: tsA},
		{name: "V-C 256 KiB", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: "v1,Mw4Pe2WgApuT7NSqnSq0PQPV9gbLdggCl9B865x5Xh0=", body: mib[:262144], now: tsA},
		{name: "V-C 262143", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: "v1,NTItnqyWMoFhk2Bbe5V/BMdcFRWgcSQaTgqLHX7FC7c=", body: mib[:262143], now: tsA},
		{name: "V-D 18-byte key, minimum lowered", secrets: []string{secretD}, minKey: 18, id: idD, ts: "1731705121", sig: sigD, body: []byte(bodyD), now: tsD},
		{name: "spec example message", secrets: []string{secretA}, id: idSpec, ts: "1674087231", sig: sigSpec, body: []byte(bodySpec), now: tsSpec},
		{name: "V-A under V-B secret", secrets: []string{secretB}, id: idA, ts: "1614265330", sig: sigAUnderB, body: []byte(bodyA), now: tsA},
		{name: "multi-signature, one valid", secrets: []string{secretA}, id: idA, ts: "1614265330",
			sig: wrongSig + " v2," + wrongSig[3:] + " " + sigA + " " + wrongSig, body: []byte(bodyA), now: tsA},
		{name: "two secrets, only the second matches", secrets: []string{secretB, secretA}, id: idA, ts: "1614265330", sig: sigA, body: []byte(bodyA), now: tsA},
		{name: "two secrets, only the first matches", secrets: []string{secretA, secretB}, id: idA, ts: "1614265330", sig: sigA, body: []byte(bodyA), now: tsA},

		// Invalid signatures.
		{name: "wrong signature", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: wrongSig, body: []byte(bodyA), now: tsA, want: webhook.ErrNoMatchingSignature},
		{name: "one char changed", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=", body: []byte(bodyA), now: tsA, want: webhook.ErrNoMatchingSignature},
		{name: "wrong secret", secrets: []string{secretB}, id: idA, ts: "1614265330", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrNoMatchingSignature},
		{name: "unknown version only", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: "v2," + sigA[3:], body: []byte(bodyA), now: tsA, want: webhook.ErrNoMatchingSignature},
		{name: "V-E v1a only", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: sigE, body: []byte(bodyA), now: tsA, want: webhook.ErrNoMatchingSignature},
		{name: "multi-signature, none valid", secrets: []string{secretB}, id: idB, ts: "1649367553",
			sig:  "v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ= v1,Mm7xgUVICxZfQ3bgf0h0Dof65L/IFx+PnZvnDWPCX6Q= v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE=",
			body: []byte(bodyB), now: tsB, want: webhook.ErrNoMatchingSignature},
		{name: "partial signature", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: "v1,", body: []byte(bodyA), now: tsA, want: webhook.ErrNoMatchingSignature},
		{name: "unpadded base64", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: strings.TrimSuffix(sigA, "="), body: []byte(bodyA), now: tsA, want: webhook.ErrNoMatchingSignature},
		{name: "no version", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: sigA[3:], body: []byte(bodyA), now: tsA, want: webhook.ErrNoMatchingSignature},
		{name: "tampered body", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: sigA, body: []byte(`{"test": 2432232315}`), now: tsA, want: webhook.ErrNoMatchingSignature},
		{name: "re-serialized body", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: sigA, body: []byte(`{"test":2432232314}`), now: tsA, want: webhook.ErrNoMatchingSignature},
		{name: "timestamp header changed", secrets: []string{secretA}, id: idA, ts: "1614265331", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrNoMatchingSignature},
		{name: "message id changed", secrets: []string{secretA}, id: idA + "x", ts: "1614265330", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrNoMatchingSignature},
		{name: "V-D signature under V-A secret", secrets: []string{secretA}, id: idD, ts: "1731705121", sig: sigD, body: []byte(bodyD), now: tsD, want: webhook.ErrNoMatchingSignature},

		// Timestamp window, integer seconds, both directions.
		{name: "now = ts+300", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: sigA, body: []byte(bodyA), now: tsA + 300},
		{name: "now = ts+301", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: sigA, body: []byte(bodyA), now: tsA + 301, want: webhook.ErrTimestampTooOld},
		{name: "now = ts-300", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: sigA, body: []byte(bodyA), now: tsA - 300},
		{name: "now = ts-301", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: sigA, body: []byte(bodyA), now: tsA - 301, want: webhook.ErrTimestampTooNew},
		{name: "too old beats a bad signature", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: wrongSig, body: []byte(bodyA), now: tsA + 3600, want: webhook.ErrTimestampTooOld},

		// Timestamp syntax.
		{name: "timestamp notanumber", secrets: []string{secretA}, id: idA, ts: "notanumber", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrInvalidTimestamp},
		{name: "timestamp with plus sign", secrets: []string{secretA}, id: idA, ts: "+1614265330", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrInvalidTimestamp},
		{name: "timestamp with minus sign", secrets: []string{secretA}, id: idA, ts: "-1614265330", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrInvalidTimestamp},
		{name: "timestamp with leading space", secrets: []string{secretA}, id: idA, ts: " 1614265330", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrInvalidTimestamp},
		{name: "timestamp with leading zero", secrets: []string{secretA}, id: idA, ts: "01614265330", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrInvalidTimestamp},
		{name: "fractional timestamp", secrets: []string{secretA}, id: idA, ts: "1614265330.5", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrInvalidTimestamp},
		{name: "timestamp in milliseconds is too new", secrets: []string{secretA}, id: idA, ts: "1614265330000", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrTimestampTooNew},
		{name: "huge timestamp", secrets: []string{secretA}, id: idA, ts: strings.Repeat("9", 40), sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrInvalidTimestamp},
		{name: "19-digit timestamp", secrets: []string{secretA}, id: idA, ts: "9223372036854775807", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrInvalidTimestamp},

		// Missing headers.
		{name: "missing id", secrets: []string{secretA}, ts: "1614265330", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrMissingHeaders},
		{name: "missing timestamp", secrets: []string{secretA}, id: idA, sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrMissingHeaders},
		{name: "missing signature", secrets: []string{secretA}, id: idA, ts: "1614265330", body: []byte(bodyA), now: tsA, want: webhook.ErrMissingHeaders},
		{name: "no headers", secrets: []string{secretA}, body: []byte(bodyA), now: tsA, want: webhook.ErrMissingHeaders},

		// Message ids.
		{name: "id with a dot", secrets: []string{secretA}, id: "msg.1", ts: "1614265330", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrInvalidMessageID},
		{name: "id with a space", secrets: []string{secretA}, id: "msg 1", ts: "1614265330", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrInvalidMessageID},
		{name: "id with a control char", secrets: []string{secretA}, id: "msg\x01", ts: "1614265330", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrInvalidMessageID},
		{name: "id with non-ASCII", secrets: []string{secretA}, id: "msg_é", ts: "1614265330", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrInvalidMessageID},
		{name: "id of 257 bytes", secrets: []string{secretA}, id: strings.Repeat("m", 257), ts: "1614265330", sig: sigA, body: []byte(bodyA), now: tsA, want: webhook.ErrInvalidMessageID},

		// Body size.
		{name: "body over the default limit", secrets: []string{secretA}, id: idA, ts: "1614265330", sig: sigA, body: append(mib[:len(mib):len(mib)], 'a'), now: tsA, want: webhook.ErrBodyTooLarge},
	}
	for _, tc := range tests {
		for family := range headerNames {
			t.Run(tc.name+"/"+family, func(t *testing.T) {
				t.Parallel()
				v := newVerifier(t, webhook.VerifierConfig{Secrets: tc.secrets, MinKeyBytes: tc.minKey, Now: fixedClock(tc.now)})
				err := v.Verify(headers(family, tc.id, tc.ts, tc.sig), tc.body)
				if tc.want == nil {
					require.NoError(t, err)
					return
				}
				require.ErrorIs(t, err, tc.want)
				assert.True(t, strings.HasPrefix(err.Error(), "webhook: "), "error %q lacks the package prefix", err)
				if tc.sig != "" && len(tc.sig) > 3 {
					assert.NotContains(t, err.Error(), tc.sig[3:], "the error carries the signature")
				}
			})
		}
	}
}

func TestVerifyHeaderSets(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, webhook.VerifierConfig{Secrets: []string{secretA}, Now: fixedClock(tsA)})
	body := []byte(bodyA)
	ts := strconv.Itoa(tsA)
	tests := []struct {
		name string
		h    http.Header
		want error
	}{
		{"both families, agreeing", func() http.Header {
			h := headers("svix", idA, ts, sigA)
			h.Set("webhook-id", idA)
			h.Set("webhook-timestamp", ts)
			h.Set("webhook-signature", sigA)
			return h
		}(), nil},
		{"both families, ids disagree", func() http.Header {
			h := headers("svix", idA, ts, sigA)
			h.Set("webhook-id", "msg_other")
			return h
		}(), webhook.ErrInvalidHeaders},
		{"both families, signatures disagree", func() http.Header {
			h := headers("webhook", idA, ts, wrongSig)
			h.Set("svix-signature", sigA)
			return h
		}(), webhook.ErrInvalidHeaders},
		{"one family per header", func() http.Header {
			h := headers("svix", idA, "", "")
			h.Set("webhook-timestamp", ts)
			h.Set("webhook-signature", sigA)
			return h
		}(), nil},
		{"repeated header, same value", func() http.Header {
			h := headers("svix", idA, ts, sigA)
			h.Add("svix-signature", sigA)
			return h
		}(), nil},
		{"repeated header, different values", func() http.Header {
			h := headers("svix", idA, ts, wrongSig)
			h.Add("svix-signature", sigA)
			return h
		}(), webhook.ErrInvalidHeaders},
		{"empty svix value next to a webhook value", func() http.Header {
			h := headers("webhook", idA, ts, sigA)
			h.Set("svix-id", "")
			return h
		}(), webhook.ErrInvalidHeaders},
		{"empty values only", func() http.Header {
			h := headers("svix", idA, ts, sigA)
			h.Set("svix-id", "")
			return h
		}(), webhook.ErrMissingHeaders},
		{"non-canonical keys (header literal)", http.Header{
			"svix-id": {idA}, "svix-timestamp": {ts}, "SVIX-SIGNATURE": {sigA},
		}, nil},
		{"non-canonical webhook keys", http.Header{
			"webhook-id": {idA}, "webhook-timestamp": {ts}, "webhook-signature": {sigA},
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := v.Verify(tc.h, body)
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
}

// The signature header is refused above MaxSignatureHeaderBytes, before
// any HMAC is computed: even a header holding the right signature.
func TestVerifySignatureHeaderBound(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, webhook.VerifierConfig{Secrets: []string{secretA, secretB}, Now: fixedClock(tsA)})
	ts := strconv.Itoa(tsA)
	// pad returns sigA after unknown-version entries, n bytes in all.
	pad := func(n int) string {
		filler := strings.Repeat("v2,"+strings.Repeat("A", 44)+" ", n/48+1)
		return filler[:n-len(sigA)-1] + " " + sigA
	}
	for _, tc := range []struct {
		name string
		sig  string
		want error
	}{
		{"11 entries of a rotation", strings.Repeat(wrongSig+" ", 10) + sigA, nil},
		{"exactly the bound", pad(webhook.MaxSignatureHeaderBytes), nil},
		{"one byte over", pad(webhook.MaxSignatureHeaderBytes + 1), webhook.ErrInvalidHeaders},
		{"1 MiB", pad(1 << 20), webhook.ErrInvalidHeaders},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, family := range []string{"svix", "webhook"} {
				err := v.Verify(headers(family, idA, ts, tc.sig), []byte(bodyA))
				if tc.want == nil {
					require.NoError(t, err)
					continue
				}
				require.ErrorIs(t, err, tc.want)
				assert.NotContains(t, err.Error(), sigA[3:])
			}
		})
	}
}

// A correctly signed message is still refused when its id is one the spec
// forbids.
func TestVerifyRejectsSignedBadID(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, webhook.VerifierConfig{Secrets: []string{secretA}, Now: fixedClock(tsA)})
	sig := sign(t, secretA, "msg.1", tsA, []byte(bodyA))
	err := v.Verify(headers("svix", "msg.1", strconv.Itoa(tsA), sig), []byte(bodyA))
	require.ErrorIs(t, err, webhook.ErrInvalidMessageID)
}

func TestVerifyToleranceAndClock(t *testing.T) {
	t.Parallel()
	t.Run("custom tolerance", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			now  int64
			want error
		}{
			{tsA + 10, nil},
			{tsA + 11, webhook.ErrTimestampTooOld},
			{tsA - 10, nil},
			{tsA - 11, webhook.ErrTimestampTooNew},
		} {
			v := newVerifier(t, webhook.VerifierConfig{Secrets: []string{secretA}, Tolerance: 10 * time.Second, Now: fixedClock(tc.now)})
			err := v.Verify(headers("svix", idA, strconv.Itoa(tsA), sigA), []byte(bodyA))
			if tc.want == nil {
				require.NoError(t, err, "now=ts%+d", tc.now-tsA)
			} else {
				require.ErrorIs(t, err, tc.want, "now=ts%+d", tc.now-tsA)
			}
		}
	})
	t.Run("sub-second clock", func(t *testing.T) {
		t.Parallel()
		// The window is in whole seconds: ts+300.999 s is still 300 s.
		v := newVerifier(t, webhook.VerifierConfig{Secrets: []string{secretA}, Now: func() time.Time {
			return time.Unix(tsA+300, 999_000_000)
		}})
		require.NoError(t, v.Verify(headers("svix", idA, strconv.Itoa(tsA), sigA), []byte(bodyA)))
	})
	t.Run("default clock is time.Now", func(t *testing.T) {
		t.Parallel()
		v := newVerifier(t, webhook.VerifierConfig{Secrets: []string{secretA}})
		now := time.Now().Unix()
		sig := sign(t, secretA, idA, now, []byte(bodyA))
		require.NoError(t, v.Verify(headers("svix", idA, strconv.FormatInt(now, 10), sig), []byte(bodyA)))
		sig = sign(t, secretA, idA, tsA, []byte(bodyA))
		require.ErrorIs(t, v.Verify(headers("svix", idA, strconv.Itoa(tsA), sig), []byte(bodyA)), webhook.ErrTimestampTooOld)
	})
	t.Run("custom body limit", func(t *testing.T) {
		t.Parallel()
		v := newVerifier(t, webhook.VerifierConfig{Secrets: []string{secretA}, MaxBodyBytes: int64(len(bodyA)), Now: fixedClock(tsA)})
		require.NoError(t, v.Verify(headers("svix", idA, strconv.Itoa(tsA), sigA), []byte(bodyA)))
		require.ErrorIs(t, v.Verify(headers("svix", idA, strconv.Itoa(tsA), sigA), []byte(bodyA+" ")), webhook.ErrBodyTooLarge)
		assert.Equal(t, int64(len(bodyA)), v.MaxBodyBytes())
	})
}

func TestNewVerifierRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   webhook.VerifierConfig
		field string
	}{
		{"no secrets", webhook.VerifierConfig{}, "VerifierConfig.Secrets"},
		{"empty secret", webhook.VerifierConfig{Secrets: []string{""}}, "VerifierConfig.Secrets[0]"},
		{"blank secret", webhook.VerifierConfig{Secrets: []string{" \n"}}, "VerifierConfig.Secrets[0]"},
		{"prefix only", webhook.VerifierConfig{Secrets: []string{"whsec_"}}, "VerifierConfig.Secrets[0]"},
		{"not base64", webhook.VerifierConfig{Secrets: []string{"whsec_!!!"}}, "VerifierConfig.Secrets[0]"},
		{"unpadded base64", webhook.VerifierConfig{Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"}}, "VerifierConfig.Secrets[0]"},
		{"padding only", webhook.VerifierConfig{Secrets: []string{"whsec_===="}}, "VerifierConfig.Secrets[0]"},
		{"18-byte key without lowering", webhook.VerifierConfig{Secrets: []string{secretD}}, "VerifierConfig.Secrets[0]"},
		{"18-byte key, minimum 19", webhook.VerifierConfig{Secrets: []string{secretD}, MinKeyBytes: 19}, "VerifierConfig.Secrets[0]"},
		{"asymmetric public key", webhook.VerifierConfig{Secrets: []string{"whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="}}, "VerifierConfig.Secrets[0]"},
		{"a good and a bad secret", webhook.VerifierConfig{Secrets: []string{secretA, "whsec_"}}, "VerifierConfig.Secrets[1]"},
		{"a Clerk secret key instead", webhook.VerifierConfig{Secrets: []string{"sk_test_abcdefghijklmnopqrstuvwxyz0123456789"}}, "VerifierConfig.Secrets[0]"},
		{"negative tolerance", webhook.VerifierConfig{Secrets: []string{secretA}, Tolerance: -time.Second}, "VerifierConfig.Tolerance"},
		{"fractional tolerance", webhook.VerifierConfig{Secrets: []string{secretA}, Tolerance: 1500 * time.Millisecond}, "VerifierConfig.Tolerance"},
		{"negative body limit", webhook.VerifierConfig{Secrets: []string{secretA}, MaxBodyBytes: -1}, "VerifierConfig.MaxBodyBytes"},
		{"negative key minimum", webhook.VerifierConfig{Secrets: []string{secretA}, MinKeyBytes: -1}, "VerifierConfig.MinKeyBytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := webhook.NewVerifier(tc.cfg)
			require.ErrorIs(t, err, webhook.ErrInvalidConfig)
			var cerr *webhook.ConfigError
			require.ErrorAs(t, err, &cerr)
			assert.Equal(t, tc.field, cerr.Field)
			assert.NotEmpty(t, cerr.Reason)
			assert.Nil(t, v)
			assert.True(t, strings.HasPrefix(err.Error(), "webhook: "))
			for _, s := range tc.cfg.Secrets {
				if body := strings.TrimPrefix(strings.TrimSpace(s), "whsec_"); len(body) > 3 {
					assert.NotContains(t, err.Error(), body, "the error carries the secret")
				}
			}
		})
	}
}

func TestNewVerifierAccepts(t *testing.T) {
	t.Parallel()
	h := headers("svix", idA, strconv.Itoa(tsA), sigA)
	for name, secret := range map[string]string{
		"trailing newline":  secretA + "\n",
		"surrounding space": "  " + secretA + " ",
		"no prefix":         strings.TrimPrefix(secretA, "whsec_"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v := newVerifier(t, webhook.VerifierConfig{Secrets: []string{secret}, Now: fixedClock(tsA)})
			require.NoError(t, v.Verify(h, []byte(bodyA)))
		})
	}
	t.Run("the caller's config is not modified", func(t *testing.T) {
		t.Parallel()
		cfg := webhook.VerifierConfig{Secrets: []string{" " + secretA}}
		newVerifier(t, cfg)
		assert.Equal(t, webhook.VerifierConfig{Secrets: []string{" " + secretA}}, cfg)
	})
}

// Verify is called from many goroutines at once (the header value it hands
// the library is pooled, never shared).
func TestVerifyConcurrent(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, webhook.VerifierConfig{Secrets: []string{secretB, secretA}, Now: fixedClock(tsA)})
	sigs := make([]string, 64)
	for i := range sigs {
		sigs[i] = wrongSig
		if i%2 == 0 {
			sigs[i] = sign(t, secretA, "msg_"+strconv.Itoa(i), tsA, []byte(`{"n":`+strconv.Itoa(i)+`}`))
		}
	}
	errs := make(chan error, 64)
	for i := range 64 {
		go func() {
			id := "msg_" + strconv.Itoa(i)
			body := []byte(`{"n":` + strconv.Itoa(i) + `}`)
			sig := sigs[i]
			err := v.Verify(headers("svix", id, strconv.Itoa(tsA), sig), body)
			switch {
			case i%2 == 0 && err != nil:
				errs <- err
			case i%2 == 1 && !errors.Is(err, webhook.ErrNoMatchingSignature):
				errs <- errors.New("forged message " + id + " was not rejected as no matching signature")
			default:
				errs <- nil
			}
		}()
	}
	for range 64 {
		require.NoError(t, <-errs)
	}
}

// FuzzVerifyHeaders feeds arbitrary header values. Verify must never panic,
// must return one of its sentinels, and must accept exactly when an
// independent oracle says the message is valid: a well-formed id and
// timestamp within ±300 s of the clock, and a v1 entry equal to the MAC
// computed here with crypto/hmac. mode selects the header family (bit 0:
// webhook-*, bit 1: both) and whether the correct signature is appended
// (bit 2), so both outcomes are explored.
func FuzzVerifyHeaders(f *testing.F) {
	f.Add(idA, "1614265330", sigA, []byte(bodyA), byte(0))
	f.Add(idA, "1614265330", "", []byte(bodyA), byte(4))
	f.Add(idA, "1614265630", wrongSig, []byte(bodyA), byte(5))
	f.Add(idA, "1614265631", "", []byte(bodyA), byte(4))
	f.Add(idA, "1614265029", "", []byte(bodyA), byte(6))
	f.Add("msg.1", "1614265330", "", []byte(bodyA), byte(4))
	f.Add("", "", "", []byte{}, byte(0))
	f.Add(idA, "+1614265330", sigA, []byte(bodyA), byte(0))
	f.Add(idA, "01614265330", "", []byte(bodyA), byte(4))
	f.Add(idA, "1614265330.5", sigA, []byte(bodyA), byte(1))
	f.Add(idA, strings.Repeat("9", 40), sigA, []byte(bodyA), byte(0))
	f.Add(idA, "1614265330", "v1,", []byte(bodyA), byte(0))
	f.Add(idA, "1614265330", sigE+" v2,"+sigA[3:], []byte(bodyA), byte(2))
	f.Add(idA, "1614265330", "v1,a,b,c v1", []byte(bodyA), byte(4))
	f.Add("msg\x00", "1614265330", "\xff\xfe", []byte{0, 1, 2}, byte(7))
	f.Add(strings.Repeat("m", 300), "1614265330", "", []byte(bodyA), byte(4))
	f.Add(idA, "1614265330", strings.Repeat("v1,x ", 820), []byte(bodyA), byte(4))
	f.Add(idA, "1614265330", strings.Repeat("v1,x ", 810), []byte(bodyA), byte(6))

	v := newVerifier(f, webhook.VerifierConfig{Secrets: []string{secretA}, Now: fixedClock(tsA)})
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secretA, "whsec_"))
	require.NoError(f, err)
	validID := regexp.MustCompile(`^[!-\-/-~]{1,256}$`) // printable ASCII without '.' and space
	validTS := regexp.MustCompile(`^(0|[1-9][0-9]{0,17})$`)

	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte, mode byte) {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + ts + "."))
		mac.Write(body)
		expected := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		if mode&4 != 0 {
			sig = strings.TrimPrefix(sig+" "+expected, " ")
		}
		h := http.Header{}
		set := func(family string) {
			n := headerNames[family]
			h.Set(n[0], id)
			h.Set(n[1], ts)
			h.Set(n[2], sig)
		}
		switch mode & 3 {
		case 0:
			set("svix")
		case 1:
			set("webhook")
		default:
			set("svix")
			set("webhook")
		}

		err := v.Verify(h, body)

		want := id != "" && ts != "" && sig != "" && validID.MatchString(id) && validTS.MatchString(ts)
		if want {
			n, perr := strconv.ParseInt(ts, 10, 64)
			want = perr == nil && n >= tsA-300 && n <= tsA+300
		}
		matched := false
		for _, entry := range strings.Split(sig, " ") {
			if parts := strings.Split(entry, ","); len(parts) >= 2 && parts[0] == "v1" && "v1,"+parts[1] == expected {
				matched = true
			}
		}
		want = want && matched && len(sig) <= webhook.MaxSignatureHeaderBytes

		if want && err != nil {
			t.Fatalf("valid message rejected: %v (id=%q ts=%q sig=%q)", err, id, ts, sig)
		}
		if !want && err == nil {
			t.Fatalf("invalid message accepted (id=%q ts=%q sig=%q)", id, ts, sig)
		}
		if err != nil {
			sentinels := []error{webhook.ErrMissingHeaders, webhook.ErrInvalidHeaders, webhook.ErrInvalidMessageID,
				webhook.ErrInvalidTimestamp, webhook.ErrTimestampTooOld, webhook.ErrTimestampTooNew, webhook.ErrNoMatchingSignature}
			known := false
			for _, s := range sentinels {
				known = known || errors.Is(err, s)
			}
			if !known {
				t.Fatalf("error %v is none of the sentinels", err)
			}
			if strings.Contains(err.Error(), expected[3:]) {
				t.Fatalf("error %q carries the signature", err)
			}
		}
	})
}
