package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/unioneyes/authkit/webhook"
)

// A Clerk endpoint: verify, dispatch a typed user event, and answer a
// redelivery of the same message as a duplicate. Clerk's side is simulated
// by signing with the standard-webhooks library.
func Example() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	now := time.Unix(1654012592, 0)
	clock := func() time.Time { return now }

	verifier, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{secret}, Now: clock})
	if err != nil {
		fmt.Println(err)
		return
	}
	hooks, err := webhook.NewHandler(webhook.HandlerConfig{Verifier: verifier})
	if err != nil {
		fmt.Println(err)
		return
	}
	hooks.OnUserCreated(func(_ context.Context, e webhook.Event, u *webhook.User) error {
		fmt.Println(e.Type, e.MessageID, u.ID, u.PrimaryEmail(), u.UpdatedAt.UnixMilli())
		return nil
	})
	mux := http.NewServeMux()
	mux.Handle("/webhooks/clerk", hooks)

	body := `{"type":"user.created","object":"event","instance_id":"ins_123","timestamp":1654012591835,
 "data":{"id":"user_29w83sxmDNGwOuEthce5gg56FcC","object":"user","first_name":"Example","last_name":"Example",
  "primary_email_address_id":"idn_29w83yL7CwVlJXylYLxcslromF1",
  "email_addresses":[{"id":"idn_29w83yL7CwVlJXylYLxcslromF1","email_address":"example@example.org"}],
  "created_at":1654012591514,"updated_at":1654012591835}}`
	deliver := func() {
		signer, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			fmt.Println(err)
			return
		}
		sig, err := signer.Sign("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", now, []byte(body))
		if err != nil {
			fmt.Println(err)
			return
		}
		req := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", strings.NewReader(body))
		req.Header.Set("svix-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
		req.Header.Set("svix-timestamp", strconv.FormatInt(now.Unix(), 10))
		req.Header.Set("svix-signature", sig)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Print(rec.Code, " ", rec.Body.String())
	}
	deliver()
	now = now.Add(5 * time.Second) // Svix redelivers the same message
	deliver()
	// Output:
	// user.created msg_2KWPBgLlAfxdpx2AI54pPJ85f4W user_29w83sxmDNGwOuEthce5gg56FcC example@example.org 1654012591835
	// 200 {"status":"ok"}
	// 200 {"status":"duplicate"}
}

// Verify on its own, with the canonical Standard Webhooks test vector and
// a fixed clock. Callers branch on the sentinels.
func ExampleVerifier_Verify() {
	body := []byte(`{"test": 2432232314}`)
	h := http.Header{}
	h.Set("svix-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("svix-timestamp", "1614265330")
	h.Set("svix-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")

	var now time.Time
	v, err := webhook.NewVerifier(webhook.VerifierConfig{
		Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		Now:     func() time.Time { return now },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	now = time.Unix(1614265330, 0)
	fmt.Println(v.Verify(h, body))
	fmt.Println(errors.Is(v.Verify(h, []byte(`{"test":2432232314}`)), webhook.ErrNoMatchingSignature)) // re-serialized
	now = now.Add(301 * time.Second)
	fmt.Println(v.Verify(h, body))

	_, err = webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_"}})
	var cerr *webhook.ConfigError
	fmt.Println(errors.As(err, &cerr), cerr.Field)
	// Output:
	// <nil>
	// true
	// webhook: timestamp too old: 301s behind the clock, tolerance 300s
	// true VerifierConfig.Secrets[1]
}

// Decoding an event and its typed payload.
func ExampleParseEvent() {
	e, err := webhook.ParseEvent([]byte(`{"type":"organizationMembership.created","object":"event",
	 "instance_id":"ins_1","timestamp":1716883200000,
	 "data":{"id":"orgmem_1","role":"org:admin","permissions":["org:sys_memberships:manage"],
	  "organization":{"id":"org_1","slug":"acme-corp"},"public_user_data":{"user_id":"user_1"},
	  "updated_at":1716883200000}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := e.Membership()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Type, e.Timestamp.UTC().Format(time.RFC3339))
	fmt.Println(m.Organization.Slug, m.PublicUserData.UserID, m.Role, m.Permissions)
	// Output:
	// organizationMembership.created 2024-05-28T08:00:00Z
	// acme-corp user_1 org:admin [org:sys_memberships:manage]
}

// Functions for event types without a typed helper get the raw data.
func ExampleHandler_On() {
	v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	hooks, err := webhook.NewHandler(webhook.HandlerConfig{Verifier: v})
	if err != nil {
		fmt.Println(err)
		return
	}
	hooks.On("organizationInvitation.accepted", func(ctx context.Context, e webhook.Event) error {
		fmt.Println(e.MessageID, string(e.Data))
		return nil
	})
	hooks.On(webhook.EventSessionRevoked, func(ctx context.Context, e webhook.Event) error {
		s, err := e.Session()
		if err != nil {
			return err // wraps ErrMalformedPayload: acknowledged and logged
		}
		fmt.Println("revoke", s.ID)
		return nil
	})
}
