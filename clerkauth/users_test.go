package clerkauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/clerkauth/store"
)

// fakeUsers is a store.Users double that counts reads and can fail.
type fakeUsers struct {
	mu    sync.Mutex
	users map[string]store.User
	reads atomic.Int64
	fail  atomic.Bool
	delay time.Duration
	// entered and gate, when set, hold the next GetUser: it signals entered with what it
	// read, then waits for gate.
	entered chan struct{}
	gate    chan struct{}
}

var errDown = errors.New("database is down")

func newFakeUsers() *fakeUsers { return &fakeUsers{users: map[string]store.User{}} }

func (f *fakeUsers) GetUser(ctx context.Context, id string) (*store.User, error) {
	f.reads.Add(1)
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	if f.fail.Load() {
		return nil, errDown
	}
	f.mu.Lock()
	u, ok := f.users[id]
	entered, gate := f.entered, f.gate
	f.entered, f.gate = nil, nil
	f.mu.Unlock()
	if entered != nil {
		close(entered)
		<-gate
	}
	if !ok {
		return nil, store.ErrNotFound
	}
	return &u, nil
}

func (f *fakeUsers) UpsertUser(ctx context.Context, u *store.User) (bool, error) {
	if f.fail.Load() {
		return false, errDown
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	old, ok := f.users[u.ID]
	if ok && !u.UpdatedAt.After(old.UpdatedAt) {
		return false, nil
	}
	n := *u
	n.DeletedAt = old.DeletedAt
	f.users[u.ID] = n
	return true, nil
}

func (f *fakeUsers) DeactivateUser(ctx context.Context, id string, at time.Time) (bool, error) {
	if f.fail.Load() {
		return false, errDown
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.users[id]
	u.ID = id
	if !at.After(u.DeletedAt) {
		return false, nil
	}
	u.DeletedAt = at
	f.users[id] = u
	return true, nil
}

// fakeRevocations is a store.Revocations double; it counts the calls of Revoked and keeps
// the deadline of the latest one's context.
type fakeRevocations struct {
	mu       sync.Mutex
	revoked  map[string]bool
	fail     atomic.Bool
	calls    atomic.Int64
	deadline time.Time
}

func (f *fakeRevocations) Revoke(ctx context.Context, sid string, until time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked[sid] = true
	return nil
}

func (f *fakeRevocations) Revoked(ctx context.Context, sid string) (bool, error) {
	f.calls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deadline, _ = ctx.Deadline()
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if f.fail.Load() {
		return false, errDown
	}
	return f.revoked[sid], nil
}

func userEcho(w http.ResponseWriter, r *http.Request) {
	u, ok := clerkauth.UserFromContext(r.Context())
	if !ok {
		http.Error(w, "no user", http.StatusInternalServerError)
		return
	}
	_, _ = w.Write([]byte(u.ID + " " + u.Email + " " + u.FirstName + " " + u.LastName))
}

func TestProvisioningAndTheUserCache(t *testing.T) {
	users := newFakeUsers()
	cacheClock := clerkauthtest.NewClock(testNow)
	cache, err := clerkauth.NewUserCache(users, clerkauth.UserCacheConfig{TTL: time.Minute, MaxStale: time.Hour, Now: cacheClock.Now})
	require.NoError(t, err)
	f := newFixture(t, func(c *clerkauth.Config) { c.Users = cache })
	require.Same(t, cache, f.v.Users())
	h := f.v.Middleware()(http.HandlerFunc(userEcho))
	do := func(tok string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, bearer(tok))
		return rec
	}

	// The first request of an unknown user creates them from the token's claims.
	ada := f.iss.Token().User("user_ada").Claim("email", "ada@example.com").Claim("first_name", "Ada").Claim("last_name", "Lovelace").Sign()
	rec := do(ada)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "user_ada ada@example.com Ada Lovelace", rec.Body.String())
	stored, err := users.GetUser(t.Context(), "user_ada")
	require.NoError(t, err)
	require.True(t, stored.UpdatedAt.IsZero(), "a provisioned user has no version: every webhook wins")

	// Known users are answered from memory.
	reads := users.reads.Load()
	for range 20 {
		require.Equal(t, http.StatusOK, do(ada).Code)
	}
	require.Equal(t, reads, users.reads.Load(), "a known user touches no store")

	// A token without profile claims provisions a bare user; a mistyped claim is ignored.
	rec = do(f.iss.Token().User("user_bob").Claim("email", 5).Sign())
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "user_bob   ", rec.Body.String())

	// A user.deleted webhook handled through the cache takes effect at once.
	_, err = cache.DeactivateUser(t.Context(), "user_ada", testNow)
	require.NoError(t, err)
	rec = do(ada)
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.JSONEq(t, `{"error":"access_denied","detail":"account deactivated"}`, rec.Body.String())
	require.Empty(t, rec.Header().Get("WWW-Authenticate"))

	// Another process deactivates bob in the store: seen once the entry is stale.
	bob := f.iss.Token().User("user_bob").Sign()
	_, err = users.DeactivateUser(t.Context(), "user_bob", testNow)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, do(bob).Code, "still cached")
	cacheClock.Advance(time.Minute)
	require.Equal(t, http.StatusForbidden, do(bob).Code)

	// A later upsert (an old user.updated delivered late) never brings a user back.
	_, err = cache.UpsertUser(t.Context(), &store.User{ID: "user_ada", Email: "new@example.com", UpdatedAt: testNow.Add(time.Hour)})
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, do(ada).Code)
}

