// Package clerkauth verifies Clerk session tokens and authenticates net/http requests
// with them.
//
// A [Verifier] checks a token the way a careful security engineer would: a cheap gate
// first (size, three strict base64url segments, no whitespace), then the header (the
// algorithm comes from an allow-list, never from the token; a kid is required; crit is
// refused; jku, x5u, jwk and x5c are ignored; JWT-template and machine tokens are told
// apart by their cat header), the payload's types (a NumericDate is a number in range,
// duplicate claims are refused), the issuer (exactly, before any key is fetched), the
// signature (golang-jwt's RSA methods), then exp (required), nbf and iat with a small
// leeway, azp against your allowed origins, sub and sid, and the session status. Every
// failure wraps one sentinel ([ErrTokenExpired], [ErrInvalidSignature], [ErrIssuer], …)
// so callers branch with errors.Is; [Reason] gives a text safe to log.
//
// The [Session] it returns is the same for Clerk's claims versions 1 and 2: the user, the
// session, the active organization as an [orgctx.Org] (role in "org:" form, permissions
// decoded from v2's compact fea/o.per/o.fpm exactly as Clerk's SDKs do), the impersonating
// actor, factor verification age, features and plans; [Claims] decodes custom claims into
// your struct.
//
// A complete setup with a real Clerk instance:
//
//	pk, err := jwks.ParsePublishableKey(os.Getenv("CLERK_PUBLISHABLE_KEY"))
//	if err != nil {
//		log.Fatal(err)
//	}
//	keys, err := jwks.NewRemote(ctx, jwks.RemoteConfig{URL: pk.JWKSURL()})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer keys.Close()
//	verifier, err := clerkauth.NewVerifier(clerkauth.Config{
//		Keys:              keys,
//		Issuer:            pk.Issuer(),
//		AuthorizedParties: []string{"https://app.example.com"},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
//		s, _ := clerkauth.SessionFromContext(r.Context())
//		fmt.Fprintln(w, s.UserID)
//	})
//	mux.Handle("GET /orgs/{org_id}/settings",
//		orgctx.RequireOrgParam("org_id")(orgctx.RequireAnyRole("admin")(settings)))
//	http.ListenAndServe(":8000", verifier.Middleware()(mux))
//
// [Verifier.Middleware] takes the token from "Authorization: Bearer …" or, failing that,
// from Clerk's __session cookie (never from the query string). It requires a session by
// default: no token is 401 with a bare Bearer challenge, a bad token 401 with
// error="invalid_token", a malformed header or two credentials 400, keys that cannot be
// loaded 503 with Retry-After; [Optional] lets anonymous requests through but still
// refuses a bad token. The verified session and its organization go into the request
// context ([SessionFromContext], [orgctx.FromContext]); the guards of package orgctx then
// check roles and permissions (403) and keep tokens of one organization out of another's
// URLs (404).
//
// # Machine credentials
//
// A route may also take credentials that machines present: Clerk's API keys ("ak_"),
// M2M tokens ("mt_") and OAuth access tokens ("oat_"), and keys the service issues to its
// own service accounts. This package holds what a route needs of them: the [Principal]
// the middleware puts in the context of every authenticated request
// ([PrincipalFromContext]), the [TokenKind]s, [Accept] to choose the kinds a route takes
// (sessions only by default), [RequireScope], the errors a route branches on
// ([ErrMachineTokenInvalid], [ErrBackendAPI], …), and the [MachineVerifier] interface
// that [Config.Machine] takes. The verifiers themselves are in package clerkauth/machine
// (machine.BackendAPI, machine.StaticKeys, machine.Chain), which imports this one. A
// machine credential is taken only from the Authorization header, and one that acts for
// a user (an OAuth access token, a user's API key) meets that user's checks, as the
// user's session does.
//
// # Stores a request waits for
//
// With [Config.Revocations] every request reads the revocation store, and with
// [Config.Users] a request whose user the cache does not hold reads the user store. Each
// such read is bounded by [StoreReadTimeout] (its context ends then), and each store has a
// circuit breaker: a failed read, or reads pending for StoreReadTimeout with none
// returning, opens it, and for [StoreBreakerOpen] the reads fail at once without asking
// the store ([ErrStoreUnavailable]: 503 with a Retry-After of the remaining open time; a
// user the cache holds keeps being answered from its entry within
// [UserCacheConfig.MaxStale]). Then one request probes the store; its success closes the
// breaker. No request waits on a store known to be down, and nothing needs restarting
// when it is back. A store's client should honour contexts (go-redis:
// ContextTimeoutEnabled; see package redisstore), or the requests already waiting when a
// store hangs wait for the client's own timeouts. The breaker follows [Config.Now] (the
// user cache's, [UserCacheConfig.Now]).
package clerkauth
