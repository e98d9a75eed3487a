package clerkauth_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/clerkauth/clerkauthtest"
	"github.com/unioneyes/authkit/jwks"
)

// Issue 11, F2: one forged request with a random kid and the public issuer spends the
// Remote's unknown-kid interval; a key rotation in that window is answered 503 with
// Retry-After, never 401, and accepted once the interval has passed.
func TestKeyRotationAfterAForgedKidIs503ThenAccepted(t *testing.T) {
	iss := clerkauthtest.NewIssuer()
	defer iss.Close()
	clock := clerkauthtest.NewClock(testNow)
	remote, err := jwks.NewRemote(t.Context(), jwks.RemoteConfig{URL: iss.JWKSURL(), Now: clock.Now, Logger: discardLogger()})
	require.NoError(t, err)
	defer remote.Close()
	f := fixtureFor(t, iss, func(c *clerkauth.Config) { c.Keys = remote })

	forged := iss.Token().KeyID(clerkauthtest.NewID("ins_")).SignWith(clerkauthtest.NewKey().Private).Sign()
	rec := f.serve(bearer(forged))
	require.Equal(t, http.StatusUnauthorized, rec.Code, "its own fetch shows the kid is not published")

	clock.Advance(10 * time.Second)
	iss.Rotate()
	genuine := iss.Token().Sign()
	rec = f.serve(bearer(genuine))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
	require.NotEmpty(t, rec.Header().Get("Retry-After"))
	require.Empty(t, rec.Header().Get("WWW-Authenticate"))
	requireNoLeak(t, rec.Body.String(), genuine)

	clock.Advance(jwks.DefaultUnknownKIDInterval - 10*time.Second)
	rec = f.serve(bearer(genuine))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
}