func TestUserStoreOutage(t *testing.T) {
	users := newFakeUsers()
	cacheClock := clerkauthtest.NewClock(testNow)
	cache, err := clerkauth.NewUserCache(users, clerkauth.UserCacheConfig{TTL: time.Minute, MaxStale: time.Hour, Now: cacheClock.Now})
	require.NoError(t, err)
	f := newFixture(t, func(c *clerkauth.Config) { c.Users = cache })
	known := f.iss.Token().User("user_known").Sign()
	rec := f.serve(bearer(known))
	require.Equal(t, http.StatusOK, rec.Code)

	users.fail.Store(true)
	cacheClock.Advance(30 * time.Minute) // past the TTL, within MaxStale
	_, _, err = f.v.Authenticate(t.Context(), f.iss.Token().User("user_new").Sign())
	require.ErrorIs(t, err, clerkauth.ErrStoreUnavailable, "an unknown user cannot be checked")
	require.ErrorIs(t, err, errDown)
	reads := users.reads.Load()

	// The failure opened the store's breaker: nothing asks the store until it has passed.
	require.Equal(t, http.StatusOK, f.serve(bearer(known)).Code, "a cached user keeps working while the store is down")
	rec = f.serve(bearer(f.iss.Token().User("user_new").Sign()))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, "an unknown user cannot be checked")
	require.Equal(t, "2", rec.Header().Get("Retry-After"), "the breaker's remaining open time")
	require.Equal(t, reads, users.reads.Load())

	cacheClock.Advance(time.Hour) // beyond MaxStale: the probe fails, the entry is too old
	require.Equal(t, http.StatusServiceUnavailable, f.serve(bearer(known)).Code)
	require.Equal(t, reads+1, users.reads.Load())

	users.fail.Store(false)
	require.Equal(t, http.StatusServiceUnavailable, f.serve(bearer(known)).Code, "not asked again before the breaker lets a probe through")
	cacheClock.Advance(clerkauth.StoreBreakerOpen)
	require.Equal(t, http.StatusOK, f.serve(bearer(known)).Code)
}

func TestConcurrentFirstRequestsReadTheStoreOnce(t *testing.T) {
	users := newFakeUsers()
	users.users["user_1"] = store.User{ID: "user_1"}
	users.delay = 20 * time.Millisecond
	f := newFixture(t, func(c *clerkauth.Config) { c.Users = users }) // wrapped in a default cache
	require.NotNil(t, f.v.Users())
	tok := f.iss.Token().User("user_1").Sign()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			_, u, err := f.v.Authenticate(context.Background(), tok)
			if err != nil || u.ID != "user_1" {
				t.Errorf("authenticate: %v", err)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 1, users.reads.Load())
}

func TestRevokedSessions(t *testing.T) {
	revs := &fakeRevocations{revoked: map[string]bool{}}
	f := newFixture(t, func(c *clerkauth.Config) { c.Revocations = revs })
	tok := f.iss.Token().Session("sess_1").Sign()
	require.Equal(t, http.StatusOK, f.serve(bearer(tok)).Code)

	require.NoError(t, revs.Revoke(t.Context(), "sess_1", testNow.Add(time.Hour)))
	rec := f.serve(bearer(tok))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.Equal(t, `Bearer realm="api", error="invalid_token"`, rec.Header().Get("WWW-Authenticate"))
	_, _, err := f.v.Authenticate(t.Context(), tok)
	require.ErrorIs(t, err, clerkauth.ErrSessionRevoked)
	require.Equal(t, "clerkauth: session revoked", clerkauth.Reason(err))

	require.Equal(t, http.StatusOK, f.serve(bearer(f.iss.Token().Session("sess_2").Sign())).Code, "other sessions are unaffected")
	revs.fail.Store(true)
	rec = f.serve(bearer(f.iss.Token().Session("sess_2").Sign()))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, "revocations cannot be checked: fail closed")
}

