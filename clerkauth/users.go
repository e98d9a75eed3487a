package clerkauth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/unioneyes/authkit/clerkauth/internal/typednil"

	"github.com/maypok86/otter/v2"
	"golang.org/x/sync/singleflight"

	"github.com/unioneyes/authkit/clerkauth/store"
)

// Errors of the checks a configured store adds to verification.
var (
	// ErrUserDeactivated: the user was deactivated (a user.deleted webhook), even though
	// the token is still valid. The middleware answers 403.
	ErrUserDeactivated = errors.New("clerkauth: user deactivated")
	// ErrSessionRevoked: Clerk ended or revoked the session (a session.revoked, ended or
	// removed webhook), even though the token is still valid. The middleware answers 401.
	ErrSessionRevoked = errors.New("clerkauth: session revoked")
	// ErrStoreUnavailable: the user or revocation store failed, did not answer within
	// StoreReadTimeout, or is known to be failing (its breaker is open: not asked), and
	// nothing cached could answer instead. The middleware answers 503 with Retry-After.
	ErrStoreUnavailable = errors.New("clerkauth: store unavailable")
)

// Defaults of UserCacheConfig.
const (
	DefaultUserCacheTTL      = 5 * time.Minute
	DefaultUserCacheMaxStale = 24 * time.Hour
	DefaultUserCacheEntries  = 10_000
)

