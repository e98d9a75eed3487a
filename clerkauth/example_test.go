package clerkauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
	"github.com/unioneyes/authkit/orgctx"
)

// A protected API with Go 1.22 ServeMux patterns: the middleware authenticates every
// request, the orgctx guards authorize per route.
func ExampleVerifier_Middleware() {
	clerk := clerkauthtest.NewIssuer() // stands in for your Clerk instance
	defer clerk.Close()

	keys, err := jwks.NewRemote(context.Background(), jwks.RemoteConfig{URL: clerk.JWKSURL()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer keys.Close()
	verifier, err := clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: clerk.Issuer()})
	if err != nil {
		fmt.Println(err)
		return
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		s, _ := clerkauth.SessionFromContext(r.Context())
		fmt.Fprintf(w, "%s in %s as %s", s.UserID, s.Org.Slug, s.Org.Role)
	})
	mux.Handle("DELETE /orgs/{org_id}/posts/{id}",
		orgctx.RequireOrgParam("org_id")(orgctx.RequireAllPermissions("org:posts:delete")(
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))))
	srv := httptest.NewServer(verifier.Middleware()(mux))
	defer srv.Close()

	call := func(method, path, token string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		line := fmt.Sprintln(resp.StatusCode, resp.Header.Get("WWW-Authenticate"), strings.TrimSpace(string(body)))
		fmt.Println(strings.TrimSpace(line))
	}
	editor := clerk.Token().User("user_ada").Org("org_acme", "acme", "editor", "org:posts:delete").Sign()
	viewer := clerk.Token().User("user_bob").Org("org_acme", "acme", "viewer", "org:posts:read").Sign()

	call("GET", "/me", editor)
	call("GET", "/me", "")
	call("GET", "/me", "not.a.token")
	call("DELETE", "/orgs/org_acme/posts/1", editor)
	call("DELETE", "/orgs/org_acme/posts/1", viewer)
	call("DELETE", "/orgs/org_other/posts/1", editor)
	// Output:
	// 200  user_ada in acme as org:editor
	// 401 Bearer realm="api" {"error":"unauthorized","detail":"authentication required"}
	// 401 Bearer realm="api", error="invalid_token" {"error":"invalid_token","detail":"invalid or expired session token"}
	// 204
	// 403 Bearer realm="api", error="insufficient_scope" {"error":"insufficient_scope","detail":"insufficient permissions"}
	// 404  {"error":"not_found","detail":"not found"}
}

func ExampleVerifier_Verify() {
	clerk := clerkauthtest.NewIssuer()
	defer clerk.Close()
	keys, _ := jwks.ParsePEM(clerk.PEM()) // CLERK_JWT_KEY: networkless verification
	verifier, err := clerkauth.NewVerifier(clerkauth.Config{
		Keys:              keys,
		Issuer:            clerk.Issuer(),
		AuthorizedParties: []string{"https://app.example.com"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	s, err := verifier.Verify(ctx, clerk.Token().User("user_123").AuthorizedParty("https://app.example.com").
		Org("org_1", "acme", "admin", "org:billing:manage").Sign())
	fmt.Println(s.UserID, s.Org.Role, s.HasPermission("org:billing:manage"), err)

	_, err = verifier.Verify(ctx, clerk.Token().AuthorizedParty("https://evil.example").Sign())
	fmt.Println(errors.Is(err, clerkauth.ErrAuthorizedParty), clerkauth.Reason(err))

	_, err = verifier.Verify(ctx, clerk.Token().Category(clerkauthtest.CategoryTemplate).Sign())
	fmt.Println(errors.Is(err, clerkauth.ErrTokenType))
	// Output:
	// user_123 org:admin true <nil>
	// true clerkauth: authorized party not accepted
	// true
}

func ExampleClaims() {
	clerk := clerkauthtest.NewIssuer()
	defer clerk.Close()
	keys, _ := jwks.ParsePEM(clerk.PEM())
	verifier, _ := clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: clerk.Issuer()})

	// Custom session claims configured in Clerk's Dashboard, e.g.
	// {"email": "{{user.primary_email_address}}", "onboarded": "{{user.public_metadata.onboarded}}"}
	token := clerk.Token().Claim("email", "ada@example.com").Claim("onboarded", true).Sign()
	s, err := verifier.Verify(context.Background(), token)
	if err != nil {
		fmt.Println(err)
		return
	}
	type custom struct {
		Email     string `json:"email"`
		Onboarded bool   `json:"onboarded"`
	}
	c, err := clerkauth.Claims[custom](s)
	fmt.Println(c.Email, c.Onboarded, err)
	// Output: ada@example.com true <nil>
}

func ExampleRequireReverification() {
	clerk := clerkauthtest.NewIssuer()
	defer clerk.Close()
	keys, _ := jwks.ParsePEM(clerk.PEM())
	verifier, _ := clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: clerk.Issuer()})

	deleteAccount := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := verifier.Middleware()(clerkauth.RequireReverification(clerkauth.ReverificationStrict)(deleteAccount))

	for _, minutes := range []int{2, 45} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodDelete, "/account", nil)
		req.Header.Set("Authorization", "Bearer "+clerk.Token().FactorAge(minutes, -1).Sign())
		h.ServeHTTP(rec, req)
		fmt.Println(minutes, rec.Code)
	}
	// Output:
	// 2 204
	// 45 403
}
