// Package clerkauthtest is a fake Clerk instance for tests and local development, in the
// spirit of net/http/httptest and go-oidc's oidctest.
//
// [NewIssuer] starts an instance on 127.0.0.1 with a 2048-bit signing key and a Clerk-like
// kid. It serves the key set at the Frontend API path ([Issuer.JWKSURL]) and the Backend
// API path ([Issuer.BackendJWKSURL], which wants [Issuer.SecretKey] as a Bearer token),
// counts the requests ([Issuer.Hits]), can rotate keys ([Issuer.Rotate], [Issuer.Retire]),
// go down ([Issuer.SetDown]) or answer anything ([Issuer.SetRawResponse]), and gives its
// key as PEM ([Issuer.PEM]).
//
// [Issuer.Token] builds session tokens with Clerk's defaults (v2 claims, 60-second
// lifetime, the session "cat" header) and presets for everything a verifier must handle:
// v1 and v2 organization claims with permissions encoded as Clerk does ([EncodePermissions]),
// a pending session, an actor, factor verification age, template and machine categories,
// custom claims, and broken variants (another key, alg none, HS256, removed or mistyped
// claims, arbitrary bytes through [Issuer.SignRaw]).
//
//	iss := clerkauthtest.NewIssuer()
//	defer iss.Close()
//	token := iss.Token().User("user_123").Org("org_1", "acme", "admin", "org:posts:read").Sign()
//
// [WebhookSigner] signs webhook bodies with Svix's headers for a "whsec_" secret.
//
// Like httptest, the package panics on setup errors instead of returning them: it is only
// for tests and development, never for production keys.
package clerkauthtest
