package redisstore_test

import (
	"context"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unioneyes/authkit/clerkauth/redisstore"
	"github.com/unioneyes/authkit/webhook"
)

// A Redis shared by every replica: deduplication for the webhook endpoint
// and the revoked sessions.
func Example() {
	opts, err := redis.ParseURL("redis://redis.internal:6379/0")
	if err != nil {
		log.Fatal(err)
	}
	// Fail fast while Redis is down: no client retries, short timeouts, and the
	// context's deadline honoured (see the package documentation).
	opts.MaxRetries = -1
	opts.DialTimeout, opts.DialerRetries = 250*time.Millisecond, 1
	opts.ReadTimeout, opts.WriteTimeout, opts.PoolTimeout = 250*time.Millisecond, 250*time.Millisecond, 250*time.Millisecond
	opts.ContextTimeoutEnabled = true
	shared, err := redisstore.New(redis.NewClient(opts), redisstore.Config{Prefix: "myapp:authkit:"})
	if err != nil {
		log.Fatal(err)
	}
	verifier, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}})
	if err != nil {
		log.Fatal(err)
	}
	hooks, err := webhook.NewHandler(webhook.HandlerConfig{Verifier: verifier, Dedupe: shared})
	if err != nil {
		log.Fatal(err)
	}
	if err := hooks.Sync(webhook.SyncConfig{Revocations: shared}); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	revoked, err := shared.Revoked(ctx, "sess_2g7np7Hrk0SN6kj5EDMLDaKNL0S")
	if err != nil {
		log.Print("Redis unavailable: refuse the request with 503") // never assume "not revoked"
		return
	}
	log.Print("revoked: ", revoked)
}

// Ping for a health check.
func ExampleStore_Ping() {
	shared, err := redisstore.New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}), redisstore.Config{})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := shared.Ping(ctx); err != nil {
		log.Print("unhealthy: ", err)
	}
}
