package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/unioneyes/authkit/webhook"
)

// BenchmarkVerify compares, in one run, Verify on a 4 KiB body with the
// bare cost of checking one HMAC-SHA256 signature (hmac.New, the MAC over
// id.ts.body, base64, hmac.Equal) and with the standard-webhooks library's
// VerifyIgnoringTimestamp, which Verify delegates the signature to. The
// library and verifier sub-benchmarks report their cost as a multiple of
// the baseline ("x-baseline") when the baseline ran in the same run.
func BenchmarkVerify(b *testing.B) {
	const id = idA
	ts := int64(tsA)
	tsStr := strconv.FormatInt(ts, 10)
	body := []byte(strings.Repeat(`{"k":"0123456789abcdef"},`, 4096/25+1)[:4096])
	sig := sign(b, secretA, id, ts, body)
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secretA, "whsec_"))
	if err != nil {
		b.Fatal(err)
	}
	var baseline float64 // ns/op of hmac-baseline in this run
	ratio := func(b *testing.B) {
		if baseline > 0 && b.N > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/baseline, "x-baseline")
		}
	}

	b.Run("hmac-baseline", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		want := []byte(sig[3:])
		var prefix [64]byte
		var sum [sha256.Size]byte
		var enc [44]byte
		for b.Loop() {
			m := hmac.New(sha256.New, key)
			p := append(append(append(append(prefix[:0], id...), '.'), tsStr...), '.')
			m.Write(p)
			m.Write(body)
			base64.StdEncoding.Encode(enc[:], m.Sum(sum[:0]))
			if !hmac.Equal(enc[:], want) {
				b.Fatal("baseline signature mismatch")
			}
		}
		baseline = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("library", func(b *testing.B) {
		wh, err := standardwebhooks.NewWebhook(secretA)
		if err != nil {
			b.Fatal(err)
		}
		h := headers("webhook", id, tsStr, sig)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if err := wh.VerifyIgnoringTimestamp(body, h); err != nil {
				b.Fatal(err)
			}
		}
		ratio(b)
	})
	b.Run("verifier", func(b *testing.B) {
		v := newVerifier(b, webhook.VerifierConfig{Secrets: []string{secretA}, Now: fixedClock(ts)})
		h := headers("svix", id, tsStr, sig)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if err := v.Verify(h, body); err != nil {
				b.Fatal(err)
			}
		}
		ratio(b)
	})
	b.Run("verifier-forged", func(b *testing.B) {
		v := newVerifier(b, webhook.VerifierConfig{Secrets: []string{secretA}, Now: fixedClock(ts)})
		h := headers("svix", id, tsStr, wrongSig)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if err := v.Verify(h, body); err != webhook.ErrNoMatchingSignature {
				b.Fatal(err)
			}
		}
		ratio(b)
	})
}

