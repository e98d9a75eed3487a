package clerkauth

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/maypok86/otter/v2"
)

// Defaults of the verified-token cache.
const (
	DefaultTokenCacheEntries = 10_000
	DefaultTokenCacheMaxTTL  = 5 * time.Minute
)

// TokenCacheKey identifies a token in a TokenCache: a SHA-256 of the token, mixed with a
// secret of the verifier, so the same token verified by two verifiers (two Clerk
// instances) has two keys, and the key reveals nothing of the token.
type TokenCacheKey [sha256.Size]byte

// TokenCache remembers verified sessions so that a token seen again skips the signature
// check. The verifier only ever stores tokens that passed every check, keeps an entry at
// most until the token's exp (and its MaxTTL), and on every hit applies again what can
// change: exp, nbf and iat against the clock, the presence of the token's key in the key
// set (with a jwks.KeyChecker source, as Remote and Static are: a withdrawn key sends the
// token through full verification) and, in the middleware, the revocation and
// deactivated-user checks. So a cache never makes it accept what a cold verification
// would refuse.
type TokenCache interface {
	Get(key TokenCacheKey) (*Session, bool)
	Set(key TokenCacheKey, s *Session, until time.Time)
}

// MemoryTokenCacheConfig configures NewMemoryTokenCache. Zero fields take the defaults.
type MemoryTokenCacheConfig struct {
	// MaxEntries bounds the cache (default 10,000 tokens).
	MaxEntries int
	// MaxTTL bounds how long an entry lives, whatever the token's exp (default 5 min).
	MaxTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// MemoryTokenCache is the in-process TokenCache: bounded, concurrent, without a
// background goroutine (expiry is checked on read). Verifiers use one by default.
type MemoryTokenCache struct {
	entries *otter.Cache[TokenCacheKey, tokenEntry]
	maxTTL  time.Duration
	now     func() time.Time
}

type tokenEntry struct {
	s     *Session
	until time.Time
}

// NewMemoryTokenCache returns an empty cache.
func NewMemoryTokenCache(cfg MemoryTokenCacheConfig) (*MemoryTokenCache, error) {
	if cfg.MaxEntries < 0 || cfg.MaxTTL < 0 {
		return nil, fmt.Errorf("%w: negative MemoryTokenCacheConfig value", ErrInvalidConfig)
	}
	c := &MemoryTokenCache{maxTTL: cfg.MaxTTL, now: cfg.Now}
	if c.maxTTL == 0 {
		c.maxTTL = DefaultTokenCacheMaxTTL
	}
	if c.now == nil {
		c.now = time.Now
	}
	size := cfg.MaxEntries
	if size == 0 {
		size = DefaultTokenCacheEntries
	}
	var err error
	c.entries, err = otter.New(&otter.Options[TokenCacheKey, tokenEntry]{MaximumSize: size})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return c, nil
}

// Get implements TokenCache: the session stored under key, unless it is past its time.
func (c *MemoryTokenCache) Get(key TokenCacheKey) (*Session, bool) {
	e, ok := c.entries.GetIfPresent(key)
	if !ok {
		return nil, false
	}
	if !c.now().Before(e.until) {
		c.entries.Invalidate(key)
		return nil, false
	}
	return e.s, true
}

// Set implements TokenCache, keeping the entry until until or MaxTTL from now, whichever
// comes first.
func (c *MemoryTokenCache) Set(key TokenCacheKey, s *Session, until time.Time) {
	if limit := c.now().Add(c.maxTTL); until.After(limit) {
		until = limit
	}
	c.entries.Set(key, tokenEntry{s: s, until: until})
}

// Len is the number of entries (expired ones included until they are read or evicted).
func (c *MemoryTokenCache) Len() int { return c.entries.EstimatedSize() }

// tokenKeyer derives cache keys with a verifier's secret.
type tokenKeyer struct{ salt TokenCacheKey }

func newTokenKeyer() tokenKeyer {
	var k tokenKeyer
	_, _ = rand.Read(k.salt[:]) // crypto/rand.Read never fails (Go 1.24+)
	return k
}

// key is SHA-256(token) XOR the verifier's salt: a bijection of the hash, so distinct
// tokens keep distinct keys, and another verifier's keys for the same token differ.
func (k tokenKeyer) key(token string) TokenCacheKey {
	h := sha256.Sum256([]byte(token))
	for i := range h {
		h[i] ^= k.salt[i]
	}
	return h
}
