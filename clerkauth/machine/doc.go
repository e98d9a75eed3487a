// Package machine verifies the credentials machines present to a service: Clerk's opaque
// machine tokens, checked with Clerk's Backend API ([BackendAPI]), and keys the service
// issues itself to its service accounts ([StaticKeys]). Each implements
// [clerkauth.MachineVerifier], the contract of package clerkauth; [Chain] asks several in
// turn. Give the result to [clerkauth.Config.Machine] and choose, per route, which kinds
// of credential the middleware accepts ([clerkauth.Accept]) and which scopes a route
// requires ([clerkauth.RequireScope]):
//
//	backend, err := machine.NewBackendAPI(machine.BackendAPIConfig{
//		SecretKey: os.Getenv("CLERK_SECRET_KEY"),
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	static, err := machine.NewStaticKeys(machine.ServiceAccount{
//		Name: "reports", KeyHash: hashFromConfig, Scopes: []string{"reports:write"},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	verifier, err := clerkauth.NewVerifier(clerkauth.Config{
//		Keys: keys, Issuer: issuer, Machine: machine.Chain(backend, static),
//	})
//	…
//	machines := verifier.Middleware(clerkauth.Accept(clerkauth.KindAPIKey, clerkauth.KindServiceAccount))
//	mux.Handle("POST /v1/reports", machines(clerkauth.RequireScope("reports:write")(createReport)))
//
// The verifiers tell a token's form from its text, by the rule the middleware routes by:
// "ak_" (an API key), "mt_" (a machine-to-machine token) and "oat_" (an OAuth access
// token) are Clerk's, and go to the BackendAPI; a JWT is a session token, for the
// session verifier; anything else is a service-account key. A verifier given a token of
// another form returns [clerkauth.ErrTokenType], so a chain hands it on, and the errors
// a route branches on ([clerkauth.ErrMachineTokenInvalid], [clerkauth.ErrMachineTokenRevoked],
// [clerkauth.ErrMachineTokenExpired]: 401; [clerkauth.ErrBackendAPI]: 503 with Retry-After)
// are clerkauth's. No token, key or secret is ever logged or put in an error.
//
// # Clerk's machine tokens
//
// A BackendAPI verifies each token with its Backend API endpoint (POST /api_keys/verify,
// /m2m_tokens/verify, /oauth_applications/access_tokens/verify) and the instance's
// secret key. A token of an impossible shape (outside [MinMachineTokenBytes] to
// [MaxMachineTokenBytes], or not base64) is refused without a call, and a 200 answer
// counts only if it is the endpoint's object with an id and a subject: a wrong URL or a
// catch-all proxy authenticates nothing.
//
// Answers are cached in process, keyed by the token's SHA-256. A credential Clerk
// accepted is accepted on that answer for MaxCacheTTL (60 s), revalidated in the
// background when a quarter of it is left, so a credential in use never waits for Clerk;
// a revalidation Clerk refuses drops it at once. While Clerk cannot be asked (down,
// answering 429, or no call left in the budget), it is served for StaleIfError more
// (2 minutes, logged). Clerk's refusals are remembered for NegativeCacheTTL (10 s);
// Clerk's failures are never cached.
//
// Any client can make up a well-formed token, and each one costs a call against a quota
// the whole application shares, so calls are budgeted: a token bucket (20 calls a
// second, a bucket of 40) and 8 calls in flight, shared in three tiers. A token presented
// for the first time may spend only the upper half of the bucket and of the slots; one
// refused for lack of budget and presented again (a client retrying), all but the lowest
// quarter; the revalidation of a credential Clerk accepted, everything. So under a
// flood of made-up tokens a known credential is never refused and a new one gets in on
// its first retry; what the tiers cannot tell apart, and the figures the tests measure,
// are in [BackendAPI]'s documentation. Calls the budget refuses fail at once with
// [ErrBackendAPIRateLimited]; after a 429 from Clerk no call is made until its
// Retry-After has passed ([ErrBackendAPIThrottled]); a secret key Clerk refuses is
// [ErrBackendAPIUnauthorized]. All three wrap [clerkauth.ErrBackendAPI].
//
// # Service-account keys
//
// [GenerateAPIKey] makes a key with 256 random bits; the service hands it to its client
// once and configures only its hash ([HashAPIKey]) in a [ServiceAccount]. A [StaticKeys]
// holds those hashes, never keys, compares a presented key's hash with every account's
// in constant time, and needs no network.
package machine
