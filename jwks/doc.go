// Package jwks provides the keys that verify Clerk session tokens.
//
// A [Source] hands golang-jwt the public key for a token. Two implementations:
//
//   - [Remote] fetches a JWKS over HTTP and keeps it fresh: Clerk's Frontend API
//     "https://<fapi>/.well-known/jwks.json" (public), or the Backend API
//     "https://api.clerk.com/v1/jwks" with the instance's secret key. It is built on
//     keyfunc/v3 over a jwkset HTTP storage, and adds what verification needs in
//     production: keys are filtered (RSA, use "sig", RS256/RS384/RS512, at least 2048
//     bits), a token with an unknown kid triggers at most one fetch per
//     UnknownKIDInterval however many requests carry it, a failing endpoint never
//     discards keys already known, responses are capped at 1 MiB, and a start while Clerk
//     is unreachable does not fail: the Remote retries with back-off and lookups fail with
//     [ErrKeysUnavailable] (a 503, not a 401) until keys arrive.
//   - [Static] is a fixed key: Clerk's PEM public key ([ParsePEM], networkless
//     verification, what Clerk's SDKs call CLERK_JWT_KEY) or a JWKS document
//     ([ParseJSON]).
//
// A publishable key encodes the instance's Frontend API host; [ParsePublishableKey]
// derives the issuer and the public JWKS URL from it, without a network call:
//
//	pk, err := jwks.ParsePublishableKey(publishableKey)
//	if err != nil {
//		return err
//	}
//	keys, err := jwks.NewRemote(ctx, jwks.RemoteConfig{URL: pk.JWKSURL()})
//	if err != nil {
//		return err
//	}
//	defer keys.Close()
//	// Optional: fail fast when Clerk cannot be reached at start-up.
//	if err := keys.Ready(readyCtx); err != nil {
//		return err
//	}
//	// keys is a jwks.Source: give it to clerkauth.NewVerifier (Config.Keys) together
//	// with the issuer pk.Issuer(). Used directly with golang-jwt:
//	token, err := jwt.Parse(raw, keys.KeyfuncCtx(r.Context()),
//		jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(),
//		jwt.WithIssuer(pk.Issuer()))
//
// Key sets are per Source: a token signed for another Clerk instance finds no key.
package jwks
