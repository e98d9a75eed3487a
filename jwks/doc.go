// Package jwks provides the keys that verify Clerk session tokens.
//
// A [Source] hands golang-jwt the public key for a token. Two implementations:
//
//   - [Remote] fetches a JWKS over HTTP and keeps it fresh: Clerk's Frontend API
//     "https://<fapi>/.well-known/jwks.json" (public), or the Backend API
//     "https://api.clerk.com/v1/jwks" with the instance's secret key. It is built on
//     keyfunc/v3 over a jwkset HTTP storage, and adds what verification needs in
//     production: keys are filtered (RSA, use "sig", RS256/RS384/RS512, at least 2048
//     bits), unknown kids cause at most one fetch per 30 s yet a newly published key is
//     accepted within 30 s (see "Unknown kids" below), a failing endpoint never discards
//     keys already known, responses are capped at 1 MiB, and a start while Clerk is
//     unreachable does not fail: the Remote retries with back-off and lookups fail with
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
//
// # Unknown kids
//
// A token whose kid is not in the set is either forged or signed with a key published
// since the last fetch, and nothing tells the two apart before the key is fetched: its
// signature cannot be checked without it. Fetching for every such token would let anyone
// make the service hammer Clerk; refusing them all until some fixed time would let one
// forged request block a real key rotation. [Remote] does neither. With the default
// UnknownKIDInterval (30 s):
//
//   - Unknown kids cause at most one JWKS fetch per 30 s, however many arrive (two a
//     minute under a continuous flood of random kids). Concurrent lookups share a fetch,
//     and fetches never overlap. Retries after a failed fetch and the periodic refresh
//     (RefreshInterval) do not count against the interval.
//   - A token signed with a newly published key is accepted at most 30 s after
//     publication (plus fetch time), whatever else is sent meanwhile. If the
//     interval allows a fetch, the token's own lookup makes it. If not, the lookup fails
//     with [KeyPendingError], which wraps [ErrKeysUnavailable] (a 503 with Retry-After),
//     and the Remote fetches on its own when the interval ends, without waiting for
//     another request.
//   - A lookup fails with [ErrUnknownKey] (a 401) only when a fetch that started after
//     the lookup arrived does not have the kid, or when the kid was withdrawn (an earlier
//     set had it, a later one does not). Any other unknown kid within the interval,
//     forged ones included, gets the 503: a genuine token is never refused because others
//     used the interval. A fetch that started before the lookup arrived proves nothing,
//     as it may predate the key.
//   - Known keys keep working while the endpoint is down, and an unknown kid then gets
//     ErrKeysUnavailable too.
//
// Nothing is remembered per unknown kid, so a flood of random kids costs no memory; a
// Remote remembers at most 32 withdrawn kids. A longer UnknownKIDInterval trades fewer
// fetches for a longer wait before a new key is accepted, one for one.
package jwks
