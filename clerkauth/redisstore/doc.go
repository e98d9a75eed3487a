// Package redisstore keeps what every replica of a service must share in
// Redis: the webhook deduplication marks ([store.Dedupe]) and the revoked
// sessions ([store.Revocations]). Its [Store] implements both, on a
// github.com/redis/go-redis/v9 client, and passes the conformance kit
// ([github.com/unioneyes/authkit/clerkauth/store/storetest.RunDedupe] and
// [github.com/unioneyes/authkit/clerkauth/store/storetest.RunRevocations]).
//
// # A complete flow
//
//	opts, err := redis.ParseURL(os.Getenv("REDIS_URL")) // redis://…/0
//	if err != nil {
//		log.Fatal(err)
//	}
//	// Fail fast while Redis is down (see "Client options").
//	opts.MaxRetries = -1
//	opts.DialTimeout, opts.DialerRetries = 250*time.Millisecond, 1
//	opts.ReadTimeout, opts.WriteTimeout, opts.PoolTimeout = 250*time.Millisecond, 250*time.Millisecond, 250*time.Millisecond
//	opts.ContextTimeoutEnabled = true
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
// # Client options
//
// The verifier reads [Store.Revoked] on every request. It bounds each read
// ([github.com/unioneyes/authkit/clerkauth.StoreReadTimeout], 1 s) and, once a
// read has failed, stops asking Redis for
// [github.com/unioneyes/authkit/clerkauth.StoreBreakerOpen] (2 s): requests are
// refused at once (503, Retry-After) until a probe finds Redis answering again.
// The client's options decide how long the requests of the first second of an
// outage wait. go-redis's defaults retry each command 3 times with backoff and
// each dial 5 times (1.3–1.7 s per command against a stopped server), and
// ignore the context's deadline on the socket (5 s against a hung server, its
// ReadTimeout). Recommended, as in the flow above: MaxRetries -1 (the breaker
// decides when to ask again; Svix retries webhook deliveries), DialTimeout 250
// ms with one dial retry, Read, Write and Pool timeouts of 250 ms (Redis
// answers in well under a millisecond), and ContextTimeoutEnabled, so that the
// verifier's deadline bounds each command. Measured on a loopback server the
// test stops: the first request of the outage refused in under a millisecond
// with these options, in 1 s (the verifier's bound) with the defaults; every
// request after it in microseconds either way. Against a hung server, the
// requests already waiting wait for the client's timeout (5 s by default); the
// next ones are refused at once.
//
// # Persistence
//
// A revocation matters only while a token of the session can still verify:
// Clerk mints no new token for a revoked session, and one minted before is
// valid until its exp (at most 60 s for Clerk's session tokens) plus the
// verifier's leeway (5 s). A Redis that forgets a revocation within those 65 s
// accepts that token again for the rest of them; later, nothing is exposed (the
// 24 h [github.com/unioneyes/authkit/webhook.SyncConfig.RevocationTTL] is a
// margin). Redis forgets on a restart without persistence, on a failover to a
// replica the write had not reached, and by eviction under a maxmemory-policy
// other than noeviction. To close the window, run Redis with an append-only
// file (appendonly yes; appendfsync always loses nothing on a crash, everysec
// up to the last second's writes) and maxmemory-policy noeviction, or keep the
// revocations in the database
// ([github.com/unioneyes/authkit/clerkauth/sqlstore], as the example server
// does without REDIS_URL) and use Redis only for the webhook deduplication,
// whose loss only lets a retried delivery run again (harmless for
// [github.com/unioneyes/authkit/webhook.Handler.Sync], which is idempotent).
//
// Expiry is Redis's, by the server's clock. Any failure (Redis down, a
// cancelled context) is an error: a claim is never granted, a session
// never reported unrevoked, without an answer from Redis. Redis 6.2 or
// later is needed (PXAT).
package redisstore
