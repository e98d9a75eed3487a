package redisstore

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/redis/go-redis/v9"

	"github.com/unioneyes/authkit/clerkauth/store"
)

var (
	// ErrInvalidConfig is returned by [New] for a nil client.
	ErrInvalidConfig = errors.New("redisstore: invalid config")

	// ErrUnexpectedValue is returned by [Store.Claim] when the id's key
	// holds something this package did not write there (another program
	// uses the prefix).
	ErrUnexpectedValue = errors.New("redisstore: unexpected value under the store's prefix")
)

// DefaultPrefix starts every key when [Config.Prefix] is empty.
const DefaultPrefix = "authkit:"

// Config configures [New]. Zero fields take the documented defaults.
type Config struct {
	// Prefix starts every key the store writes: "<prefix>dedupe:<message
	// id>" and "<prefix>revoked:<session id>". Empty means
	// [DefaultPrefix]. Give each application (or each Clerk instance)
	// sharing a Redis its own. On Redis Cluster, keys are spread over the
	// slots as usual; every command touches one key.
	Prefix string
}

// Store keeps webhook deduplication marks and session revocations in
// Redis, shared by every replica. It implements [store.Dedupe] and
// [store.Revocations]; it is safe for concurrent use. Every operation is a
// single command or a Lua script, hence atomic. Expiry is Redis's (PX,
// PXAT): the server's clock decides. A call it refuses before sending it
// fails with an error wrapping [store.ErrInvalid].
type Store struct {
	client  redis.UniversalClient
	prefix  string
	claim   *redis.Script
	release *redis.Script
	revoke  *redis.Script
}

var (
	_ store.Dedupe      = (*Store)(nil)
	_ store.Revocations = (*Store)(nil)
)

// refused returns a refusal wrapping store.ErrInvalid, prefixed with the
// package name and the operation (op).
func refused(op string, err error) error { return fmt.Errorf("redisstore: %s: %w", op, err) }

// invalid returns a refusal of op saying why.
func invalid(op, why string) error { return refused(op, fmt.Errorf("%w: %s", store.ErrInvalid, why)) }

// New returns a Store on client (a *redis.Client, *redis.ClusterClient or
// failover client). It does not contact the server; [Store.Ping] does. It
// fails with [ErrInvalidConfig] for a nil client (also a typed nil
// pointer).
func New(client redis.UniversalClient, cfg Config) (*Store, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil client", ErrInvalidConfig)
	}
	if v := reflect.ValueOf(client); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, fmt.Errorf("%w: nil %T", ErrInvalidConfig, client)
	}
	s := &Store{
		client:  client,
		prefix:  cfg.Prefix,
		claim:   redis.NewScript(claimScript),
		release: redis.NewScript(releaseScript),
		revoke:  redis.NewScript(revokeScript),
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	return s, nil
}

// Prefix returns the prefix of the store's keys.
func (s *Store) Prefix() string { return s.prefix }

// Ping checks that Redis answers, for health checks.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redisstore: ping: %w", err)
	}
	return nil
}

func (s *Store) dedupeKey(id string) string  { return s.prefix + "dedupe:" + id }
func (s *Store) revokedKey(id string) string { return s.prefix + "revoked:" + id }
