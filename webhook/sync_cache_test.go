package webhook_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/clerkauth/memstore"
	"github.com/unioneyes/authkit/jwks"
	"github.com/unioneyes/authkit/webhook"
)

// A user.deleted webhook handled by this process refuses the user's next request at
// once, although the middleware's cache knew the user: Sync writes through the
// verifier's UserCache.
func TestSyncThroughTheVerifiersUserCache(t *testing.T) {
	clerk := clerkauthtest.NewIssuer()
	defer clerk.Close()
	keys, err := jwks.ParsePEM(clerk.PEM())
	require.NoError(t, err)
	mem := memstore.New(memstore.Config{})
	cache, err := clerkauth.NewUserCache(mem, clerkauth.UserCacheConfig{TTL: time.Hour})
	require.NoError(t, err)
	verifier, err := clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: clerk.Issuer(), Users: cache, Revocations: mem})
	require.NoError(t, err)
	api := verifier.Middleware()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := clerkauth.UserFromContext(r.Context())
		_, _ = w.Write([]byte(u.Email))
	}))
	call := func(token string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		api.ServeHTTP(rec, req)
		return rec
	}
	hooks := newSyncFixture(t, webhook.SyncConfig{Users: verifier.Users(), Orgs: mem, Revocations: mem})

	token := clerk.Token().User("user_jane").Session("sess_1").Sign()
	require.Equal(t, http.StatusOK, call(token).Code) // provisioned, now cached for an hour

	rec := hooks.deliver("", syncEvent(t, webhook.EventUserUpdated, syncAt(5), syncUser("user_jane", 5)))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "jane.v5@example.com", call(token).Body.String(), "the update is visible at once")

	rec = hooks.deliver("", syncEvent(t, webhook.EventSessionRevoked, time.Now(), webhook.Session{ID: "sess_1", Object: "session", UserID: "user_jane", Status: "revoked"}))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, http.StatusUnauthorized, call(token).Code, "the revoked session is refused")

	other := clerk.Token().User("user_jane").Session("sess_2").Sign()
	require.Equal(t, http.StatusOK, call(other).Code)
	rec = hooks.deliver("", syncEvent(t, webhook.EventUserDeleted, syncAt(7), webhook.DeletedObject{Object: "user", ID: "user_jane", Deleted: true}))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, http.StatusForbidden, call(other).Code, "the deleted user is refused at once")
}

// The README's wiring, SyncConfig{Users: verifier.Users()}, with a verifier that has no
// Users: verifier.Users() is a nil *UserCache. Sync refuses it at once, naming the field,
// instead of registering functions that panic on every user.* event (answered 500, and
// retried by Svix for days). Any typed nil behind a store field is refused the same way.
func TestSyncRefusesATypedNilStore(t *testing.T) {
	clerk := clerkauthtest.NewIssuer()
	defer clerk.Close()
	keys, err := jwks.ParsePEM(clerk.PEM())
	require.NoError(t, err)
	verifier, err := clerkauth.NewVerifier(clerkauth.Config{Keys: keys, Issuer: clerk.Issuer()})
	require.NoError(t, err)
	require.Nil(t, verifier.Users())
	h, err := webhook.NewHandler(webhook.HandlerConfig{Verifier: mustWebhookVerifier(t)})
	require.NoError(t, err)

	err = h.Sync(webhook.SyncConfig{Users: verifier.Users()})
	require.ErrorIs(t, err, webhook.ErrInvalidConfig)
	var cerr *webhook.ConfigError
	require.ErrorAs(t, err, &cerr)
	require.Equal(t, "SyncConfig.Users", cerr.Field)

	var nilStore *memstore.Store
	for field, cfg := range map[string]webhook.SyncConfig{
		"SyncConfig.Users":       {Users: (*clerkauth.UserCache)(nil), Orgs: memstore.New(memstore.Config{})},
		"SyncConfig.Orgs":        {Orgs: nilStore},
		"SyncConfig.Revocations": {Revocations: nilStore, Users: memstore.New(memstore.Config{})},
	} {
		t.Run(field, func(t *testing.T) {
			err := h.Sync(cfg)
			require.ErrorIs(t, err, webhook.ErrInvalidConfig)
			var cerr *webhook.ConfigError
			require.ErrorAs(t, err, &cerr)
			require.Equal(t, field, cerr.Field)
		})
	}
}

func mustWebhookVerifier(t *testing.T) *webhook.Verifier {
	t.Helper()
	v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{clerkauthtest.NewWebhookSecret()}})
	require.NoError(t, err)
	return v
}
