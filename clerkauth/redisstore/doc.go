// Package redisstore keeps what every replica of a service must share in
// Redis: the webhook deduplication marks ([webhook.Dedupe]) and the revoked
// sessions ([clerkauth.RevocationStore]). Its [Store] implements both, on a
// github.com/redis/go-redis/v9 client, and passes the conformance kits
// [github.com/unioneyes/authkit/webhook/dedupetest.Run] and
// [github.com/unioneyes/authkit/clerkauth/storetest.RunRevocations].
//
// # A complete flow
//
//	opts, err := redis.ParseURL(os.Getenv("REDIS_URL")) // redis://…/0
//	if err != nil {
//		log.Fatal(err)
//	}
//	shared, err := redisstore.New(redis.NewClient(opts), redisstore.Config{Prefix: "myapp:authkit:"})
//	if err != nil {
//		log.Fatal(err)
//	}
//
//	// The verifier refuses revoked sessions (the middleware answers 401; 503 if Redis
//	// does not answer: a session is never taken as valid unchecked).
//	verifier, err := clerkauth.NewVerifier(clerkauth.Config{
//		Keys: keys, Issuer: issuer,
//		Users:       sqlStore,
//		Revocations: shared,
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	hooks, err := webhook.NewHandler(webhook.HandlerConfig{
//		Verifier: webhookVerifier,
//		Dedupe:   shared, // a retry reaching another replica is still a duplicate
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	err = hooks.Sync(webhook.SyncConfig{
//		Users:       verifier.Users(), // through the verifier's cache: effective at once
//		Orgs:        sqlStore,
//		Revocations: shared, // session.revoked / ended / removed, seen by every replica
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//
// # Keys
//
// Every key starts with [Config.Prefix] ("authkit:" by default):
//
//   - "<prefix>dedupe:<message id>" holds "claimed:<owner>" while a
//     delivery processes the message (PX the claim lease; the owner is the
//     delivery's own random token) and "done" once it has (PX the done TTL).
//     [Store.Claim] is one Lua script: SET NX PX, and when the key exists,
//     GET to tell a claim from a done mark, so the answer and the state
//     cannot drift apart. [Store.Release] deletes the key only while it holds
//     the caller's own claim (compare-and-delete), so a late release never
//     erases a done mark or another delivery's claim.
//   - "<prefix>revoked:<session id>" exists until the revocation ends: SET
//     PXAT, in a script that keeps a later expiry when a session is
//     revoked twice. [Store.Revoked] is EXISTS.
//
// Expiry is Redis's, by the server's clock. Any failure (Redis down, a
// cancelled context) is an error: a claim is never granted, a session
// never reported unrevoked, without an answer from Redis. Redis 6.2 or
// later is needed (PXAT).
package redisstore