// UserCacheConfig configures NewUserCache. Zero fields take the defaults.
type UserCacheConfig struct {
	// TTL is how long a user read from the store is used without asking the store again
	// (default 5 min). Writes through the cache (the webhook sync) replace the entry at
	// once, so the TTL only bounds what other processes change.
	TTL time.Duration
	// MaxStale is how long past its TTL an entry still answers while the store is failing
	// (default 24 h): a known user keeps working through a database outage. A user
	// deactivated meanwhile by a webhook handled by another process is only seen once the
	// store answers again; the process that handled it refuses the user at once.
	MaxStale time.Duration
	// MaxEntries bounds the cache (default 10,000 users).
	MaxEntries int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// UserCache is a [store.Users] in front of another: reads of known users are answered from
// memory, so an authenticated request touches no database; writes go to the store and
// then replace the cached entry. Give the same UserCache to the verifier (Config.Users)
// and to the webhook sync, so that a user.deleted webhook handled by this process takes
// effect at once. It is safe for concurrent use.
type UserCache struct {
	store    store.Users
	entries  *otter.Cache[string, cachedUser]
	ttl      time.Duration
	maxStale time.Duration
	now      func() time.Time
	group    singleflight.Group
	breaker  *breaker // in front of the store's reads
	// writes counts the writes made through the cache: a store read that a write
	// overtook does not put its (older) result in the cache. mu makes "no write since the
	// read began, so store the snapshot" one step with respect to writes, which bump
	// writes and drop the entry under it too.
	mu     sync.Mutex
	writes atomic.Uint64
}

var _ store.Users = (*UserCache)(nil)

// cachedUser is an immutable snapshot of a user and when it was read.
type cachedUser struct {
	u  *store.User
	at time.Time
}

// NewUserCache puts a cache in front of users.
func NewUserCache(users store.Users, cfg UserCacheConfig) (*UserCache, error) {
	if users == nil {
		return nil, fmt.Errorf("%w: a UserCache needs a store", ErrInvalidConfig)
	}
	if typednil.IsNil(users) {
		return nil, fmt.Errorf("%w: a UserCache needs a store, not a nil %T", ErrInvalidConfig, users)
	}
	if cfg.TTL < 0 || cfg.MaxStale < 0 || cfg.MaxEntries < 0 {
		return nil, fmt.Errorf("%w: negative UserCacheConfig value", ErrInvalidConfig)
	}
	c := &UserCache{store: users, ttl: cfg.TTL, maxStale: cfg.MaxStale, now: cfg.Now}
	if c.ttl == 0 {
		c.ttl = DefaultUserCacheTTL
	}
	if c.maxStale == 0 {
		c.maxStale = DefaultUserCacheMaxStale
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.breaker = &breaker{now: c.now}
	size := cfg.MaxEntries
	if size == 0 {
		size = DefaultUserCacheEntries
	}
	var err error
	c.entries, err = otter.New(&otter.Options[string, cachedUser]{MaximumSize: size})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return c, nil
}

// Store returns the store behind the cache.
func (c *UserCache) Store() store.Users { return c.store }

// Forget drops a user from the cache: the next read asks the store, and a read already
// under way does not put what it finds in the cache.
func (c *UserCache) Forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes.Add(1)
	c.group.Forget(id)
	c.entries.Invalidate(id)
}

// lookup returns the shared, read-only snapshot of a user: from the cache while fresh,
// else from the store (one read per user however many requests ask at once), else, when
// the store fails, from a stale entry younger than MaxStale.
func (c *UserCache) lookup(ctx context.Context, id string) (*store.User, error) {
	now := c.now()
	e, ok := c.entries.GetIfPresent(id)
	if ok && now.Sub(e.at) < c.ttl {
		return e.u, nil
	}
	// One read per user however many requests ask at once; the read is not tied to the
	// first asker's context (its client may go away), and each asker stops waiting when
	// its own context ends. While the store is known to be down (its breaker open) the
	// read fails at once and a stale entry answers.
	ch := c.group.DoChan(id, func() (any, error) {
		writes := c.writes.Load()
		u, err := guardedRead(context.WithoutCancel(ctx), c.breaker, "users", func(ctx context.Context) (*store.User, error) {
			return c.store.GetUser(ctx, id)
		})
		if err != nil {
			return nil, err
		}
		snap := cachedUser{u: cloneUser(u), at: c.now()}
		c.mu.Lock()
		if c.writes.Load() == writes {
			c.entries.Set(id, snap)
		}
		c.mu.Unlock()
		return snap.u, nil
	})
	var err error
	select {
	case res := <-ch:
		if res.Err == nil {
			return res.Val.(*store.User), nil
		}
		err = res.Err
	case <-ctx.Done():
		err = ctx.Err()
	}
	if ok && !errors.Is(err, store.ErrNotFound) && now.Sub(e.at) < c.ttl+c.maxStale {
		return e.u, nil // the store is failing: a known user keeps working
	}
	return nil, err
}

// GetUser implements [store.Users], through the cache; the result is the caller's to keep.
// Like any store, it fails once ctx has ended, even for a cached user.
func (c *UserCache) GetUser(ctx context.Context, id string) (*store.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	u, err := c.lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	return cloneUser(u), nil
}

// UpsertUser implements [store.Users]: it writes to the store, then drops the cached entry
// so the next read sees what the store decided.
func (c *UserCache) UpsertUser(ctx context.Context, u *store.User) (bool, error) {
	applied, err := c.store.UpsertUser(ctx, u)
	if err == nil {
		c.Forget(u.ID)
	}
	return applied, err
}

// DeactivateUser implements [store.Users]: it writes to the store, then drops the cached
// entry, so the user's next request is refused.
func (c *UserCache) DeactivateUser(ctx context.Context, id string, at time.Time) (bool, error) {
	applied, err := c.store.DeactivateUser(ctx, id, at)
	if err == nil {
		c.Forget(id)
	}
	return applied, err
}

func cloneUser(u *store.User) *store.User {
	c := *u
	c.PublicMetadata = slices.Clone(u.PublicMetadata)
	return &c
}

// profileClaims are the custom session claims a new user is provisioned from, when the
// instance's session token template adds them.
type profileClaims struct {
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// resolveUser returns the local user of a verified session, creating it on its first
// request, and refuses deactivated users.
func (c *UserCache) resolveUser(ctx context.Context, s *Session) (*store.User, error) {
	return c.resolve(ctx, s.UserID, func() *store.User {
		p, _ := Claims[profileClaims](s) // optional claims: absent or mistyped ones stay empty
		return &store.User{ID: s.UserID, Email: p.Email, FirstName: p.FirstName, LastName: p.LastName}
	})
}

// resolve returns the local user id, creating the record newUser returns when the store
// does not know the id, and refuses deactivated users. A deactivation is recorded
// whether or not the user was known (a tombstone), so creating never lets a deactivated
// user through.
func (c *UserCache) resolve(ctx context.Context, id string, newUser func() *store.User) (*store.User, error) {
	u, err := c.lookup(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// No UpdatedAt: any webhook about this user is newer than what the credential says.
		// A write a request waits for, bounded as its reads are.
		wctx, cancel := context.WithTimeout(ctx, StoreReadTimeout)
		_, err = c.UpsertUser(wctx, newUser())
		cancel()
		if err == nil {
			u, err = c.lookup(ctx, id)
		}
	}
	if err != nil {
		return nil, storeUnavailable("users", err)
	}
	if !u.Active() {
		return nil, ErrUserDeactivated
	}
	return u, nil
}

// actsForUser reports whether p is a Clerk credential acting for a Clerk user (an OAuth
// access token, a user's API key): its subject is a user id. A service account's
// subject is its name, chosen by the operator, never a Clerk user.
func actsForUser(p *Principal) bool {
	return p.Kind != KindSession && p.Kind != KindServiceAccount && strings.HasPrefix(p.Subject, "user_")
}

// resolvePrincipalUser applies the user checks of a session to a machine credential that
// acts for a user: the user is refused once deactivated (ErrUserDeactivated), the
// request fails when the store cannot say (ErrStoreUnavailable), and an unknown user is
// created with the id alone (the credential carries no profile; webhooks fill it in), so
// that UserFromContext answers whatever the credential. Other principals get no user.
func (c *UserCache) resolvePrincipalUser(ctx context.Context, p *Principal) (*store.User, error) {
	if c == nil || !actsForUser(p) {
		return nil, nil
	}
	return c.resolve(ctx, p.Subject, func() *store.User { return &store.User{ID: p.Subject} })
}

type userKey struct{}

// UserFromContext returns the local user of the request, when the verifier has a
// users store (Config.Users): the session's user, or the user a machine credential acts for (an OAuth
// access token, a user's API key). A credential of an organization, a machine or a
// service account has none. The User is shared: treat it as read-only.
func UserFromContext(ctx context.Context) (*store.User, bool) {
	u, ok := ctx.Value(userKey{}).(*store.User)
	return u, ok && u != nil
}

// withUser returns ctx carrying u.
func withUser(ctx context.Context, u *store.User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}
