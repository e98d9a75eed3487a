package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unioneyes/authkit/clerkauth/redisstore"
)

// redisEnv names the variable holding the URL of the Redis server the
// integration tests use, such as redis://127.0.0.1:6379/0.
const redisEnv = "AUTHKIT_TEST_REDIS"

// redisClient returns a client for the test server. It skips the test
// when AUTHKIT_TEST_REDIS is unset and fails it when the URL is invalid or
// the server does not answer.
func redisClient(t testing.TB) *redis.Client {
	t.Helper()
	url := os.Getenv(redisEnv)
	if url == "" {
		t.Skip(redisEnv + " not set; skipping Redis integration tests")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("%s: %v", redisEnv, err)
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatalf("%s is set but Redis does not answer: %v", redisEnv, err)
	}
	return client
}

// testPrefix returns a key prefix unique to the test, whose keys are
// deleted (SCAN + DEL) when it ends.
func testPrefix(t testing.TB, client *redis.Client) string {
	t.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	prefix := "authkit-test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("scanning %s*: %v", prefix, err)
			return
		}
		if len(keys) > 0 {
			if err := client.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("deleting %d keys of %s: %v", len(keys), prefix, err)
			}
		}
	})
	return prefix
}

// newStore returns a store on the test server with a prefix of its own.
func newStore(t testing.TB) (*redisstore.Store, *redis.Client) {
	t.Helper()
	client := redisClient(t)
	s, err := redisstore.New(client, redisstore.Config{Prefix: testPrefix(t, client)})
	if err != nil {
		t.Fatalf("redisstore.New: %v", err)
	}
	return s, client
}
