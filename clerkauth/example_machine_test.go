package clerkauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
)

// Verifying Clerk API keys with the Backend API. A fake of the Backend API stands in for
// https://api.clerk.com/v1 here; in production leave URL empty and take the secret key
// from your configuration (os.Getenv("CLERK_SECRET_KEY")).
func ExampleNewBackendAPI() {
	clerk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Secret string `json:"secret"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if r.URL.Path != "/v1/api_keys/verify" || r.Header.Get("Authorization") != "Bearer sk_test_example" ||
			body.Secret != "ak_live_3f9a2c7e1b" {
			http.Error(w, `{"errors":[{"code":"resource_not_found"}]}`, http.StatusNotFound)
			return
		}
		fmt.Fprint(w, `{"object":"api_key","id":"ak_0123456789abcdef0123456789abcdef","type":"api_key",
			"name":"CI deploys","subject":"org_2abc","scopes":["builds:write"],"claims":null,
			"revoked":false,"revocation_reason":null,"expired":false,"expiration":null}`)
	}))
	defer clerk.Close()

	backend, err := clerkauth.NewBackendAPI(clerkauth.BackendAPIConfig{
		SecretKey: "sk_test_example",
		URL:       clerk.URL + "/v1",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	p, err := backend.VerifyMachineToken(ctx, "ak_live_3f9a2c7e1b")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Kind, p.ID, p.Subject, p.Name, p.HasScope("builds:write"))

	// A key Clerk does not know (404): refused, and remembered for a few seconds.
	_, err = backend.VerifyMachineToken(ctx, "ak_live_0unknown0key")
	fmt.Println(errors.Is(err, clerkauth.ErrMachineTokenInvalid))

	// Not a Clerk machine token: left to other verifiers, without a request.
	_, err = backend.VerifyMachineToken(ctx, "svc_key")
	fmt.Println(errors.Is(err, clerkauth.ErrTokenType))
	// Output:
	// api_key ak_0123456789abcdef0123456789abcdef org_2abc CI deploys true
	// true
	// true
}

// The limits on calls to the Backend API. Any client can make up a well-formed API key,
// and each one not in the cache costs a call with the instance's secret key, against a
// quota the whole application shares. Tokens presented for the first time may spend
// only the upper half of the calls budget (MaxCallBurst calls at once, MaxCallsPerSecond
// on average); past it they are refused at once, with a 503 from the middleware, while
// cached ones are still accepted. A token refused so and presented again (a client
// retrying) is served from the reserve, which a flood of distinct made-up tokens cannot
// spend; so is the revalidation of a key Clerk accepted before. (Here the clock is
// stopped, so the budget does not refill.)
func ExampleNewBackendAPI_limits() {
	var calls atomic.Int64
	clerk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var body struct {
			Secret string `json:"secret"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		if body.Secret != "ak_live_3f9a2c7e1b" && body.Secret != "ak_live_9c4d1e7a2f" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"errors":[{"message":"not found","long_message":"not found","code":"resource_not_found"}]}`)
			return
		}
		fmt.Fprint(w, `{"object":"api_key","id":"ak_0123456789abcdef0123456789abcdef","subject":"org_2abc"}`)
	}))
	defer clerk.Close()

	stopped := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
	backend, err := clerkauth.NewBackendAPI(clerkauth.BackendAPIConfig{
		SecretKey:          "sk_test_example",
		URL:                clerk.URL + "/v1",
		MaxCallsPerSecond:  1,
		MaxCallBurst:       4, // new tokens may spend 2 of them
		MaxConcurrentCalls: 4,
		Now:                func() time.Time { return stopped },
		Logger:             slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	if _, err := backend.VerifyMachineToken(ctx, "ak_live_3f9a2c7e1b"); err != nil {
		fmt.Println(err)
		return
	}
	for i := range 4 {
		_, err := backend.VerifyMachineToken(ctx, fmt.Sprintf("ak_made_up_%08d", i))
		switch {
		case errors.Is(err, clerkauth.ErrBackendAPIRateLimited):
			fmt.Println("made-up token refused without a call")
		case errors.Is(err, clerkauth.ErrMachineTokenInvalid):
			fmt.Println("made-up token refused by Clerk")
		}
	}
	_, err = backend.VerifyMachineToken(ctx, "ak_live_9c4d1e7a2f")
	fmt.Println("another key, first try, refused without a call:", errors.Is(err, clerkauth.ErrBackendAPIRateLimited))
	_, err = backend.VerifyMachineToken(ctx, "ak_live_9c4d1e7a2f")
	fmt.Println("another key, retried, accepted:", err == nil)
	_, err = backend.VerifyMachineToken(ctx, "ak_live_3f9a2c7e1b")
	fmt.Println("cached key accepted:", err == nil)
	fmt.Println("calls:", calls.Load())
	// Output:
	// made-up token refused by Clerk
	// made-up token refused without a call
	// made-up token refused without a call
	// made-up token refused without a call
	// another key, first try, refused without a call: true
	// another key, retried, accepted: true
	// cached key accepted: true
	// calls: 3
}

// Service-account keys the service issues itself, next to Clerk's machine tokens.
func ExampleNewStaticAPIKeys() {
	// Once, when provisioning a client: generate a key, hand it over, keep only its hash.
	//
	//	key, err := clerkauth.GenerateAPIKey("svc_")
	//	hash := clerkauth.HashAPIKey(key) // goes in the configuration
	const reportsKey = "svc_Qm4x7Zb2Lp9Wc1Vn8Ks3Jd6Hf0Ga5Ty2Ue7Ri4Oo1Pq"
	static, err := clerkauth.NewStaticAPIKeys(
		clerkauth.ServiceAccount{Name: "reports", KeyHash: clerkauth.HashAPIKey(reportsKey), Scopes: []string{"invoices:read"}},
		clerkauth.ServiceAccount{Name: "billing", KeyHash: "89cff7972237793448ca5b22d12c35345596bba5701fc0a505475aba9490862f"},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Clerk's API keys, M2M and OAuth tokens go to the Backend API; the others to the
	// static keys. (No request is made in this example: none of its tokens is Clerk's.)
	backend, err := clerkauth.NewBackendAPI(clerkauth.BackendAPIConfig{SecretKey: "sk_test_example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	machines := clerkauth.FirstMachineVerifier(backend, static)
	ctx := context.Background()

	p, err := machines.VerifyMachineToken(ctx, reportsKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Kind, p.Subject, p.Scopes)

	_, err = machines.VerifyMachineToken(ctx, "svc_guessed")
	fmt.Println(errors.Is(err, clerkauth.ErrMachineTokenInvalid))

	// A session token (a JWT) is no machine token at all.
	_, err = machines.VerifyMachineToken(ctx, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
	fmt.Println(errors.Is(err, clerkauth.ErrTokenType))
	// Output:
	// service_account reports [invoices:read]
	// true
	// true
}