// realisticUserUpdated is a user.updated body of the size Clerk sends
// (about 3 KiB).
const realisticUserUpdated = `{"data":{"backup_code_enabled":false,"banned":false,"create_organization_enabled":true,
"create_organizations_limit":null,"created_at":1716883100000,"delete_self_enabled":true,
"email_addresses":[{"created_at":1716883100000,"email_address":"ada.lovelace@example.org","id":"idn_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
"linked_to":[{"id":"idn_2g7np8xLz1WqgEaWy6dC1sCn4Cv","type":"oauth_google"}],"matches_sso_connection":false,"object":"email_address",
"reserved":false,"updated_at":1716883200000,"verification":{"attempts":null,"expire_at":null,"status":"verified","strategy":"from_oauth_google"}},
{"created_at":1716883150000,"email_address":"ada@analytical.engine","id":"idn_2g7np9Q3xzYkY1n8yN0hC8xkBq2","linked_to":[],
"object":"email_address","reserved":false,"updated_at":1716883150000,"verification":{"attempts":1,"expire_at":1716883750000,"status":"verified","strategy":"email_code"}}],
"enterprise_accounts":[],"external_accounts":[{"approved_scopes":"email https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile openid profile",
"created_at":1716883100000,"email_address":"ada.lovelace@example.org","family_name":"Lovelace","given_name":"Ada","google_id":"104528939172983749823",
"id":"idn_2g7np8xLz1WqgEaWy6dC1sCn4Cv","label":null,"object":"google_account","picture":"https://lh3.googleusercontent.com/a/ACg8ocJ2exampleexample=s100",
"provider":"oauth_google","public_metadata":{},"updated_at":1716883100000,"username":"","verification":{"attempts":null,"expire_at":1716883700000,"status":"verified","strategy":"oauth_google"}}],
"external_id":null,"first_name":"Ada","has_image":true,"id":"user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
"image_url":"https://img.clerk.com/eyJ0eXBlIjoicHJveHkiLCJzcmMiOiJodHRwczovL2ltYWdlcy5jbGVyay5kZXYvb2F1dGhfZ29vZ2xlL2ltZ18yZzducDhwVjZ0T3VlZDB5N2dSVnRQZ2VSUmoifQ",
"last_active_at":1716883200000,"last_name":"Lovelace","last_sign_in_at":1716883190000,"legal_accepted_at":null,"locked":false,
"lockout_expires_in_seconds":null,"mfa_disabled_at":null,"mfa_enabled_at":null,"object":"user","passkeys":[],"password_enabled":false,
"phone_numbers":[],"primary_email_address_id":"idn_2g7np7Hrk0SN6kj5EDMLDaKNL0S","primary_phone_number_id":null,"primary_web3_wallet_id":null,
"private_metadata":{"stripe_customer":"cus_PZ3example"},"profile_image_url":"https://images.clerk.dev/oauth_google/img_2g7np8pV6tOued0y7gRVtPgeRRj",
"public_metadata":{"role":"admin","plan":"pro","onboarded":true},"saml_accounts":[],"totp_enabled":false,"two_factor_enabled":false,
"unsafe_metadata":{"theme":"dark"},"updated_at":1716883200000,"username":"ada","verification_attempts_remaining":100,"web3_wallets":[]},
"event_attributes":{"http_request":{"client_ip":"203.0.113.7","user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36"}},
"instance_id":"ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S","object":"event","timestamp":1716883200000,"type":"user.updated"}`

// BenchmarkHandler measures the whole Handler on a realistic user.updated
// delivery: read, verify, parse the envelope, claim in a MemoryDedupe,
// decode the typed User, mark done, answer. Every iteration is a new
// message (pre-signed), so the dedupe store grows as in production.
func BenchmarkHandler(b *testing.B) {
	b.Run("user.updated", func(b *testing.B) {
		ts := int64(1_716_883_200)
		clock := fixedClock(ts)
		v := newVerifier(b, webhook.VerifierConfig{Secrets: []string{secretA}, Now: clock})
		d := newMemoryDedupe(b, webhook.MemoryDedupeConfig{Now: clock})
		h, err := webhook.NewHandler(webhook.HandlerConfig{Verifier: v, Dedupe: d})
		if err != nil {
			b.Fatal(err)
		}
		var seen string
		h.OnUserUpdated(func(_ context.Context, _ webhook.Event, u *webhook.User) error {
			seen = u.PrimaryEmail()
			return nil
		})
		body := []byte(realisticUserUpdated)
		wh, err := standardwebhooks.NewWebhook(secretA)
		if err != nil {
			b.Fatal(err)
		}
		ids := make([]string, b.N)
		sigs := make([]string, b.N)
		for i := range ids {
			ids[i] = "msg_2g7np7Hrk0SN6kj5ED" + strconv.Itoa(i)
			if sigs[i], err = wh.Sign(ids[i], time.Unix(ts, 0), body); err != nil {
				b.Fatal(err)
			}
		}
		tsStr := strconv.FormatInt(ts, 10)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			req := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", strings.NewReader(realisticUserUpdated))
			req.Header.Set("Svix-Id", ids[i])
			req.Header.Set("Svix-Timestamp", tsStr)
			req.Header.Set("Svix-Signature", sigs[i])
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || seen != "ada.lovelace@example.org" {
				b.Fatalf("status %d, primary email %q", rec.Code, seen)
			}
		}
	})
}