func TestNewUserCacheErrors(t *testing.T) {
	_, err := clerkauth.NewUserCache(nil, clerkauth.UserCacheConfig{})
	require.ErrorIs(t, err, clerkauth.ErrInvalidConfig)
	_, err = clerkauth.NewUserCache(newFakeUsers(), clerkauth.UserCacheConfig{TTL: -1})
	require.ErrorIs(t, err, clerkauth.ErrInvalidConfig)
	c, err := clerkauth.NewUserCache(newFakeUsers(), clerkauth.UserCacheConfig{})
	require.NoError(t, err)
	_, err = c.GetUser(t.Context(), "user_none")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = c.UpsertUser(t.Context(), &store.User{ID: "user_1", Email: "a@example.com", PublicMetadata: []byte(`{"a":1}`)})
	require.NoError(t, err)
	u, err := c.GetUser(t.Context(), "user_1")
	require.NoError(t, err)
	u.PublicMetadata[2] = 'X'
	u2, err := c.GetUser(t.Context(), "user_1")
	require.NoError(t, err)
	require.JSONEq(t, `{"a":1}`, string(u2.PublicMetadata), "GetUser returns a copy")
	c.Forget("user_1")
	require.NotNil(t, c.Store())
}

// A read of the store that a deactivation overtakes must not put the user back in the
// cache as active.
func TestDeactivationIsNotLostToAReadInFlight(t *testing.T) {
	users := newFakeUsers()
	users.users["user_1"] = store.User{ID: "user_1"}
	clock := clerkauthtest.NewClock(testNow)
	cache, err := clerkauth.NewUserCache(users, clerkauth.UserCacheConfig{TTL: time.Hour, Now: clock.Now})
	require.NoError(t, err)
	f := newFixture(t, func(c *clerkauth.Config) { c.Users = cache })
	tok := f.iss.Token().User("user_1").Sign()

	users.mu.Lock()
	users.entered, users.gate = make(chan struct{}), make(chan struct{})
	entered, gate := users.entered, users.gate
	users.mu.Unlock()
	slow := make(chan int)
	go func() { slow <- f.serve(bearer(tok)).Code }() // reads user_1, active, and waits
	<-entered

	_, err = cache.DeactivateUser(t.Context(), "user_1", testNow) // the webhook
	require.NoError(t, err)
	close(gate)
	require.Equal(t, http.StatusOK, <-slow, "the request that read before the webhook")

	clock.Advance(time.Minute)
	require.Equal(t, http.StatusForbidden, f.serve(bearer(tok)).Code, "every request after it is refused")
}

// F4: a user.deleted that lands after the cache's store read returned, but before the
// cache stores what it read, must win: the snapshot is stored only if no write happened
// since the read began, atomically with that check. The clock hook runs the deactivation
// through the cache at the first reading of the clock after the store answered, which is
// where the cache stamps the snapshot it is about to store.
func TestDeactivationBetweenReadAndStoreIsNotLost(t *testing.T) {
	users := newFakeUsers()
	users.users["user_1"] = store.User{ID: "user_1"}
	var (
		cache   *clerkauth.UserCache
		armed   atomic.Bool // set once the store answered the read under test
		fired   atomic.Bool
		hookErr error
	)
	now := func() time.Time {
		if armed.Load() && fired.CompareAndSwap(false, true) {
			_, hookErr = cache.DeactivateUser(context.Background(), "user_1", testNow) // the webhook
		}
		return testNow
	}
	var err error
	cache, err = clerkauth.NewUserCache(armingStore{users, &armed}, clerkauth.UserCacheConfig{TTL: time.Hour, Now: now})
	require.NoError(t, err)

	u, err := cache.GetUser(t.Context(), "user_1")
	require.NoError(t, err)
	require.True(t, u.Active(), "the read began before the webhook")
	require.True(t, fired.Load(), "the deactivation ran inside the read, after the store answered")
	require.NoError(t, hookErr)

	armed.Store(false)
	u, err = cache.GetUser(t.Context(), "user_1")
	require.NoError(t, err)
	require.False(t, u.Active(), "the cache kept the snapshot read before the deactivation")
}

// armingStore arms a flag when its GetUser has answered.
type armingStore struct {
	*fakeUsers
	armed *atomic.Bool
}

func (s armingStore) GetUser(ctx context.Context, id string) (*store.User, error) {
	u, err := s.fakeUsers.GetUser(ctx, id)
	s.armed.Store(true)
	return u, err
}
