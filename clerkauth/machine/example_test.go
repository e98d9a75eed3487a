package machine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/machine"
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

	backend, err := machine.NewBackendAPI(machine.BackendAPIConfig{
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
	backend, err := machine.NewBackendAPI(machine.BackendAPIConfig{
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
		case errors.Is(err, machine.ErrBackendAPIRateLimited):
			fmt.Println("made-up token refused without a call")
		case errors.Is(err, clerkauth.ErrMachineTokenInvalid):
			fmt.Println("made-up token refused by Clerk")
		}
	}
	_, err = backend.VerifyMachineToken(ctx, "ak_live_9c4d1e7a2f")
	fmt.Println("another key, first try, refused without a call:", errors.Is(err, machine.ErrBackendAPIRateLimited))
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
func ExampleNewStaticKeys() {
	// Once, when provisioning a client: generate a key, hand it over, keep only its hash.
	//
	//	key, err := machine.GenerateAPIKey("svc_")
	//	hash := machine.HashAPIKey(key) // goes in the configuration
	const reportsKey = "svc_Qm4x7Zb2Lp9Wc1Vn8Ks3Jd6Hf0Ga5Ty2Ue7Ri4Oo1Pq"
	static, err := machine.NewStaticKeys(
		machine.ServiceAccount{Name: "reports", KeyHash: machine.HashAPIKey(reportsKey), Scopes: []string{"invoices:read"}},
		machine.ServiceAccount{Name: "billing", KeyHash: "89cff7972237793448ca5b22d12c35345596bba5701fc0a505475aba9490862f"},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Clerk's API keys, M2M and OAuth tokens go to the Backend API; the others to the
	// static keys. (No request is made in this example: none of its tokens is Clerk's.)
	backend, err := machine.NewBackendAPI(machine.BackendAPIConfig{SecretKey: "sk_test_example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	machines := machine.Chain(backend, static)
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

// A route that integrations call, end to end: Clerk API keys (verified with the Backend
// API, faked here on 127.0.0.1) and the service's own service-account keys, chained,
// behind the clerkauth middleware and a scope check. This verifier takes machine
// credentials alone; give it Keys and Issuer too for session tokens.
func ExampleChain() {
	clerk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Secret string `json:"secret"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		if body.Secret != "ak_live_3f9a2c7e1b" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"errors":[{"message":"not found","long_message":"not found","code":"resource_not_found"}]}`)
			return
		}
		fmt.Fprint(w, `{"object":"api_key","id":"ak_0123456789abcdef","subject":"org_2abc","name":"dashboard","scopes":["reports:read"]}`)
	}))
	defer clerk.Close()

	backend, err := machine.NewBackendAPI(machine.BackendAPIConfig{SecretKey: "sk_test_example", URL: clerk.URL + "/v1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	const botKey = "svc_Qm4x7Zb2Lp9Wc1Vn8Ks3Jd6Hf0Ga5Ty2Ue7Ri4Oo1Pq"
	static, err := machine.NewStaticKeys(machine.ServiceAccount{
		Name: "reports-bot", KeyHash: machine.HashAPIKey(botKey), Scopes: []string{"reports:read", "reports:write"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	verifier, err := clerkauth.NewVerifier(clerkauth.Config{Machine: machine.Chain(backend, static)})
	if err != nil {
		fmt.Println(err)
		return
	}
	machines := verifier.Middleware(clerkauth.Accept(clerkauth.KindAPIKey, clerkauth.KindServiceAccount))
	createReport := machines(clerkauth.RequireScope("reports:write")(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			p, _ := clerkauth.PrincipalFromContext(r.Context())
			fmt.Fprintf(w, "report created by %s (%s)", p.Subject, p.Kind)
		})))

	for _, key := range []string{botKey, "ak_live_3f9a2c7e1b", "svc_guessed"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/v1/reports", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		createReport.ServeHTTP(rec, req)
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// 200 report created by reports-bot (service_account)
	// 403 {"error":"insufficient_scope","detail":"insufficient scope"}
	// 401 {"error":"invalid_token","detail":"invalid or expired session token"}
}
