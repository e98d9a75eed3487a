package machine

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/clerkauth/store"
	"github.com/unioneyes/authkit/jwks"
)

// mapUsers is a minimal store.Users whose reads and writes can be made to fail
// (setFail), standing for a database that is down.
type mapUsers struct {
	mu    sync.Mutex
	users map[string]store.User
	fail  bool
}

var errUsersDown = errors.New("users: database down")

func (m *mapUsers) GetUser(_ context.Context, id string) (*store.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return nil, errUsersDown
	}
	u, ok := m.users[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	return &u, nil
}

func (m *mapUsers) UpsertUser(_ context.Context, u *store.User) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return false, errUsersDown
	}
	old, ok := m.users[u.ID]
	if ok && !u.UpdatedAt.After(old.UpdatedAt) {
		return false, nil
	}
	n := *u
	n.DeletedAt = old.DeletedAt
	m.users[u.ID] = n
	return true, nil
}

func (m *mapUsers) DeactivateUser(_ context.Context, id string, at time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return false, errUsersDown
	}
	u := m.users[id]
	u.ID = id
	if !at.After(u.DeletedAt) {
		return false, nil
	}
	u.DeletedAt = at
	m.users[id] = u
	return true, nil
}

func (m *mapUsers) setFail(fail bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = fail
}

// F9: a credential that acts for a user (an OAuth access token, a user's API key) meets
// the same user checks as that user's session: refused (403) once the user is
// deactivated by webhook, 503 when the user store cannot say, and the user in the
// context. Credentials of an organization, a machine or a service account are not users'.
func TestMachineCredentialsOfAUserMeetTheUserChecks(t *testing.T) {
	e := newBAPIEnv(t, nil)
	const (
		oat    = "oat_Ada0penIdConnectT0ken1"
		akUser = "ak_ada5ecretKey0f4User9"
		akOrg  = "ak_0rgKey0fTheC0mpany77"
		mt     = "mt_mach1neT0kenF0rCr0n"
		svcKey = "svc_5ecretOfTheBillingAccount"
	)
	e.fake.set(oat, bapiAnswer{body: `{"object":"clerk_idp_oauth_access_token","id":"oat_id_1","client_id":"c","subject":"user_ada"}`})
	e.fake.set(akUser, bapiAnswer{body: `{"object":"api_key","id":"ak_id_1","subject":"user_ada"}`})
	e.fake.set(akOrg, bapiAnswer{body: `{"object":"api_key","id":"ak_id_2","subject":"org_acme"}`})
	e.fake.set(mt, bapiAnswer{body: `{"object":"machine_to_machine_token","id":"mt_id_1","subject":"mch_cron"}`})
	// A service account whose name looks like a user id: its name is the operator's
	// choice, not a Clerk user.
	static, err := NewStaticKeys(ServiceAccount{Name: "user_billing", KeyHash: HashAPIKey(svcKey), Scopes: []string{"billing"}})
	require.NoError(t, err)

	iss := clerkauthtest.NewIssuer()
	t.Cleanup(iss.Close)
	iss.SetClock(e.clock.Now)
	keys, err := jwks.ParseJSON(iss.JWKS())
	require.NoError(t, err)
	users := &mapUsers{users: map[string]store.User{"user_billing": {ID: "user_billing", DeletedAt: e.clock.Now()}}}
	cache, err := clerkauth.NewUserCache(users, clerkauth.UserCacheConfig{TTL: time.Hour, Now: e.clock.Now})
	require.NoError(t, err)
	v, err := clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: iss.Issuer(), Now: e.clock.Now, Users: cache,
		Machine: Chain(e.b, static)})
	require.NoError(t, err)
	h := v.Middleware(clerkauth.Accept(clerkauth.KindSession, clerkauth.KindAPIKey, clerkauth.KindOAuthToken, clerkauth.KindM2MToken, clerkauth.KindServiceAccount))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, _ := clerkauth.PrincipalFromContext(r.Context())
			body := string(p.Kind) + " " + p.Subject
			if u, ok := clerkauth.UserFromContext(r.Context()); ok {
				body += " user=" + u.ID
			}
			_, _ = w.Write([]byte(body))
		}))
	do := func(token string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/api/thing", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		h.ServeHTTP(rec, req)
		return rec
	}
	session := iss.Token().User("user_ada").Sign()

	// Active (and, until now, unknown): served, the user in the context; the first
	// credential provisions a bare record, as a session without profile claims would.
	for token, want := range map[string]string{
		oat:     "oauth_token user_ada user=user_ada",
		akUser:  "api_key user_ada user=user_ada",
		session: "session_token user_ada user=user_ada",
		akOrg:   "api_key org_acme",
		mt:      "m2m_token mch_cron",
		svcKey:  "service_account user_billing",
	} {
		rec := do(token)
		require.Equal(t, http.StatusOK, rec.Code, "%s: %s", want, rec.Body.String())
		require.Equal(t, want, rec.Body.String())
	}
	stored, err := users.GetUser(t.Context(), "user_ada")
	require.NoError(t, err)
	assert.Equal(t, store.User{ID: "user_ada"}, *stored, "provisioned with the id only")
	_, err = users.GetUser(t.Context(), "org_acme")
	assert.ErrorIs(t, err, store.ErrNotFound, "an organization is not provisioned as a user")

	// user.deleted through the verifier's cache: every credential acting for the user is
	// refused at once, as the session is.
	_, err = cache.DeactivateUser(t.Context(), "user_ada", e.clock.Now())
	require.NoError(t, err)
	for _, token := range []string{oat, akUser, session} {
		rec := do(token)
		require.Equal(t, http.StatusForbidden, rec.Code, rec.Body.String())
		require.JSONEq(t, `{"error":"access_denied","detail":"account deactivated"}`, rec.Body.String())
	}
	for _, token := range []string{akOrg, mt, svcKey} {
		require.Equal(t, http.StatusOK, do(token).Code, "not a user's credential")
	}

	// A user store that cannot answer (an unknown user: nothing cached) is a 503, never a
	// pass.
	e.fake.set(oat, bapiAnswer{body: `{"object":"clerk_idp_oauth_access_token","id":"oat_id_2","client_id":"c","subject":"user_bob"}`})
	e.b, err = NewBackendAPI(BackendAPIConfig{SecretKey: bapiTestSecret, URL: e.fake.URL(), Now: e.clock.Now}) // no cached acceptance
	require.NoError(t, err)
	v, err = clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: iss.Issuer(), Now: e.clock.Now, Users: cache, Machine: e.b})
	require.NoError(t, err)
	h = v.Middleware(clerkauth.Accept(clerkauth.KindOAuthToken))(http.NotFoundHandler())
	users.setFail(true)
	rec := do(oat)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
	require.NotEmpty(t, rec.Header().Get("Retry-After"))
}
