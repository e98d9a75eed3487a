package webhook_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/clerkauth/memstore"
	"github.com/unioneyes/authkit/webhook"
)

// Sync keeps a store in step with Clerk: here a membership arrives
// before its organization, with a legacy role, and is then removed; the
// events are signed as Svix signs them.
func ExampleHandler_Sync() {
	secret := clerkauthtest.NewWebhookSecret() // "whsec_…" from Clerk's dashboard
	verifier, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		fmt.Println(err)
		return
	}
	hooks, err := webhook.NewHandler(webhook.HandlerConfig{Verifier: verifier})
	if err != nil {
		fmt.Println(err)
		return
	}
	mem := memstore.New(memstore.Config{})
	err = hooks.Sync(webhook.SyncConfig{
		Users: mem, // with a clerkauth verifier over store: verifier.Users()
		Orgs:  mem,
		OnChange: func(_ context.Context, kind, id string) {
			fmt.Println("changed:", kind, id) // e.g. drop a cache entry
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	signer := clerkauthtest.NewWebhookSigner(secret)
	deliver := func(body string) {
		rec := httptest.NewRecorder()
		hooks.ServeHTTP(rec, signer.Request("/webhooks/clerk", "", []byte(body)))
		fmt.Print(rec.Code, " ", rec.Body.String())
	}
	membership := `{"id":"orgmem_1","role":"admin","permissions":["org:sys_memberships:manage"],
 "organization":{"id":"org_1"},"public_user_data":{"user_id":"user_1"},
 "created_at":1716883200000,"updated_at":1716883200000}`
	deliver(`{"type":"organizationMembership.created","object":"event","timestamp":1716883200000,"data":` + membership + `}`)

	ctx := context.Background()
	m, _ := mem.GetMembership(ctx, "org_1", "user_1")
	fmt.Println(m.Role, m.Permissions, m.Active())

	deliver(`{"type":"organizationMembership.deleted","object":"event","timestamp":1716883260000,"data":` + membership + `}`)
	members, _ := mem.ListMembers(ctx, "org_1")
	fmt.Println("members:", len(members))
	// Output:
	// changed: membership user_1
	// 200 {"status":"ok"}
	// org:admin [org:sys_memberships:manage] true
	// changed: membership user_1
	// 200 {"status":"ok"}
	// members: 0
}
